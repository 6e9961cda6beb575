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

    // summary.json holds both layers and the largest groups; the groups' values are the
    // file's rows summed by provider (counted here independently of the library).
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["group_column"], "provider");
    let nc = |layer: &str| -> Vec<u64> {
        ["nakamoto_1_3", "nakamoto_1_2", "nakamoto_2_3"]
            .iter()
            .map(|k| summary["layers"][layer][k].as_u64().unwrap())
            .collect()
    };
    assert_eq!(nc("by_entity"), vec![6, 21, 36]);
    assert_eq!(nc("by_group"), vec![2, 2, 4]);
    let mut by_provider: std::collections::HashMap<String, f64> = Default::default();
    let text = std::fs::read_to_string(HOLDINGS).unwrap();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        *by_provider.entry(f[1].to_string()).or_default() += f[2].parse::<f64>().unwrap();
    }
    let total: f64 = by_provider.values().sum();
    let groups = summary["top_groups"].as_array().unwrap();
    assert_eq!(groups.len(), 10.min(by_provider.len()));
    assert_eq!(
        summary["layers"]["by_group"]["n"].as_u64().unwrap() as usize,
        by_provider.len()
    );
    let mut previous = f64::INFINITY;
    for g in groups {
        let name = g["entity"].as_str().unwrap();
        let value = g["value"].as_f64().unwrap();
        assert_eq!(value, by_provider[name], "{name}");
        assert!((g["share"].as_f64().unwrap() - value / total).abs() < 1e-12);
        assert!(value <= previous, "top_groups out of order at {name}");
        previous = value;
    }
    let top1 = summary["layers"]["by_group"]["top1_share"]
        .as_f64()
        .unwrap();
    assert!((top1 - groups[0]["share"].as_f64().unwrap()).abs() < 1e-12);
    // The report shows the layers as a table and the groups as a bar chart.
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(report.contains("<h2>Layers</h2>"));
    assert!(report.contains("Nakamoto by group (&gt; 1/3, &gt; 1/2, &gt; 2/3)"));
    assert!(report.contains("top_groups.png"));
    assert!(out.join("top_groups.png").is_file() && out.join("top_groups.svg").is_file());
    let files: Vec<&str> = summary["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(files.contains(&"top_groups.png"), "{files:?}");
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
