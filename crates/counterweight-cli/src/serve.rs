//! `serve`: the laboratory in the browser (crate `counterweight-serve`).

use std::net::IpAddr;
use std::process::ExitCode;

use clap::Args;
use counterweight_serve::{Config, StartupScenario};

use crate::render;

#[derive(Args)]
pub struct ServeArgs {
    /// A scenario file, or the name of an embedded example, to open first. The server
    /// reads no other file.
    pub scenario: Option<String>,
    /// Port to listen on (0: any free port; the address is printed).
    #[arg(long, default_value_t = 8787)]
    pub port: u16,
    /// Address to bind. The default keeps the server on this machine; any other address
    /// lets whoever can reach it run simulations here.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Open the laboratory in the default browser.
    #[arg(long)]
    pub open: bool,
}

pub fn serve(args: ServeArgs) -> ExitCode {
    let scenario = match args.scenario.as_deref().map(StartupScenario::load) {
        None => None,
        Some(Ok(s)) => Some(s),
        Some(Err(e)) => {
            render::error(e);
            return ExitCode::from(2);
        }
    };
    let config = Config {
        host: args.host,
        port: args.port,
        scenario,
        open: args.open,
        ..Config::default()
    };
    match counterweight_serve::run(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            render::error(e);
            ExitCode::from(1)
        }
    }
}
