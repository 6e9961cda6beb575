//! Errors on the terminal: the library's [`counterweight::diagnostic`] text after a
//! label `error` (bold red on a terminal).

use std::io::IsTerminal;

use counterweight::scenario::ScenarioError;

/// Print a located scenario error to stderr.
pub fn scenario_error(e: &ScenarioError) {
    eprint!("{}: {}", label(), counterweight::diagnostic::scenario(e));
}

/// Print a one-line error to stderr.
pub fn error(msg: impl std::fmt::Display) {
    eprintln!("{}: {msg}", label());
}

fn label() -> &'static str {
    if std::io::stderr().is_terminal() {
        "\x1b[1;31merror\x1b[0m"
    } else {
        "error"
    }
}
