//! Errors for people: one screen, the file:line:col, the offending line with a caret,
//! the field and what would be valid.

use std::io::IsTerminal;

use counterweight::scenario::ScenarioError;

/// Print a located scenario error to stderr.
pub fn scenario_error(e: &ScenarioError) {
    let mut out = String::new();
    out.push_str(&format!("{}: invalid scenario\n", label()));
    match e.location {
        Some(l) => out.push_str(&format!("  --> {}:{}:{}\n", e.origin, l.line, l.col)),
        None => out.push_str(&format!("  --> {}\n", e.origin)),
    }
    if let (Some(l), Some(line)) = (e.location, &e.source_line) {
        let num = l.line.to_string();
        let pad = " ".repeat(num.len());
        out.push_str(&format!(
            "{pad} |\n{num} | {line}\n{pad} | {}^\n",
            " ".repeat(l.col.saturating_sub(1))
        ));
    }
    if let Some(f) = &e.field {
        out.push_str(&format!("  = field: {f}\n"));
    }
    out.push_str(&format!("  = {}\n", e.message));
    if let Some(h) = &e.help {
        out.push_str(&format!("  = valid: {h}\n"));
    }
    eprint!("{out}");
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
