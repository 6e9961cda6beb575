//! `counterweight`: the command-line interface. Parses arguments, wires the library's
//! pieces together, renders errors for people and shows progress on a terminal.
//!
//! Exit codes: 0 success, 1 a run failed (e.g. numerical blow-up) or a governance
//! expectation failed, 2 bad input (scenario, timeline, data, arguments), 130 interrupted.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod gallery;
mod govern;
mod limits;
mod measure;
mod progress;
mod render;
mod run;
mod serve;
mod sweep;

#[derive(Parser)]
#[command(
    name = "counterweight",
    version,
    about = "A laboratory for the balance of power: concentration dynamics, decentralisation mechanisms, measurement",
    after_help = "Start with `counterweight run` (an embedded default scenario) and open the report it writes."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario (default: the embedded `core-claim`) and write metrics, plots and a report.
    Run(run::RunArgs),
    /// Run a scenario over a grid of parameter values and replicates, in parallel and resumably.
    Sweep(sweep::SweepArgs),
    /// Validate a scenario without running it.
    Check(run::CheckArgs),
    /// List the embedded example scenarios, print one, or write one out as a starting file.
    Scenarios(run::ScenariosArgs),
    /// Concentration metrics of real data: a CSV with one value per row (and optionally entity and time).
    Measure(measure::MeasureArgs),
    /// Lido Dual Governance: replay a timeline or simulate vetoes.
    #[command(subcommand)]
    Govern(govern::GovernCommand),
    /// The interactive laboratory in the browser: run, measure and replay on a local web page.
    Serve(serve::ServeArgs),
}

/// A panic is a bug: say so in two lines, without a backtrace (unless RUST_BACKTRACE asks
/// for one), and where to report it.
fn quiet_panics() {
    if std::env::var_os("RUST_BACKTRACE").is_some() {
        return;
    }
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".into());
        let at = info
            .location()
            .map_or(String::new(), |l| format!(" at {}:{}", l.file(), l.line()));
        let msg: String = msg
            .chars()
            .take(counterweight::diagnostic::MAX_TEXT)
            .collect();
        eprintln!(
            "error: internal error (a bug in counterweight): {msg}{at}\n  please report it with the command that caused it (RUST_BACKTRACE=1 shows where)"
        );
    }));
}

fn main() -> ExitCode {
    quiet_panics();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    // A misspelt COUNTERWEIGHT_SIMD would otherwise silently mean `auto`.
    if let Err(e) = counterweight::simd::limit_from_env() {
        render::error(e);
        return ExitCode::from(2);
    }
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Sweep(args) => sweep::sweep(args),
        Command::Check(args) => run::check(args),
        Command::Scenarios(args) => run::scenarios(args),
        Command::Measure(args) => measure::measure(args),
        Command::Govern(cmd) => govern::main(cmd),
        Command::Serve(args) => serve::serve(args),
    }
}
