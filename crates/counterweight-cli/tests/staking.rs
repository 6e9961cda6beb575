//! The staking model through the binary: `run` of an embedded example, `sweep` over one of
//! its parameters (identical results on 1 and 2 threads), located errors with exit code 2.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

fn bin() -> Command {
    Command::cargo_bin("counterweight").unwrap()
}

/// A small market: three providers, one of them a min-first pool with 5 operators.
const SMALL: &str = r#"
name = "small-staking"
model = "staking"
seed = 4
time = { end = 30.0, dt = 1.0 }

[staking]
gamma = 1.0
deposit_rate = 50.0
withdrawal_rate = 0.001

[[staking.providers]]
name = "Pool"
allocation = "min_first"
operators = 5
validators = 500

[[staking.providers]]
name = "Exchange"
validators = 300

[[staking.providers]]
name = "Solo"
allocation = "proportional"
operators = 50
validators = 200

[[policy]]
kind = "self_limit"
provider = "Pool"
cap = 0.5

[output]
every = 10
"#;

#[test]
fn sweep_over_gamma_and_the_self_limit() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("small.toml");
    std::fs::write(&sc, SMALL).unwrap();
    let mut outs = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("sweep{threads}"));
        bin()
            .args([
                "sweep",
                sc.to_str().unwrap(),
                "--quiet",
                "--threads",
                threads,
            ])
            .arg("--out")
            .arg(&out)
            .args([
                "--vary",
                "staking.gamma=0,1,2",
                "--vary",
                "policy[0].cap=0.4,1",
                "--replicates",
                "2",
            ])
            .assert()
            .success();
        outs.push(out);
    }
    let read = |p: &Path| std::fs::read(p).unwrap();
    let results = String::from_utf8(read(&outs[0].join("results.csv"))).unwrap();
    let header = results.lines().next().unwrap();
    for c in [
        "staking.gamma",
        "policy[0].cap",
        "first_share",
        "consensus_nakamoto_1_3",
        "governance_nakamoto_1_2",
    ] {
        assert!(header.contains(c), "{c} missing: {header}");
    }
    assert_eq!(results.lines().count(), 1 + 3 * 2 * 2);
    assert!(read(&outs[0].join("results.csv")) == read(&outs[1].join("results.csv")));
    assert!(outs[0].join("summary.csv").exists());
}

#[test]
fn run_an_embedded_staking_example() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("veto");
    bin()
        .args(["run", "staking-veto", "--set", "replicates=2", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("consensus_nakamoto_1_3"));
    let metrics = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    assert!(
        metrics
            .lines()
            .next()
            .unwrap()
            .contains("governance_nakamoto_2_3")
    );
    assert!(out.join("report.html").exists());
    bin()
        .args(["scenarios"])
        .assert()
        .success()
        .stdout(predicate::str::contains("staking-2023"));
}

#[test]
fn bad_staking_field_is_located() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("bad.toml");
    std::fs::write(&sc, SMALL.replace("cap = 0.5", "cap = 2.0")).unwrap();
    bin()
        .args(["check", sc.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("policy[0].cap"));
}
