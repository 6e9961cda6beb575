//! # counterweight-serve — the laboratory in the browser
//!
//! `counterweight serve` starts this: a small web server (axum on tokio) that puts the
//! library behind three pages, with every asset embedded in the binary (no network, no
//! Node, no Python at run time):
//!
//! * **the laboratory** (`/`): pick an embedded scenario or open a file, edit its TOML
//!   (errors shown at their line and column, as the CLI shows them), move the controls
//!   generated from the model's parameters, run, pause, step, cancel; charts stream in
//!   over a WebSocket; export the resolved scenario and the run directory as a zip;
//! * **Dual Governance** (`/governance`): replay a timeline, see the persisted and
//!   effective states, R and T_lock over time, each step's action and result;
//! * **measure** (`/measure`): drop a CSV, choose its columns, see the metrics.
//!
//! The crate is a thin shell: scenarios are parsed by [`counterweight::scenario`], runs
//! go through [`counterweight::runner`], replays through
//! [`counterweight::governance::dual::timeline`], measurements through
//! [`counterweight::measure`], run directories through [`counterweight::io::run`].
//! Simulations run on their own threads (a rayon pool per run, started from
//! `spawn_blocking`), never on the async workers, so the server answers while a run of a
//! million actors is under way.
//!
//! Safety: the server binds to 127.0.0.1 unless told otherwise; request bodies and
//! WebSocket messages are bounded; each client has a bounded number of concurrent runs;
//! it reads no file but the scenario it was started with, and nothing it receives is
//! evaluated as code. See `docs/serve.md`.
//!
//! Layout: [`assets`] (the embedded files), `api` (HTTP endpoints), `lab` (the WebSocket
//! run session), `payload` (run outputs as chart data), `params` (controls), `limits`.

// Every public item is documented, and stays so; a crate attribute because the crate
// inherits the workspace's lints (`[lints] workspace = true`).
#![deny(missing_docs)]

pub mod assets;

mod api;
mod edit;
mod export;
mod govern;
mod lab;
mod limits;
mod measure;
mod params;
mod payload;
mod store;

use std::future::{Future, IntoFuture};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use counterweight::registry::Registry;
use thiserror::Error;
use tokio::net::TcpListener;
use tokio::sync::watch;

pub use limits::Limits;

/// The scenario `serve` was started with: the only file the server reads.
#[derive(Debug, Clone)]
pub struct StartupScenario {
    /// Its name as shown (the file name, or the embedded example's name).
    pub name: String,
    /// The origin used in error messages (the path as given, or `<embedded NAME>`).
    pub origin: String,
    /// The scenario's TOML, loaded into the laboratory's editor when the page opens.
    pub text: String,
    /// The directory relative `csv` paths of this scenario are resolved in (files only).
    pub base_dir: Option<PathBuf>,
}

impl StartupScenario {
    /// Read a scenario argument as `counterweight run` understands it: an existing file,
    /// else the name of an embedded example.
    pub fn load(arg: &str) -> Result<StartupScenario, ServeError> {
        let path = Path::new(arg);
        if !path.exists()
            && let Some(ex) = counterweight::scenario::examples::find(arg)
        {
            return Ok(StartupScenario {
                name: ex.name.to_string(),
                origin: format!("<embedded {}>", ex.name),
                text: ex.toml.to_string(),
                base_dir: None,
            });
        }
        let text = std::fs::read_to_string(path).map_err(|e| ServeError::Scenario {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Ok(StartupScenario {
            name: path
                .file_name()
                .map_or_else(|| arg.to_string(), |n| n.to_string_lossy().into_owned()),
            origin: path.display().to_string(),
            text,
            base_dir: Some(
                path.parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| PathBuf::from(".")),
            ),
        })
    }
}

/// How to start the server.
#[derive(Debug, Clone)]
pub struct Config {
    /// The address to bind: 127.0.0.1 by default, so that only this machine can run
    /// simulations here (DESIGN.md §9); any other address exposes the server (a warning
    /// is printed, [`is_exposed`]).
    pub host: IpAddr,
    /// 0 picks a free port (printed on start).
    pub port: u16,
    /// The scenario the laboratory opens with (`counterweight serve FILE`); `None`: the
    /// page offers the embedded examples.
    pub scenario: Option<StartupScenario>,
    /// Open the laboratory in the default browser once listening.
    pub open: bool,
    /// Bounds on request sizes, concurrent runs and run sizes.
    pub limits: Limits,
    /// The models the server knows: the built-in ones, plus any a downstream crate
    /// registers ([`counterweight::registry::Registry::with`]). The laboratory's controls
    /// and charts come from each model's declaration.
    pub registry: Registry,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 8787,
            scenario: None,
            open: false,
            limits: Limits::default(),
            registry: counterweight::model::builtin().clone(),
        }
    }
}

/// Why the server could not start.
#[derive(Debug, Error)]
pub enum ServeError {
    /// The scenario argument is neither a readable file nor an embedded example's name.
    #[error("cannot read the scenario {}: {message}", path.display())]
    Scenario {
        /// The path as given.
        path: PathBuf,
        /// Why it could not be read.
        message: String,
    },
    /// The address is in use, or not this machine's, or needs privileges.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for (host and port).
        addr: SocketAddr,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The tokio runtime could not be built (e.g. no threads available).
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    /// The server failed while serving (or could not read its own address).
    #[error("server error: {0}")]
    Io(std::io::Error),
}

/// Shared state of the server.
pub(crate) struct AppState {
    pub startup: Option<StartupScenario>,
    pub limits: Limits,
    pub registry: Registry,
    pub clients: limits::Clients,
    pub runs: store::RunStore,
    /// Becomes true when the server shuts down: sessions close, runs are cancelled.
    pub shutdown: watch::Receiver<bool>,
}

pub(crate) type App = Arc<AppState>;

/// Whether binding to `host` exposes the server beyond this machine.
pub fn is_exposed(host: IpAddr) -> bool {
    !host.is_loopback()
}

/// Start the server and block until Ctrl-C (SIGINT) or SIGTERM: the CLI's entry point.
/// Prints the address to stdout (`counterweight serve: http://HOST:PORT/`) and a warning
/// to stderr when the host is not a loopback address.
pub fn run(config: Config) -> Result<(), ServeError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("serve")
        .build()
        .map_err(ServeError::Runtime)?;
    rt.block_on(async move {
        let addr = SocketAddr::new(config.host, config.port);
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::Bind { addr, source })?;
        let local = listener.local_addr().map_err(ServeError::Io)?;
        if is_exposed(config.host) {
            eprintln!(
                "warning: listening on {} — anyone who can reach this address can run simulations on this machine (use the default --host 127.0.0.1 to stay local)",
                local
            );
        }
        // The handlers are in place before the address is printed: whoever reads it may
        // stop the server at once.
        let shutdown = shutdown_signal().map_err(ServeError::Io)?;
        let url = format!("http://{local}/");
        println!("counterweight serve: {url}  (Ctrl-C to stop)");
        if config.open {
            open_browser(&url);
        }
        serve(listener, config, shutdown).await?;
        println!("counterweight serve: stopped");
        Ok(())
    })
}

/// Serve on `listener` until `shutdown` completes; then close every session, cancel
/// every run and return (within about two seconds).
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let state: App = Arc::new(AppState {
        startup: config.scenario,
        limits: config.limits,
        registry: config.registry,
        clients: limits::Clients::default(),
        runs: store::RunStore::default(),
        shutdown: stop_rx.clone(),
    });
    let router = api::router(state);
    let mut graceful = stop_rx.clone();
    let server = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        let _ = graceful.wait_for(|s| *s).await;
    });
    let mut server = std::pin::pin!(server.into_future());
    tokio::select! {
        r = &mut server => return r.map_err(ServeError::Io),
        () = shutdown => {}
    }
    let _ = stop_tx.send(true);
    // Sessions see the flag and close; give them a moment, then stop regardless.
    match tokio::time::timeout(std::time::Duration::from_secs(2), server).await {
        Ok(r) => r.map_err(ServeError::Io),
        Err(_) => Ok(()),
    }
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM. The handlers are registered when this is
/// called, not when the future is first polled (as `tokio::signal::ctrl_c()` would): a
/// signal between the printed address and the first poll killed the process instead of
/// stopping it (2 of 5 tries of SIGINT right after the address line, before this).
#[cfg(unix)]
fn shutdown_signal() -> std::io::Result<impl Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut int = signal(SignalKind::interrupt())?;
    let mut term = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
    })
}

/// Completes on Ctrl-C; registered when this is called (see the Unix version).
#[cfg(windows)]
fn shutdown_signal() -> std::io::Result<impl Future<Output = ()> + Send + 'static> {
    let mut c = tokio::signal::windows::ctrl_c()?;
    Ok(async move {
        c.recv().await;
    })
}

/// Completes on Ctrl-C.
#[cfg(not(any(unix, windows)))]
fn shutdown_signal() -> std::io::Result<impl Future<Output = ()> + Send + 'static> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

/// Open `url` in the default browser (best effort; prints the reason on failure).
fn open_browser(url: &str) {
    #[cfg(target_os = "macos")]
    let cmd = ("open", vec![url]);
    #[cfg(target_os = "windows")]
    let cmd = ("cmd", vec!["/C", "start", "", url]);
    #[cfg(not(any(target_os = "macos", target_os = "windows")))]
    let cmd = ("xdg-open", vec![url]);
    let spawned = std::process::Command::new(cmd.0)
        .args(&cmd.1)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if let Err(e) = spawned {
        eprintln!(
            "note: could not open a browser ({}: {e}); open {url} yourself",
            cmd.0
        );
    }
}
