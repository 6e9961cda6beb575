//! Scenario errors for people, as plain text: the one rendering every shell shows (the
//! CLI on stderr, `serve` in the page), so a mistake reads the same everywhere. The text
//! is [`crate::diagnostic::scenario`] after `error: `.

use super::ScenarioError;

/// Render a located scenario error on one screen: `origin:line:col`, a window of the
/// offending line with a caret under the column, the field, the message and what would
/// be valid in words, and a suggestion when there is one ([`crate::diagnostic`]).
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
    format!("error: {}", crate::diagnostic::scenario(e))
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
