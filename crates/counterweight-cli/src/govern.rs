//! `counterweight govern ...` (Dual Governance): `replay` a timeline, `simulate` vetoes.
//! Rendering only; the library does the work.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;

use counterweight::governance::dual::simulate;
use counterweight::governance::dual::timeline::{
    self, Replayer, StepRecord, Timeline, TimelineError,
};
use counterweight::governance::dual::types::human_seconds;

#[derive(Subcommand)]
pub enum GovernCommand {
    /// Replay a timeline of actions against the Dual Governance state machine.
    Replay {
        /// The timeline file (TOML).
        timeline: PathBuf,
        /// One JSON object per step instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Veto simulation: holders, proposals, detection and reaction; Monte Carlo replicates.
    /// An alias of `counterweight run SCENARIO` with `model = "veto"`.
    Simulate(SimulateArgs),
}

#[derive(clap::Args)]
pub struct SimulateArgs {
    /// The simulation scenario (TOML); default: the embedded `veto-default`
    /// (scenarios/governance/simulate/default.toml).
    pub scenario: Option<String>,
    /// Output directory (default: `runs/<name>-<timestamp>/`). Must not exist or be empty.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Override the master seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Override any scenario field: --set config.first_seal=0.5% --set replicates=50
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Print only the output directory.
    #[arg(long)]
    pub quiet: bool,
    /// Print the summary as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Start even when the estimate of memory or disk exceeds what this machine has.
    #[arg(long)]
    pub no_limits: bool,
}

pub fn main(cmd: GovernCommand) -> ExitCode {
    match cmd {
        GovernCommand::Replay { timeline, json } => replay(&timeline, json),
        GovernCommand::Simulate(args) => {
            // Files written before the veto simulation was a model have no `model` line.
            // Nor, often, a `name` (it was optional there): the file's stem stands in.
            let mut set = vec![format!("model=\"{}\"", simulate::MODEL)];
            if let Some(path) = args.scenario.as_deref().map(Path::new)
                && let Ok(text) = std::fs::read_to_string(path)
                && text
                    .parse::<toml::Table>()
                    .is_ok_and(|t| !t.contains_key("name"))
            {
                let stem = path
                    .file_stem()
                    .map_or("veto".into(), |s| s.to_string_lossy());
                set.push(format!("name={}", toml::Value::from(stem.to_string())));
            }
            set.extend(args.set);
            crate::run::run(crate::run::RunArgs {
                scenario: Some(
                    args.scenario
                        .unwrap_or_else(|| simulate::DEFAULT_EXAMPLE.into()),
                ),
                out: args.out,
                seed: args.seed,
                set,
                actors: None,
                quiet: args.quiet,
                json: args.json,
                gallery: false,
                no_limits: args.no_limits,
            })
        }
    }
}

/// Render a timeline error as `file:line:col` with a window of the offending line (at
/// most about 120 characters around the column) and a caret: one screen, always.
pub fn render_error(path: &Path, src: &str, e: &TimelineError) -> String {
    format!(
        "error: {}",
        counterweight::diagnostic::timeline(&path.display().to_string(), src, e)
    )
}

fn replay(path: &Path, json: bool) -> ExitCode {
    use counterweight::io::input::{self, ReadError};
    let src = match input::read_text(path, input::TEXT_LIMIT) {
        Ok(s) => s,
        Err(ReadError::NotUtf8 { line, col, .. }) => {
            eprintln!(
                "error: invalid UTF-8: a timeline is UTF-8 text\n  --> {}:{line}:{col}",
                path.display()
            );
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    let tl = match timeline::parse(&src) {
        Ok(t) => t,
        Err(e) => {
            eprint!("{}", render_error(path, &src, &e));
            return ExitCode::from(2);
        }
    };
    let mut rp = match Replayer::new(tl.config, tl.total_supply, tl.proposals.len()) {
        Ok(r) => r,
        Err(e) => {
            let e = TimelineError {
                message: format!("invalid [config]: {e}"),
                span: None,
            };
            eprint!("{}", render_error(path, &src, &e));
            return ExitCode::from(2);
        }
    };
    // Step by step: with --json each step is printed as soon as it is replayed, so a
    // run-time error (exit 2) comes after the steps that were replayed before it.
    let mut records = Vec::with_capacity(tl.steps.len());
    for step in &tl.steps {
        match rp.step(step) {
            Ok(r) => {
                if json {
                    println!("{}", timeline::step_json(&tl, &r));
                }
                records.push(r);
            }
            Err(e) => {
                if !json && !records.is_empty() {
                    print_table(&tl, &records);
                }
                eprint!("{}", render_error(path, &src, &e));
                return ExitCode::from(2);
            }
        }
    }
    if !json {
        print_table(&tl, &records);
    }
    let failures: usize = records.iter().map(|r| r.failures.len()).sum();
    if let Some(f) = records.iter().flat_map(|r| r.failures.iter()).next() {
        eprintln!(
            "{}: expectation failed: {f} ({failures} failed expectation(s) in total)",
            path.display(),
        );
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

fn print_table(tl: &Timeline, records: &[StepRecord]) {
    let mut t = comfy_table::Table::new();
    t.load_style(comfy_table::presets::UTF8_BORDERS_ONLY);
    t.set_header(vec![
        "step",
        "time_s",
        "time",
        "action",
        "args",
        "result",
        "persisted",
        "effective",
        "R",
        "T_lock",
        "",
    ]);
    for r in records {
        let (res, detail) = timeline::result_parts(r);
        let res = if detail.is_empty() || r.result.is_err() {
            res
        } else {
            format!("ok {detail}")
        };
        let mark = if r.failures.is_empty() {
            ""
        } else {
            "<-- FAILED"
        };
        t.add_row(vec![
            (r.index + 1).to_string(),
            r.time.to_string(),
            human_seconds(r.time),
            r.action.name().to_string(),
            timeline::step_args(tl, r),
            res,
            r.persisted.name().to_string(),
            r.effective.name().to_string(),
            r.r.to_string(),
            human_seconds(r.t_lock.as_secs()),
            mark.to_string(),
        ]);
    }
    for i in [0, 1, 8] {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(comfy_table::CellAlignment::Right);
        }
    }
    println!("{t}");
}
