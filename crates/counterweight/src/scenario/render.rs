//! Scenario errors for people, as plain text: the one rendering every shell shows (the
//! CLI on stderr, `serve` in the page), so a mistake reads the same everywhere.

use super::ScenarioError;

/// Render a located scenario error on one screen: `origin:line:col`, the offending line
/// with a caret under the column, the field, the message and what would be valid.
///
/// ```text
/// error: invalid scenario
///   --> demo.toml:5:9
///   |
/// 5 | count = -5
///   |         ^
///   = field: actors[0].count
///   = count = -5
///   = valid: an integer >= 1
/// ```
///
/// The first word is always `error`; a terminal may colour it.
pub fn render(e: &ScenarioError) -> String {
    let mut out = String::from("error: invalid scenario\n");
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn located_error_with_caret() {
        let src = "name = \"x\"\ntime = { end = 1.0, dt = 0.1 }\n[[actors]]\ngroup = \"a\"\ncount = -5\ninitial = { constant = 1.0 }\n";
        let e = crate::scenario::parse(src, "demo.toml", None, &[]).unwrap_err();
        let text = render(&e);
        assert!(
            text.starts_with("error: invalid scenario\n  --> demo.toml:5:9\n"),
            "{text}"
        );
        assert!(text.contains("5 | count = -5\n  |         ^\n"), "{text}");
        assert!(text.contains("  = field: actors[0].count\n"), "{text}");
    }
}
