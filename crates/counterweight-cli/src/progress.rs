//! Progress bars on a terminal (silent otherwise) and Ctrl-C handling.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar over `total` units, drawn only when stderr is a terminal and not quiet.
pub fn bar(total: u64, quiet: bool, what: &str) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr_with_hz(10));
    pb.set_style(
        ProgressStyle::with_template(
            "{prefix} [{bar:40.cyan/blue}] {percent:>3}% {msg} ({elapsed}, eta {eta})",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    pb.set_prefix(what.to_string());
    pb
}

/// A flag set by Ctrl-C (SIGINT), SIGTERM or SIGHUP. The run stops at the next step
/// boundary and nothing is written; during writing (see
/// `counterweight::io::atomic::cancellable`) the write stops at the next check, within a
/// fraction of a second, and its staging directory is removed, so the run directory is
/// either complete or absent.
pub fn interrupt_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let f = flag.clone();
    let _ = ctrlc::set_handler(move || f.store(true, Ordering::SeqCst));
    flag
}

/// Say that the command was interrupted and exit with 130 at once: the (possibly large)
/// results in memory are not dropped one by one, which could take longer than the user
/// should wait after Ctrl-C. Call it only once every output has been removed or finished.
pub fn exit_interrupted() -> ! {
    use std::io::Write as _;
    crate::render::error("interrupted: nothing was written");
    let _ = std::io::stdout().flush();
    std::process::exit(130)
}
