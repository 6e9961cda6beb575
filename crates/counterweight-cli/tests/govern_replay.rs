//! `counterweight govern replay` through the binary: every §6 scenario passes; bad
//! timelines exit 2 with file:line:col; failed expectations exit 1 and are named.

use std::path::PathBuf;

use assert_cmd::Command;
use predicates::prelude::*;

fn scenario_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/governance")
}

fn cw() -> Command {
    Command::cargo_bin("counterweight").unwrap()
}

#[test]
fn every_scenario_passes_through_the_binary() {
    let mut n = 0;
    for e in std::fs::read_dir(scenario_dir()).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        n += 1;
        cw().args(["govern", "replay"])
            .arg(&p)
            .assert()
            .success()
            .stdout(predicate::str::contains("persisted"));
    }
    assert!(n >= 14);
}

#[test]
fn json_has_one_object_per_step() {
    let p = scenario_dir().join("s1_first_seal_min_duration.toml");
    let out = cw()
        .args(["govern", "replay", "--json"])
        .arg(&p)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5);
    let last: serde_json::Value = serde_json::from_str(lines[4]).unwrap();
    assert_eq!(last["persisted_state"], "VetoSignallingDeactivation");
    assert_eq!(last["time"], 432_001);
    assert_eq!(last["time_human"], "5d 0h 0m 1s");
    assert_eq!(last["result"], "ok");
    let second: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
    assert_eq!(second["t_lock"], 432_000);
    assert_eq!(second["r_percent"], "1.0000000000000999%");
}

fn write(dir: &tempfile::TempDir, name: &str, body: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, body).unwrap();
    p
}

#[test]
fn bad_timelines_exit_2_with_location() {
    let d = tempfile::tempdir().unwrap();
    let cases = [
        (
            "unknown_action.toml",
            "[[step]]\nat = \"1d\"\ndo = \"lok\"\n",
            ":3:6",
            "unknown action",
        ),
        (
            "bad_duration.toml",
            "[[step]]\nat = \"1d 5q\"\ndo = \"activate\"\n",
            ":2:6",
            "malformed duration",
        ),
        (
            "above_supply.toml",
            "[[step]]\ndo = \"lock\"\nholder = \"a\"\namount = \"101%\"\n",
            ":4:10",
            "above the total supply",
        ),
        (
            "above_supply_abs.toml",
            "[config]\ntotal_supply = \"100 ETH\"\n[[step]]\ndo = \"lock\"\nholder = \"a\"\namount = \"101 ETH\"\n",
            ":6:10",
            "above the total supply",
        ),
        (
            "negative.toml",
            "[[step]]\ndo = \"lock\"\nholder = \"a\"\namount = \"-5 ETH\"\n",
            ":4:10",
            "negative amount",
        ),
        (
            "unknown_key.toml",
            "[[step]]\ndo = \"activate\"\nwhen = \"1d\"\n",
            ":3:1",
            "unknown field",
        ),
        ("syntax.toml", "[[step]\n", ":1:", "error"),
    ];
    for (name, body, loc, msg) in cases {
        let p = write(&d, name, body);
        cw().args(["govern", "replay"])
            .arg(&p)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!("{name}{loc}")))
            .stderr(predicate::str::contains(msg))
            .stderr(predicate::str::contains("panicked").not());
    }
}

#[test]
fn missing_file_exits_2() {
    cw().args(["govern", "replay", "/nonexistent/timeline.toml"])
        .assert()
        .code(2);
}

#[test]
fn failed_expectation_exits_1_and_is_named() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        &d,
        "wrong.toml",
        "[[step]]\ndo = \"lock\"\nholder = \"a\"\namount = \"1%\"\nexpect_state = \"VetoSignalling\"\n[[step]]\ndo = \"unlock\"\nholder = \"a\"\nexpect_ok = true\n",
    );
    cw().args(["govern", "replay"])
        .arg(&p)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("step 2 (line 6, unlock)"))
        .stderr(predicate::str::contains(
            "expected ok, got MinAssetsLockDurationNotPassed",
        ));
}
