//! Errors for people: one screen, the file:line:col, the offending line with a caret,
//! the field and what would be valid.

use std::io::IsTerminal;

use counterweight::scenario::ScenarioError;

/// Print a located scenario error to stderr (the library's rendering, with a coloured
/// label on a terminal).
pub fn scenario_error(e: &ScenarioError) {
    let text = counterweight::scenario::render::render(e);
    let text = text.strip_prefix("error").unwrap_or(&text);
    eprint!("{}{text}", label());
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
