//! `counterweight`: the command-line interface. Parses arguments, wires the library's
//! pieces together, renders errors for people and shows progress on a terminal.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod govern;

#[derive(Parser)]
#[command(
    name = "counterweight",
    version,
    about = "A laboratory for the balance of power"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Lido Dual Governance: replay a timeline or simulate vetoes.
    #[command(subcommand)]
    Govern(govern::GovernCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Govern(cmd) => govern::main(cmd),
    }
}
