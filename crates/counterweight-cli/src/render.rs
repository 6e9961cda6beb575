//! Errors for people on stderr. The text of a located error (one screen, the
//! file:line:col, a window of the offending line with a caret, the field and what would be
//! valid in words) is the library's [`counterweight::diagnostic`], the same text `serve`
//! shows in the page; this module only prints it, with `error` coloured on a terminal.

use std::io::IsTerminal;

use counterweight::diagnostic;
use counterweight::scenario::ScenarioError;

/// Print a located scenario error to stderr.
pub fn scenario_error(e: &ScenarioError) {
    eprint!("{}: {}", label(), diagnostic::scenario(e));
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
