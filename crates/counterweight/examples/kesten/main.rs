//! Run a scenario of a model defined outside the library (`model.rs`): build a registry
//! that extends the built-in one, then use the library as usual.
//!
//! `cargo run --release -p counterweight --example kesten -- OUT_DIR`

mod model;

use counterweight::io::run::{RunRecord, write_run_dir};
use counterweight::runner::{self, RunOptions};
use counterweight::scenario;

const SCENARIO: &str = r#"
name = "kesten"
model = "kesten"
seed = 7
time = { end = 200.0, dt = 1.0 }

[kesten]
log_mean = -0.1
log_sd = 0.3
inflow = 1.0

[[actors]]
group = "households"
count = 10000
initial = { constant = 1.0 }

[output]
every = 10
"#;

fn main() {
    // The one registration line.
    let registry = counterweight::model::builtin().clone().with(model::Kesten);
    let exp = scenario::parse_with(&registry, SCENARIO, "kesten.toml", None, &[])
        .unwrap_or_else(|e| panic!("{e}"));
    let out = runner::run_experiment(&exp, &RunOptions::default()).expect("runs");
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "runs/kesten".into());
    write_run_dir(dir.as_ref(), &RunRecord::from_output(&exp, &out)).expect("writes");
    // The model's own closed form beside the simulated mean (the setup is the model's type).
    let setup = exp.variants[0].scenario.model.get::<model::KestenSetup>();
    let mean = out
        .metrics_table()
        .f64_column("mean")
        .and_then(|m| m.last().copied());
    if let (Some(setup), Some(mean)) = (setup, mean) {
        println!(
            "mean at t = 200: {mean:.3}; stationary mean b / (1 - E[a]) = {:.3}",
            setup.stationary_mean()
        );
    }
    println!("wrote {dir}/report.html");
}
