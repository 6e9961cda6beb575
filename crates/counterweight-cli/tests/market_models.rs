//! The market and Harberger models through the binary (issue 12): `run` of the embedded
//! examples, `sweep` over one parameter of each model (identical results for any thread
//! count), and located errors.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

fn bin() -> Command {
    Command::cargo_bin("counterweight").unwrap()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The value of `col` in every data row of a CSV.
fn column(csv: &str, col: &str) -> Vec<String> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let i = header
        .iter()
        .position(|c| *c == col)
        .unwrap_or_else(|| panic!("no {col} in {header:?}"));
    lines
        .map(|l| l.split(',').nth(i).unwrap().to_string())
        .collect()
}

const HARBERGER: &str = r#"
name = "h-small"
model = "harberger"
seed = 5
time = { end = 40.0, dt = 1.0 }

[harberger]
tax_rate = 0.0
revaluation = 0.2

[[actors]]
group = "owners"
count = 400
initial = { uniform = { low = 0.000001, high = 1.0 } }

[output]
every = 40
"#;

#[test]
fn examples_are_listed_and_run() {
    bin()
        .arg("scenarios")
        .assert()
        .success()
        .stdout(predicate::str::contains("cournot"))
        .stdout(predicate::str::contains("market-power"))
        .stdout(predicate::str::contains("harberger"));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cournot");
    bin()
        .args(["run", "cournot", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .success();
    let metrics = read(&out.join("metrics.csv"));
    // P = (10 + 1 + 1.5 + 2 + 3)/5.
    assert_eq!(column(&metrics, "price"), vec!["3.5", "3.5"]);
    assert_eq!(column(&metrics, "active_firms"), vec!["4", "4"]);
    let summary = read(&out.join("summary.json"));
    assert!(summary.contains("lerner"), "{summary}");
    assert!(out.join("report.html").exists());

    let out = dir.path().join("harberger");
    bin()
        .args([
            "run",
            "harberger",
            "--quiet",
            "--set",
            "time.end=20",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let metrics = read(&out.join("metrics.csv"));
    for c in [
        "mean_price_ratio",
        "mean_declared_price",
        "turnover",
        "allocative_efficiency",
        "tax_revenue",
    ] {
        assert_eq!(column(&metrics, c).len(), 3 * 3, "{c}");
    }
}

/// A sweep over the tax rate: one row per point, the model's columns in `results.csv` and
/// `summary.csv`, and byte-identical results on 1 and 2 threads.
#[test]
fn sweep_over_the_tax_rate() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("h.toml");
    std::fs::write(&sc, HARBERGER).unwrap();
    let mut results = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("sweep{threads}"));
        bin()
            .args(["sweep", sc.to_str().unwrap(), "--quiet", "--out"])
            .arg(&out)
            .args([
                "--vary",
                "harberger.tax_rate=0:0.5:0.25",
                "--replicates",
                "2",
                "--threads",
                threads,
            ])
            .assert()
            .success();
        let r = read(&out.join("results.csv"));
        assert_eq!(
            column(&r, "harberger.tax_rate"),
            ["0", "0", "0.25", "0.25", "0.5", "0.5"]
        );
        assert!(column(&r, "status").iter().all(|s| s == "ok"));
        // No tax, no revenue; revenue with a tax.
        let rev = column(&r, "tax_revenue");
        assert_eq!(rev[0], "0");
        assert!(rev[2].parse::<f64>().unwrap() > 0.0);
        let s = read(&out.join("summary.csv"));
        assert_eq!(column(&s, "allocative_efficiency_mean").len(), 3);
        results.push(r);
    }
    assert_eq!(results[0], results[1]);
}

/// A sweep over the market's demand intercept: the price rises with it.
#[test]
fn sweep_over_the_demand_intercept() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    bin()
        .args(["sweep", "cournot", "--quiet", "--out"])
        .arg(&out)
        .args(["--vary", "market.intercept=5,10,20"])
        .assert()
        .success();
    let r = read(&out.join("results.csv"));
    // P = (a + Σ active costs)/(n + 1): a = 5 prices out the firm of cost 3.
    assert_eq!(column(&r, "price"), ["2.375", "3.5", "5.5"]);
}

#[test]
fn bad_inputs_are_located() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("h.toml");
    std::fs::write(&sc, HARBERGER.replace("tax_rate = 0.0", "tax_rate = -0.5")).unwrap();
    bin()
        .args(["check", sc.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("harberger.tax_rate"))
        .stderr(predicate::str::contains("h.toml:"));
    bin()
        .args(["run", "cournot", "--set", "market.slope=0", "--out"])
        .arg(dir.path().join("x"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("market.slope"));
}
