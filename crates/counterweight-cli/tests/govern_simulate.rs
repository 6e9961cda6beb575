//! `counterweight govern simulate` (the registered `veto` model through `run`): summary
//! table, outputs, reproducibility, bad input (also in files without `model` or `name`).

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
        .stdout(predicate::str::contains("mean of 6 replicates"))
        .stdout(predicate::str::contains("harmful_blocked_share"))
        .stdout(predicate::str::contains("honest_delay_mean_days"));
    // The veto simulation is a registered model: the run directory of every model.
    for f in [
        "metrics.csv",
        "metrics.parquet",
        "summary.json",
        "scenario.toml",
        "report.html",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    // Start and end of each replicate (output.every defaults to the whole run).
    let csv = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 6 * 2);
    assert!(
        csv.starts_with("replicate,step,time,harmful,harmful_executed,harmful_blocked"),
        "{csv}"
    );
    let scenario = std::fs::read_to_string(out.join("scenario.toml")).unwrap();
    assert!(scenario.contains("model = \"veto\""), "{scenario}");
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
    assert_eq!(v["model"], "veto");
    assert_eq!(v["variants"][0]["replicates"], 6);
    assert_eq!(
        std::fs::read(d.path().join("a/metrics.csv")).unwrap(),
        std::fs::read(d.path().join("b/metrics.csv")).unwrap()
    );
}

#[test]
fn set_overrides_the_seals() {
    let d = tempfile::tempdir().unwrap();
    let run = |name: &str, extra: &[&str]| {
        cw().args(["govern", "simulate", "--quiet", "--out"])
            .arg(d.path().join(name))
            .args(SMALL)
            .args(extra)
            .assert()
            .success();
        std::fs::read_to_string(d.path().join(name).join("metrics.csv")).unwrap()
    };
    let base = run("base", &[]);
    let low = run("low", &["--set", "config.first_seal=0.5%"]);
    let scenario = std::fs::read_to_string(d.path().join("low/scenario.toml")).unwrap();
    assert!(scenario.contains("first_seal = \"0.5%\""), "{scenario}");
    // A lower first seal starts more veto signals with the same seed: different outcomes.
    assert_ne!(base, low);
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
