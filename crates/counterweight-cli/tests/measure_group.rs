//! `counterweight measure --group COL`: shares and layered metrics by entity and by group
//! on the 2023 staking holdings (operators -> providers).

use assert_cmd::Command;
use predicates::prelude::*;

const HOLDINGS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../scenarios/data/eth-staking-operators-2023-04-19.csv"
);

fn bin() -> Command {
    Command::cargo_bin("counterweight").unwrap()
}

#[test]
fn measure_by_entity_and_group() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("m");
    bin()
        .args([
            "measure",
            HOLDINGS,
            "--value",
            "validators",
            "--entity",
            "operator",
            "--group",
            "provider",
            "--out",
            out.to_str().unwrap(),
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Nakamoto by entity (> 1/3, > 1/2, > 2/3)",
        ))
        .stdout(predicate::str::contains("6, 21, 36"))
        .stdout(predicate::str::contains(
            "Nakamoto by group (> 1/3, > 1/2, > 2/3)",
        ))
        .stdout(predicate::str::contains("2, 2, 4"))
        .stdout(predicate::str::contains("top groups:"));
    let csv = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    // measure writes its own columns (no replicate/step since the hardening of issue 15).
    assert!(header.starts_with("n_entities,"), "{header}");
    assert!(header.contains(",n_groups,") && header.contains(",hhi_by_group,"));
    assert!(out.join("report.html").is_file());
}

#[test]
fn group_needs_entity() {
    bin()
        .args([
            "measure",
            HOLDINGS,
            "--value",
            "validators",
            "--group",
            "provider",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--entity"));
}
