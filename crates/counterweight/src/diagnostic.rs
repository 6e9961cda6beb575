//! Errors for people: the one-screen text of a located error (the file:line:col, the
//! offending line with a caret, the field and what would be valid). The CLI prints it after
//! `error: `; the Python package puts it in its exceptions. Pure strings, no terminal.

use crate::governance::dual::timeline::{self, TimelineError};
use crate::scenario::ScenarioError;

/// A scenario error as the block the CLI prints after `error: `:
///
/// ```text
/// invalid scenario
///   --> demo.toml:5:9
///   |
/// 5 | count = -5
///   |         ^
///   = field: actors[0].count
///   = count = -5
///   = valid: an integer >= 1
/// ```
pub fn scenario(e: &ScenarioError) -> String {
    let mut out = String::from("invalid scenario\n");
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
    out
}

/// A timeline error as the block the CLI prints after `error: `: the message, then
/// `--> origin:line:col` with the offending line and a caret under the span.
pub fn timeline(origin: &str, src: &str, e: &TimelineError) -> String {
    let mut out = format!("{}\n", e.message);
    if let Some(span) = &e.span {
        let (line, col) = timeline::line_col(src, span.start);
        out.push_str(&format!("  --> {origin}:{line}:{col}\n"));
        if let Some(text) = src.lines().nth(line - 1) {
            let width = src[span.start.min(src.len())..span.end.min(src.len())]
                .lines()
                .next()
                .map_or(1, |s| s.chars().count().max(1));
            let gutter = line.to_string().len();
            out.push_str(&format!("{:gutter$} |\n", ""));
            out.push_str(&format!("{line} | {text}\n"));
            out.push_str(&format!(
                "{:gutter$} | {}{}\n",
                "",
                " ".repeat(col - 1),
                "^".repeat(width)
            ));
        }
    } else {
        out.push_str(&format!("  --> {origin}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_error_block_points_at_the_value() {
        let src = "name = \"x\"\nmodel = \"growth\"\ntime = { end = 1.0, dt = 0.1 }\n[[actors]]\ngroup = \"a\"\ncount = 0\ninitial = { constant = 1.0 }\n";
        let e = crate::scenario::parse(src, "demo.toml", None, &[]).unwrap_err();
        let text = scenario(&e);
        assert!(
            text.starts_with("invalid scenario\n  --> demo.toml:6:9\n"),
            "{text}"
        );
        assert!(text.contains("6 | count = 0\n  |         ^\n"), "{text}");
        assert!(text.contains("  = field: actors[0].count\n"), "{text}");
    }

    #[test]
    fn timeline_error_block_has_a_caret_under_the_span() {
        let src = "[[step]]\nat = \"0s\"\ndo = \"fly\"\n";
        let e = timeline::parse(src).unwrap_err();
        let text = timeline("t.toml", src, &e);
        assert!(text.contains("  --> t.toml:3:"), "{text}");
        assert!(text.contains("3 | do = \"fly\"\n"), "{text}");
        assert!(text.contains('^'), "{text}");
    }
}
