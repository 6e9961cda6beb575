//! `counterweight govern ...` (Dual Governance): `replay` a timeline, `simulate` vetoes.
//! Rendering only; the library does the work.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;

use counterweight::governance::dual::simulate;
use counterweight::governance::dual::timeline::{self, StepRecord, Timeline, TimelineError};
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
    /// Output directory (default: runs/<name>-<timestamp>/). Must not exist or be empty.
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
            })
        }
    }
}

/// Render a timeline error as `file:line:col` with the offending line and a caret.
pub fn render_error(path: &Path, src: &str, e: &TimelineError) -> String {
    let mut out = format!("error: {}\n", e.message);
    if let Some(span) = &e.span {
        let (line, col) = timeline::line_col(src, span.start);
        out.push_str(&format!("  --> {}:{line}:{col}\n", path.display()));
        if let Some(text) = src.lines().nth(line - 1) {
            let width = src[span.start..span.end.min(src.len())]
                .lines()
                .next()
                .map_or(1, |s| s.chars().count().max(1));
            let gutter = line.to_string().len();
            out.push_str(&format!("{:gutter$} |\n", ""));
            out.push_str(&format!("{line} | {text}\n"));
            out.push_str(&format!(
                "{:gutter$} | {}{}\n",
                "",
                " ".repeat(col - 1),
                "^".repeat(width)
            ));
        }
    } else {
        out.push_str(&format!("  --> {}\n", path.display()));
    }
    out
}

fn replay(path: &Path, json: bool) -> ExitCode {
    let src = match std::fs::read_to_string(path) {
        Ok(s) => s,
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
    let rp = match timeline::replay(&tl) {
        Ok(r) => r,
        Err(e) => {
            eprint!("{}", render_error(path, &src, &e));
            return ExitCode::from(2);
        }
    };
    if json {
        for r in &rp.records {
            println!("{}", json_line(&tl, r));
        }
    } else {
        print_table(&tl, &rp.records);
    }
    if let Some(f) = rp.first_failure() {
        eprintln!(
            "{}: expectation failed: {f} ({} failed expectation(s) in total)",
            path.display(),
            rp.failures()
        );
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

fn who(tl: &Timeline, r: &StepRecord) -> String {
    let mut parts = Vec::new();
    if let Some(h) = r.holder {
        parts.push(tl.holders[h as usize].clone());
    }
    if let Some(p) = r.proposal {
        parts.push(tl.proposals[p].clone());
    }
    if let Some(a) = r.amount {
        parts.push(format!("{} stETH", timeline::format_wei(a)));
    }
    parts.join(" ")
}

fn result_str(r: &StepRecord) -> (String, String) {
    match &r.result {
        Ok(o) => ("ok".into(), o.to_string()),
        Err(e) => (e.name().into(), e.to_string()),
    }
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
        let (res, detail) = result_str(r);
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
            who(tl, r),
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

fn json_line(tl: &Timeline, r: &StepRecord) -> String {
    let (res, detail) = result_str(r);
    let v = serde_json::json!({
        "step": r.index + 1,
        "line": r.line,
        "time": r.time,
        "time_human": human_seconds(r.time),
        "action": r.action.name(),
        "holder": r.holder.map(|h| tl.holders[h as usize].clone()),
        "proposal": r.proposal.map(|p| tl.proposals[p].clone()),
        "amount_wei": r.amount.map(|a| a.to_string()),
        "result": res,
        "detail": detail,
        "persisted_state": r.persisted.name(),
        "effective_state": r.effective.name(),
        "r_percent": r.r.to_string(),
        "r_d16": r.r.0.to_string(),
        "t_lock": r.t_lock.0,
        "t_lock_human": human_seconds(r.t_lock.as_secs()),
        "rage_quit_round": r.rage_quit_round,
        "expectation_failures": r.failures,
    });
    v.to_string()
}
