//! `counterweight govern ...` (Dual Governance). HELPER-OWNED.

use std::process::ExitCode;

use clap::Subcommand;

#[derive(Subcommand)]
pub enum GovernCommand {
    /// Replay a timeline of actions against the Dual Governance state machine.
    Replay {
        /// The timeline file (TOML).
        timeline: std::path::PathBuf,
        /// One JSON object per step instead of a table.
        #[arg(long)]
        json: bool,
    },
}

pub fn main(cmd: GovernCommand) -> ExitCode {
    match cmd {
        GovernCommand::Replay { .. } => {
            eprintln!("not implemented yet");
            ExitCode::from(2)
        }
    }
}
