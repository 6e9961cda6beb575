//! `run`, `check` and `scenarios`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use comfy_table::{Table as Pretty, presets::UTF8_BORDERS_ONLY};
use counterweight::io::run::{
    PhaseTimes, final_mean, final_row, fmt_count, format_number, run_to_dir_timed, summary,
};
use counterweight::registry::Observation;
use counterweight::runner::{self, ExperimentOutput, RunOptions};
use counterweight::scenario::{self, Experiment, ScenarioError, examples};

use crate::{progress, render};

#[derive(Args)]
pub struct RunArgs {
    /// A scenario file, or the name of an embedded example (see `counterweight scenarios`).
    /// Default: the embedded `core-claim`.
    pub scenario: Option<String>,
    /// Output directory (default: runs/<name>-<timestamp>/). Must not exist or be empty.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Master seed (overrides the scenario's `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Override any scenario field, e.g. --set growth.returns_to_scale=1.2 (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Also write each actor's value: at every recorded step (`all`, the default when the
    /// flag is given alone) or at the end only (`final`).
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "all", value_name = "WHEN")]
    pub actors: Option<ActorsArg>,
    /// No progress bar and no summary table.
    #[arg(long, short)]
    pub quiet: bool,
    /// Print the run's summary.json (the final values) instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Run every entry of the gallery of the essays' claims (docs/gallery.md) and write one
    /// report: a directory with one run per entry and an index report.html.
    #[arg(long, conflicts_with_all = ["scenario", "seed", "set", "actors"])]
    pub gallery: bool,
    /// Start even when the estimate of memory or disk exceeds what this machine has
    /// (`counterweight check` prints the estimate).
    #[arg(long)]
    pub no_limits: bool,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ActorsArg {
    All,
    Final,
}

#[derive(Args)]
pub struct CheckArgs {
    /// The scenario file (or embedded example name) to validate.
    pub scenario: String,
    /// Overrides to validate with it, as in `run`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}

#[derive(Args)]
pub struct ScenariosArgs {
    /// Print this example's TOML (or write it with --write).
    pub name: Option<String>,
    /// Write the example to this file, as a starting point for your own scenario.
    #[arg(long, value_name = "FILE", requires = "name")]
    pub write: Option<PathBuf>,
}

/// Load a scenario argument: an existing file, else an embedded example by name.
#[allow(clippy::result_large_err)] // see counterweight::scenario::load
fn load(arg: Option<&str>, overrides: &[String]) -> Result<Experiment, ScenarioError> {
    let arg = arg.unwrap_or(examples::DEFAULT);
    let path = Path::new(arg);
    if !path.exists()
        && let Some(ex) = examples::find(arg)
    {
        return scenario::parse(ex.toml, &format!("<embedded {}>", ex.name), None, overrides);
    }
    scenario::load(path, overrides)
}

/// The output directory: `--out`, or `runs/<name>-<timestamp>/` with the name made a
/// safe file name (it can never escape `runs/`). `None` (after printing why) if it cannot
/// be written: it exists and is not empty, a part of its path is a file, it is a dangling
/// link, or its name is too long. Checked before any computation.
pub fn output_dir(out: Option<PathBuf>, name: &str) -> Option<PathBuf> {
    let out = out.unwrap_or_else(|| {
        let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
        let name = counterweight::io::atomic::file_name_of(name);
        PathBuf::from("runs").join(format!("{name}-{stamp}"))
    });
    if let Err(e) = counterweight::io::atomic::check_output_dir(&out) {
        match e {
            counterweight::io::IoError::OutputExists { .. } => render::error(format!(
                "output directory {} already exists and is not empty (choose another --out)",
                out.display()
            )),
            e => render::error(e),
        }
        return None;
    }
    Some(out)
}

/// How to make a run smaller, in a refusal.
const RUN_ADVICE: &str =
    "Make it smaller (fewer actors or replicates, a larger output.every, --actors final or none)";

pub fn run(args: RunArgs) -> ExitCode {
    if args.gallery {
        return crate::gallery::run(&args);
    }
    let mut overrides = args.set.clone();
    if let Some(seed) = args.seed {
        overrides.push(format!("seed={seed}"));
    }
    match args.actors {
        Some(ActorsArg::All) => overrides.push("output.actors=\"all\"".into()),
        Some(ActorsArg::Final) => overrides.push("output.actors=\"final\"".into()),
        None => {}
    }
    let exp = match load(args.scenario.as_deref(), &overrides) {
        Ok(e) => e,
        Err(e) => {
            render::scenario_error(&e);
            return ExitCode::from(2);
        }
    };
    let Some(out) = output_dir(args.out.clone(), &exp.name) else {
        return ExitCode::from(2);
    };
    let est = counterweight::estimate::experiment(&exp, rayon::current_num_threads());
    if let Err(code) = crate::limits::enforce(
        &est,
        &crate::limits::available(&out),
        args.no_limits,
        "this run",
        RUN_ADVICE,
    ) {
        return code;
    }

    let cancel = progress::interrupt_flag();
    let bar = progress::bar(runner::total_steps(&exp), args.quiet, &exp.name);
    let tick = |done: u64| bar.set_position(done);
    let opts = RunOptions {
        progress: Some(&tick),
        cancel: Some(&cancel),
    };
    let started = std::time::Instant::now();
    // The run computes inside the output's staging directory: per-actor rows stream to
    // disk as they are produced (memory does not grow with them), and the directory
    // appears whole at the end or not at all.
    let result =
        counterweight::io::atomic::cancellable(&cancel, || run_to_dir_timed(&out, &exp, &opts));
    bar.finish_and_clear();
    let (output, record, times) = match result {
        Ok(o) => o,
        Err(e) => {
            if e.is_cancelled() || cancel.load(std::sync::atomic::Ordering::SeqCst) {
                progress::exit_interrupted();
            }
            render::error(e);
            return ExitCode::from(1);
        }
    };
    let elapsed = started.elapsed();
    if args.json {
        // The same value summary.json holds (one implementation: io::run::summary).
        match serde_json::to_string_pretty(&summary(&record)) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                render::error(format!("cannot print the summary: {e}"));
                return ExitCode::from(1);
            }
        }
    } else if !args.quiet {
        print_summary(&exp, &output, &out, elapsed, times);
    } else {
        println!("{}", out.join("report.html").display());
    }
    ExitCode::SUCCESS
}

fn print_summary(
    exp: &Experiment,
    out: &ExperimentOutput,
    dir: &Path,
    elapsed: std::time::Duration,
    times: PhaseTimes,
) {
    let observation = exp.variants[0].scenario.model.setup().observation();
    if !observation.concentration {
        print_key_columns(exp, out, &observation);
        print_finished(elapsed, times, dir);
        return;
    }
    let mut t = Pretty::new();
    t.load_style(UTF8_BORDERS_ONLY);
    t.set_header(vec![
        "variant",
        "t",
        "top-1",
        "top-10%",
        "Gini",
        "HHI",
        "eff. N",
        "Nakamoto 1/3",
        "Nakamoto 1/2",
    ]);
    for (label, o) in &out.variants {
        let row = final_row(&o.metrics);
        t.add_row(vec![
            label.clone(),
            format!("{:.1}", row("time")),
            format!("{:.3}", row("top1_share")),
            format!("{:.3}", row("top10pct_share")),
            format!("{:.3}", row("gini")),
            format!("{:.4}", row("hhi")),
            format!("{:.1}", row("effective_number")),
            fmt_count(row("nakamoto_1_3")),
            fmt_count(row("nakamoto_1_2")),
        ]);
    }
    println!("{} — final state (replicate 0)", exp.name);
    println!("{t}");
    // A concentration model with its own key columns (a market's Lerner index, staking's
    // layers) shows them too.
    if !observation.key.is_empty() {
        print_key_columns(exp, out, &observation);
    }
    for (label, o) in &out.variants {
        for s in &o.early_stops {
            println!(
                "note: {label}: replicate {} stopped at t = {:.2}, top-1 share {:.3} >= stop_at_share",
                s.replicate, s.time, s.top1_share
            );
        }
    }
    print_finished(elapsed, times, dir);
}

/// The last line: the wall-clock time, split into the model and the writing of the
/// outputs (issue 14 asks that the outputs cost little beside the model; this shows it
/// on every run), and where the report is.
fn print_finished(elapsed: std::time::Duration, times: PhaseTimes, dir: &Path) {
    println!(
        "finished in {:.2} s (model {:.2} s, outputs {:.2} s); report: {}",
        elapsed.as_secs_f64(),
        times.model,
        times.outputs,
        dir.join("report.html").display()
    );
}

/// The final value of each key column per variant (the mean over replicates when there
/// are several).
fn print_key_columns(exp: &Experiment, out: &ExperimentOutput, observation: &Observation) {
    let keys = observation.key_columns();
    let mut t = Pretty::new();
    t.load_style(UTF8_BORDERS_ONLY);
    let mut header = vec!["variant".to_string(), "t".to_string()];
    header.extend(keys.iter().map(|k| k.to_string()));
    t.set_header(header);
    let replicates = exp.variants[0].scenario.replicates;
    for (label, o) in &out.variants {
        let row = final_row(&o.metrics);
        let mut cells = vec![label.clone(), format!("{:.1}", row("time"))];
        cells.extend(keys.iter().map(|k| {
            format_number(if replicates > 1 {
                final_mean(&o.metrics, k)
            } else {
                row(k)
            })
        }));
        t.add_row(cells);
    }
    if replicates > 1 {
        println!(
            "{} — final state (mean of {replicates} replicates, where defined)",
            exp.name
        );
    } else {
        println!("{} — final state", exp.name);
    }
    println!("{t}");
}

pub fn check(args: CheckArgs) -> ExitCode {
    match load(Some(&args.scenario), &args.set) {
        Ok(exp) => {
            for v in &exp.variants {
                let s = &v.scenario;
                println!(
                    "ok: {} — model {}, {} actors in {} group(s), {} steps of dt = {}, {} replicate(s), {} polic{}",
                    v.label,
                    s.model.name(),
                    s.actor_count(),
                    s.groups.len(),
                    s.time.steps,
                    format_number(s.time.dt),
                    s.replicates,
                    s.policy_count,
                    if s.policy_count == 1 { "y" } else { "ies" }
                );
            }
            let est = counterweight::estimate::experiment(&exp, rayon::current_num_threads());
            crate::limits::report(&est, &crate::limits::available(Path::new("runs")), "run");
            let simd = counterweight::simd::in_use().name();
            match counterweight::simd::limit_from_env() {
                Ok(Some(limit)) => println!(
                    "vector instructions: {simd} ({}={}; the results are the same on every level)",
                    counterweight::simd::SIMD_ENV,
                    limit.name()
                ),
                _ => println!(
                    "vector instructions: {simd} (the widest this CPU has; {} limits them, the results are the same)",
                    counterweight::simd::SIMD_ENV
                ),
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            render::scenario_error(&e);
            ExitCode::from(2)
        }
    }
}

pub fn scenarios(args: ScenariosArgs) -> ExitCode {
    let Some(name) = args.name else {
        let mut t = Pretty::new();
        t.load_style(UTF8_BORDERS_ONLY);
        t.set_header(vec!["name", "what it shows"]);
        for e in examples::EXAMPLES {
            let mark = if e.name == examples::DEFAULT {
                " (default)"
            } else {
                ""
            };
            let gallery = if examples::in_gallery(e.name) {
                " [gallery]"
            } else {
                ""
            };
            t.add_row(vec![
                format!("{}{mark}{gallery}", e.name),
                e.summary.to_string(),
            ]);
        }
        println!("{t}");
        println!(
            "Run one: counterweight run NAME   Run the gallery: counterweight run --gallery   Print one: counterweight scenarios NAME   Copy one: counterweight scenarios NAME --write FILE.toml"
        );
        return ExitCode::SUCCESS;
    };
    let Some(ex) = examples::find(&name) else {
        let names: Vec<_> = examples::EXAMPLES.iter().map(|e| e.name).collect();
        render::error(format!(
            "no embedded scenario \"{name}\" (available: {})",
            names.join(", ")
        ));
        return ExitCode::from(2);
    };
    match args.write {
        None => {
            print!("{}", ex.toml);
            ExitCode::SUCCESS
        }
        Some(path) => {
            if path.exists() {
                render::error(format!(
                    "{} already exists; not overwriting it",
                    path.display()
                ));
                return ExitCode::from(2);
            }
            match counterweight::io::write_atomic_bytes(&path, ex.toml.as_bytes()) {
                Ok(()) => {
                    println!(
                        "wrote {} (run it with: counterweight run {})",
                        path.display(),
                        path.display()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    render::error(e);
                    ExitCode::from(1)
                }
            }
        }
    }
}
