//! `sweep`: one scenario over a grid (or a Latin hypercube) of parameter values and
//! replicates, in parallel, streaming to disk, resumable.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::Ordering;

use clap::Args;
use counterweight::scenario::examples;
use counterweight::sweep::{self, ExecOptions, Source, SweepError};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::{limits, progress, render};

#[derive(Args)]
pub struct SweepArgs {
    /// A scenario file, or the name of an embedded example (see `counterweight scenarios`).
    /// A governance simulation file (as for `govern simulate`) sweeps the veto simulation.
    pub scenario: String,
    /// Vary a scenario field: KEY=START:STOP:STEP (inclusive of STOP when on the grid),
    /// KEY=V1,V2,V3, or KEY=log:START:STOP:N. Repeatable: full factorial, first key slowest.
    #[arg(long, value_name = "KEY=SPEC", required = true)]
    pub vary: Vec<String>,
    /// Pair the i-th values of every --vary instead of crossing them (equal lengths).
    #[arg(long, conflicts_with = "sample")]
    pub zip: bool,
    /// Replicates per point (default: the scenario's `replicates`).
    #[arg(long, value_name = "N")]
    pub replicates: Option<u32>,
    /// Latin hypercube: lhs:N draws N points over the ranges of the --vary keys.
    #[arg(long, value_name = "lhs:N")]
    pub sample: Option<String>,
    /// Output directory (default: runs/<name>-sweep-<timestamp>/). If it holds the same
    /// sweep (matching manifest.json), the sweep resumes there.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Resume the sweep in --out (also automatic when --out holds a matching manifest).
    #[arg(long, requires = "out")]
    pub resume: bool,
    /// Master seed (overrides the scenario's `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Override any scenario field for every run, e.g. --set time.end=10 (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// No progress bar and no summary.
    #[arg(long, short)]
    pub quiet: bool,
    /// Start even when the sweep has more than 1,000,000 runs or the estimate of memory or
    /// disk exceeds what this machine has.
    #[arg(long)]
    pub no_limits: bool,
}

/// How to make a sweep smaller, in a refusal.
const SWEEP_ADVICE: &str =
    "Make it smaller (fewer points or replicates, a larger output.every, fewer actors)";

fn source(arg: &str) -> Result<Source, ExitCode> {
    let path = Path::new(arg);
    if !path.exists()
        && let Some(ex) = examples::find(arg)
    {
        return Ok(Source {
            text: ex.toml.to_string(),
            origin: format!("<embedded {}>", ex.name),
            base_dir: None,
        });
    }
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Source {
            text,
            origin: path.display().to_string(),
            base_dir: path.parent().map(Path::to_path_buf),
        }),
        Err(e) => {
            render::error(format!(
                "cannot read the scenario {}: {e} (give a scenario file or an embedded example name)",
                path.display()
            ));
            Err(ExitCode::from(2))
        }
    }
}

fn fail(e: SweepError) -> ExitCode {
    match &e {
        SweepError::Scenario(se) => render::scenario_error(se),
        other => render::error(other),
    }
    ExitCode::from(if e.is_input() { 2 } else { 1 })
}

fn bar(total: u64, quiet: bool) -> ProgressBar {
    if quiet || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr_with_hz(5));
    pb.set_style(
        ProgressStyle::with_template("{pos}/{len} runs {per_sec} eta {eta}")
            .expect("valid template"),
    );
    pb
}

/// The most worker threads `--threads` accepts (more only cost memory and start-up time).
const MAX_THREADS: usize = 1024;

pub fn sweep(args: SweepArgs) -> ExitCode {
    if let Some(n) = args.threads.filter(|&n| n > MAX_THREADS) {
        render::error(format!(
            "--threads {n}: at most {MAX_THREADS} worker threads (results do not depend on it)"
        ));
        return ExitCode::from(2);
    }
    let src = match source(&args.scenario) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut sets = args.set.clone();
    if let Some(seed) = args.seed {
        sets.push(format!("seed={seed}"));
    }
    // The master seed keys a Latin hypercube's draws.
    let base = match sweep::plan::base_scenario(counterweight::model::builtin(), &src, &sets) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let out = args.out.clone().unwrap_or_else(|| {
        let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
        let name = counterweight::io::atomic::file_name_of(&base.name);
        PathBuf::from("runs").join(format!("{name}-sweep-{stamp}"))
    });
    let threads = args
        .threads
        .filter(|&n| n > 0)
        .unwrap_or_else(rayon::current_num_threads);
    let available = limits::available(&out);
    // The size first, from the count of points and the base scenario: a sweep of 10^7
    // points is refused before its points are built and validated.
    let points = match sweep::count_points(&args.vary, args.zip, args.sample.as_deref()) {
        Ok(n) => n,
        Err(e) => return fail(e),
    };
    let replicates = u64::from(args.replicates.unwrap_or(base.replicates)).max(1);
    let runs = points.saturating_mul(replicates);
    let first = counterweight::estimate::sweep(
        points,
        replicates,
        &counterweight::estimate::RunSize::of(&base),
        args.vary.len() as u64,
        sweep::plan::batch_size(runs),
        threads,
    );
    if let Err(code) = limits::enforce(
        &first,
        &available,
        args.no_limits,
        &format!(
            "this sweep ({} points × {} replicate{})",
            counterweight::estimate::format_count(points),
            counterweight::estimate::format_count(replicates),
            if replicates == 1 { "" } else { "s" }
        ),
        SWEEP_ADVICE,
    ) {
        return code;
    }
    let spec = match sweep::parse_spec(&args.vary, args.zip, args.sample.as_deref(), base.seed) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let pool = match rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()
    {
        Ok(p) => p,
        Err(e) => {
            render::error(format!("cannot start the worker threads: {e}"));
            return ExitCode::from(1);
        }
    };
    // Checking every point takes minutes for 10^6 of them: a progress bar on a terminal,
    // the worker threads, and Ctrl-C (nothing is written yet).
    let cancel = progress::interrupt_flag();
    let checking = progress::bar(spec.points.len() as u64, args.quiet, "checking the points");
    let tick = |n: u64| checking.set_position(n);
    let prepared = pool.install(|| {
        sweep::prepare_observed(
            counterweight::model::builtin(),
            src,
            sets,
            spec,
            args.replicates,
            &sweep::PrepareOptions {
                progress: Some(&tick),
                cancel: Some(&cancel),
            },
        )
    });
    checking.finish_and_clear();
    let plan = match prepared {
        Ok(p) => p,
        Err(SweepError::Cancelled) => progress::exit_interrupted(),
        Err(e) => return fail(e),
    };
    // Again with every point's size (a varied key may make runs larger than the base).
    let estimate = plan.estimate(threads);
    if let Err(code) = limits::enforce(
        &estimate,
        &available,
        args.no_limits,
        "this sweep",
        SWEEP_ADVICE,
    ) {
        return code;
    }
    let opened = match sweep::store::open(&out, &plan) {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    if !args.quiet {
        let done: u64 = opened
            .done
            .iter()
            .map(|&b| plan.batch_runs(b).end - plan.batch_runs(b).start)
            .sum();
        if opened.resumed {
            eprintln!(
                "resuming {}: {done} of {} runs already done",
                out.display(),
                plan.runs()
            );
        } else {
            eprintln!(
                "sweep {}: {} points × {} replicates = {} runs on {} threads -> {}",
                plan.name,
                plan.points(),
                plan.replicates,
                plan.runs(),
                pool.current_num_threads(),
                out.display()
            );
        }
        // The same line as `check` prints, for the whole sweep (resumed or not).
        eprintln!("estimate: {}", estimate.summary());
    }

    let pb = bar(plan.runs(), args.quiet);
    let tick = |n: u64| pb.set_position(n);
    let opts = ExecOptions {
        progress: Some(&tick),
        cancel: Some(&cancel),
    };
    let started = std::time::Instant::now();
    let outcome = pool.install(|| sweep::run(&plan, &out, &opened, &opts));
    pb.finish_and_clear();
    let summary = match outcome {
        Ok(sweep::Finished::Complete(s)) => s,
        Ok(sweep::Finished::Interrupted { saved }) => {
            let why = if cancel.load(Ordering::SeqCst) {
                "interrupted"
            } else {
                "stopped"
            };
            render::error(format!(
                "{why}: {saved} of {} runs are saved in {}; run the same command again to resume",
                plan.runs(),
                out.display()
            ));
            return ExitCode::from(130);
        }
        Err(e) => return fail(e),
    };
    let elapsed = started.elapsed();
    if args.quiet {
        println!("{}", out.join("report.html").display());
    } else {
        println!(
            "{} runs ({} failed, {} stopped at stop_at_share) in {:.2} s; results: {}; report: {}",
            summary.runs,
            summary.failed,
            summary.stopped,
            elapsed.as_secs_f64(),
            out.join("results.csv").display(),
            out.join("report.html").display()
        );
        if let Some(f) = summary.failures.first() {
            println!("first failure: {f}");
        }
    }
    ExitCode::SUCCESS
}
