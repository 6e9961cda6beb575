//! `counterweight measure SHARES.csv --value COL --entity COL --owners OWNERS.csv`: common
//! ownership (MHHI, ΔMHHI) in the printed table, `metrics.csv` and `summary.json`; errors.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn bin() -> Command {
    Command::cargo_bin("counterweight").unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Four firms (HHI 2,600), each 15% owned by the same two index funds, everyone else
/// dispersed without control: MHHI = 10,000, ΔMHHI = 7,400.
#[test]
fn owners_table_gives_mhhi_everywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let shares = write(
        tmp.path(),
        "shares.csv",
        "firm,sales\nA,30\nB,30\nC,20\nD,20\n",
    );
    let owners = write(
        tmp.path(),
        "owners.csv",
        "investor,firm,fraction\nI1,A,0.15\nI1,B,0.15\nI1,C,0.15\nI1,D,0.15\n\
         I2,A,0.15\nI2,B,0.15\nI2,C,0.15\nI2,D,0.15\n",
    );
    let out = tmp.path().join("m");
    bin()
        .args([
            "measure",
            shares.to_str().unwrap(),
            "--value",
            "sales",
            "--entity",
            "firm",
            "--owners",
            owners.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"MHHI \(0-10,000\)\s+10000").unwrap())
        .stdout(predicate::str::is_match(r"ΔMHHI = MHHI − HHI \(0-10,000\)\s+7400").unwrap());
    let csv = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = |name: &str| -> f64 {
        let i = header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("{name}"));
        row[i].parse().unwrap()
    };
    assert!((at("mhhi") - 1.0).abs() < 1e-12);
    assert!((at("delta_mhhi") - 0.74).abs() < 1e-12);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let fin = &summary["latest"];
    assert!((fin["mhhi"].as_f64().unwrap() - 1.0).abs() < 1e-12, "{fin}");
    assert!(
        (fin["delta_mhhi"].as_f64().unwrap() - 0.74).abs() < 1e-12,
        "{fin}"
    );
    // At the top level too, on both scales, and in the report's key numbers.
    assert!((summary["hhi"].as_f64().unwrap() - 0.26).abs() < 1e-12);
    assert!((summary["mhhi"].as_f64().unwrap() - 1.0).abs() < 1e-12);
    assert!((summary["delta_mhhi"].as_f64().unwrap() - 0.74).abs() < 1e-12);
    assert!((summary["mhhi_10000"].as_f64().unwrap() - 10_000.0).abs() < 1e-8);
    assert!((summary["delta_mhhi_10000"].as_f64().unwrap() - 7_400.0).abs() < 1e-8);
    assert_eq!(summary["key_numbers"]["MHHI (0-10,000)"], "10000");
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(report.contains("<td>MHHI (0-10,000)</td><td class=\"num\">10000</td>"));
    assert!(report.contains("<td>ΔMHHI = MHHI − HHI (0-10,000)</td><td class=\"num\">7400</td>"));
}

/// The toy industry of docs/gallery.md: eight firms (HHI 1,334), four index funds with 7% of
/// every firm and one 5% blockholder per firm. Each firm weighs a rival's profit by
/// 4·0.07² / (4·0.07² + 0.05²) = 0.0196/0.0221, so MHHI = HHI + (1 − HHI)·0.0196/0.0221
/// (the shares' cross products sum to 1 − HHI), computed here by hand.
#[test]
fn toy_industry_of_the_docs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/examples");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("m");
    bin()
        .arg("measure")
        .arg(dir.join("common-ownership-shares.csv"))
        .args(["--value", "sales", "--entity", "firm", "--owners"])
        .arg(dir.join("common-ownership-owners.csv"))
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let shares = [18.0, 16.0, 14.0, 13.0, 12.0, 10.0, 9.0, 8.0];
    let hhi: f64 = shares.iter().map(|s: &f64| (s / 100.0).powi(2)).sum();
    assert!((hhi - 0.1334).abs() < 1e-12);
    let weight = 4.0 * 0.07f64.powi(2) / (4.0 * 0.07f64.powi(2) + 0.05f64.powi(2));
    let mhhi = hhi + (1.0 - hhi) * weight;
    assert!((summary["hhi"].as_f64().unwrap() - hhi).abs() < 1e-12);
    assert!((summary["mhhi"].as_f64().unwrap() - mhhi).abs() < 1e-12);
    assert!((summary["delta_mhhi"].as_f64().unwrap() - (mhhi - hhi)).abs() < 1e-12);
}

#[test]
fn owners_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let shares = write(tmp.path(), "shares.csv", "firm,sales\nA,30\nB,30\n");
    let run = |owners: &Path, extra: &[&str]| {
        let mut c = bin();
        c.args(["measure", shares.to_str().unwrap(), "--value", "sales"]);
        c.args(extra);
        c.args(["--owners", owners.to_str().unwrap()]);
        c.args(["--out", tmp.path().join("never").to_str().unwrap()]);
        c.assert()
    };
    let bad = write(
        tmp.path(),
        "o1.csv",
        "investor,firm,fraction\nX,A,1.5\nX,B,1\n",
    );
    run(&bad, &["--entity", "firm"])
        .code(2)
        .stderr(predicate::str::contains("line 2").and(predicate::str::contains("[0, 1]")));
    let over = write(
        tmp.path(),
        "o2.csv",
        "investor,firm,fraction\nX,A,0.6\nY,A,0.6\nX,B,1\n",
    );
    run(&over, &["--entity", "firm"])
        .code(2)
        .stderr(predicate::str::contains("\"A\"").and(predicate::str::contains("more than 1")));
    let missing = write(tmp.path(), "o3.csv", "investor,firm,fraction\nX,A,1\n");
    run(&missing, &["--entity", "firm"])
        .code(2)
        .stderr(predicate::str::contains("\"B\"").and(predicate::str::contains("no owners")));
    // --owners needs --entity.
    run(&missing, &[]).code(2);
    assert!(!tmp.path().join("never").exists());
}
