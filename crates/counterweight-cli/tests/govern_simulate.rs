//! `counterweight govern simulate`: summary table, outputs, reproducibility, bad input.

use assert_cmd::Command;
use predicates::prelude::*;

fn cw() -> Command {
    Command::cargo_bin("counterweight").unwrap()
}

const SMALL: [&str; 6] = [
    "--set",
    "replicates=6",
    "--set",
    "horizon=\"200d\"",
    "--set",
    "drain=\"100d\"",
];

#[test]
fn default_scenario_prints_a_table_and_writes_outputs() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("run");
    cw().args(["govern", "simulate", "--out"])
        .arg(&out)
        .args(SMALL)
        .assert()
        .success()
        .stdout(predicate::str::contains("harmful blocked (never executed)"))
        .stdout(predicate::str::contains("honest delay p90 (days)"))
        .stdout(predicate::str::contains("RageQuit"));
    for f in [
        "replicates.csv",
        "honest_delays.csv",
        "summary.json",
        "scenario.toml",
        "report.html",
        "time_in_state.svg",
        "time_in_state.png",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    let csv = std::fs::read_to_string(out.join("replicates.csv")).unwrap();
    assert_eq!(csv.lines().count(), 7);
    assert!(csv.starts_with("replicate,harmful,harmful_executed,harmful_blocked"));
}

#[test]
fn same_seed_same_numbers() {
    let d = tempfile::tempdir().unwrap();
    let run = |name: &str| {
        let out = cw()
            .args(["govern", "simulate", "--json", "--seed", "11", "--out"])
            .arg(d.path().join(name))
            .args(SMALL)
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let a = run("a");
    let b = run("b");
    assert_eq!(a, b);
    let v: serde_json::Value = serde_json::from_str(&a).unwrap();
    assert_eq!(v["seed"], 11);
    assert_eq!(v["replicates"], 6);
    assert_eq!(
        std::fs::read(d.path().join("a/replicates.csv")).unwrap(),
        std::fs::read(d.path().join("b/replicates.csv")).unwrap()
    );
}

#[test]
fn set_overrides_the_seals() {
    let d = tempfile::tempdir().unwrap();
    let out = cw()
        .args([
            "govern",
            "simulate",
            "--json",
            "--set",
            "config.first_seal=0.5%",
            "--out",
        ])
        .arg(d.path().join("x"))
        .args(SMALL)
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["first_seal"], "0.50%");
}

#[test]
fn bad_scenario_exits_2_with_location() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("bad.toml");
    std::fs::write(
        &p,
        "[[group]]\nname = \"x\"\nstakes = [\"5%\"]\ndetect_probability = 1.5\n",
    )
    .unwrap();
    cw().args(["govern", "simulate"])
        .arg(&p)
        .arg("--out")
        .arg(d.path().join("o"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.toml:4:22"))
        .stderr(predicate::str::contains("probability"));
}
