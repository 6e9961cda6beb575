//! A model defined outside the library (examples/kesten/model.rs, the walk-through of
//! docs/extending.md) runs through the runner, the run directory with its report, and a
//! sweep, with no other file touched: one registration line.

#[path = "../examples/kesten/model.rs"]
mod model;

use counterweight::io::run::{RunRecord, write_run_dir};
use counterweight::runner::{self, RunOptions};
use counterweight::scenario;
use counterweight::sweep::{self, ExecOptions, Source};

const SCENARIO: &str = r#"
name = "kesten-test"
model = "kesten"
seed = 3
time = { end = 60.0, dt = 1.0 }

[kesten]
log_mean = -0.2
log_sd = 0.0
inflow = 1.0

[[actors]]
group = "households"
count = 50
initial = { uniform = { low = 0.5, high = 2.0 } }

[output]
every = 10
"#;

fn registry() -> counterweight::registry::Registry {
    counterweight::model::builtin().clone().with(model::Kesten)
}

#[test]
fn the_builtin_registry_does_not_know_it() {
    let e = scenario::parse(SCENARIO, "k.toml", None, &[]).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("model"));
    assert!(e.message.contains("unknown model \"kesten\""), "{e}");
}

#[test]
fn runs_and_writes_a_run_directory_with_its_own_column() {
    let exp = scenario::parse_with(&registry(), SCENARIO, "k.toml", None, &[]).unwrap();
    let out = runner::run_experiment(&exp, &RunOptions::default()).unwrap();
    let m = out.metrics_table();
    // Concentration metrics by default, then the model's own column.
    assert!(m.names.iter().any(|n| n == "gini"));
    let mean = m.f64_column("mean").unwrap();
    assert_eq!(mean.len(), 7);
    // Deterministic (s = 0): x_t -> b/(1-a) = 5.5167 geometrically, a = e^-0.2; after 60
    // steps the gap is a^60 = e^-12 ~ 6e-6 of the initial one, which lies between
    // b/(1-a) - 2 and b/(1-a) - 0.5 (initial values uniform on [0.5, 2]). The mean is below
    // the limit, by no more than that.
    let target = 1.0 / (1.0 - (-0.2f64).exp());
    let setup = exp.variants[0]
        .scenario
        .model
        .get::<model::KestenSetup>()
        .unwrap();
    assert!((setup.stationary_mean() - target).abs() < 1e-12);
    let shrink = (-12.0f64).exp();
    let gap = target - mean[6];
    assert!(
        gap > (target - 2.0) * shrink * (1.0 - 1e-9)
            && gap < (target - 0.5) * shrink * (1.0 + 1e-9),
        "{} (gap {gap})",
        mean[6]
    );
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("run");
    write_run_dir(&run_dir, &RunRecord::from_output(&exp, &out)).unwrap();
    let csv = std::fs::read_to_string(run_dir.join("metrics.csv")).unwrap();
    assert!(csv.lines().next().unwrap().ends_with(",mean"), "{csv}");
    assert!(run_dir.join("metrics.parquet").exists());
    let report = std::fs::read_to_string(run_dir.join("report.html")).unwrap();
    assert!(report.contains("kesten-test"));
    // Its declared chart, drawn by the library with no plotting code of its own.
    assert!(run_dir.join("mean.png").exists());
    assert!(report.contains("mean.svg") && report.contains("Mean wealth over time"));
}

#[test]
fn sweeps_through_the_same_code_path() {
    let reg = registry();
    let src = Source {
        text: SCENARIO.into(),
        origin: "k.toml".into(),
        base_dir: None,
    };
    let spec = sweep::parse_spec(&["kesten.inflow=1,2".into()], false, None, 3).unwrap();
    let plan = sweep::plan::prepare_with(&reg, src, Vec::new(), spec, Some(2)).unwrap();
    assert!(plan.metrics.iter().any(|(n, _)| n == "mean"));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let opened = sweep::store::open(&out, &plan).unwrap();
    let done = sweep::run(&plan, &out, &opened, &ExecOptions::default()).unwrap();
    let sweep::Finished::Complete(summary) = done else {
        panic!("not complete")
    };
    assert_eq!(summary.runs, 4);
    assert_eq!(summary.failed, 0);
    let results = std::fs::read_to_string(out.join("results.csv")).unwrap();
    assert!(results.lines().next().unwrap().contains("mean"));
    let summary_csv = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert!(summary_csv.contains("mean_mean"), "{summary_csv}");
    assert!(out.join("report.html").exists());
}
