//! Errors for people: the one rendering of a located error that every shell shows (the
//! CLI on stderr after `error: `, `serve` in the page, the Python package in its
//! exceptions), so a mistake reads the same everywhere. One screen, always: the
//! `file:line:col`, a window of at most [`WINDOW`] characters of the offending line with a
//! caret under the column, the field, the message and what would be valid in words rather
//! than Rust type names, and a suggestion when there is one. Pure strings, no terminal.

use crate::governance::dual::timeline::{self, TimelineError};
use crate::scenario::ScenarioError;

/// At most this many characters of a source line are echoed around the column.
pub const WINDOW: usize = 120;

/// At most this many characters of a message, a help text or a suggestion are shown.
pub const MAX_TEXT: usize = 480;

/// A scenario error as the block that follows `error: `:
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
///
/// and `  = help: ...` when the error carries a suggestion (`did you mean ...`).
pub fn scenario(e: &ScenarioError) -> String {
    let mut out = String::from("invalid scenario\n");
    match e.location {
        Some(l) => out.push_str(&format!(
            "  --> {}:{}:{}\n",
            shorten(&e.origin, MAX_TEXT),
            l.line,
            l.col
        )),
        None => out.push_str(&format!("  --> {}\n", shorten(&e.origin, MAX_TEXT))),
    }
    if let (Some(l), Some(line)) = (e.location, &e.source_line) {
        out.push_str(&source_window(l.line, line, l.col, 1));
    }
    if let Some(f) = &e.field {
        out.push_str(&format!("  = field: {}\n", shorten(f, MAX_TEXT)));
    }
    out.push_str(&format!("  = {}\n", plain_words(&e.message)));
    if let Some(h) = &e.help {
        out.push_str(&format!("  = valid: {}\n", plain_words(h)));
    }
    if let Some(s) = &e.suggestion {
        out.push_str(&format!("  = help: {}\n", plain_words(s)));
    }
    out
}

/// A timeline error as the block that follows `error: `: the message, then
/// `--> origin:line:col` with a window of the offending line and a caret under the span.
pub fn timeline(origin: &str, src: &str, e: &TimelineError) -> String {
    let origin = shorten(origin, MAX_TEXT);
    let mut out = format!("{}\n", plain_words(&e.message));
    if let Some(span) = &e.span {
        let (line, col) = timeline::line_col(src, span.start);
        out.push_str(&format!("  --> {origin}:{line}:{col}\n"));
        if let Some(text) = src.lines().nth(line - 1) {
            let width = src
                .get(span.start.min(src.len())..span.end.min(src.len()))
                .and_then(|s| s.lines().next())
                .map_or(1, |s| s.chars().count().max(1));
            out.push_str(&source_window(line, text, col, width));
        }
    } else {
        out.push_str(&format!("  --> {origin}\n"));
    }
    out
}

/// The gutter, a window of `text` (line number `line`) around the 1-based character
/// column `col`, and a caret of `width` characters under it: at most [`WINDOW`]
/// characters of the line, with `…` where it was cut, tabs and control characters shown
/// as spaces so that the caret lines up.
pub fn source_window(line: usize, text: &str, col: usize, width: usize) -> String {
    let (shown, caret_col) = window(text, col, WINDOW);
    let room = shown.chars().count().saturating_sub(caret_col - 1).max(1);
    let width = width.clamp(1, room);
    let num = line.to_string();
    let pad = " ".repeat(num.len());
    format!(
        "{pad} |\n{num} | {shown}\n{pad} | {}{}\n",
        " ".repeat(caret_col - 1),
        "^".repeat(width)
    )
}

/// At most `max` characters of `line` around the 1-based character column `col`, and
/// the column of that character in the window. A cut is marked with `…`.
pub fn window(line: &str, col: usize, max: usize) -> (String, usize) {
    let len = line.chars().count();
    let col = col.clamp(1, len + 1);
    let max = max.max(8);
    let (start, end) = if len <= max {
        (0, len)
    } else {
        // Keep the column about a third into the window, so the context before it and
        // the rest of the value after it both show.
        let start = (col - 1).saturating_sub(max / 3).min(len - max);
        (start, start + max)
    };
    let mut s = String::with_capacity(max + 8);
    if start > 0 {
        s.push('…');
    }
    for c in line.chars().skip(start).take(end - start) {
        s.push(if c == '\t' || c.is_control() { ' ' } else { c });
    }
    if end < len {
        s.push('…');
    }
    let caret = col - start + usize::from(start > 0);
    (s, caret)
}

/// At most `max` characters of `s`, cut with `…` (one line: newlines become spaces).
pub fn shorten(s: &str, max: usize) -> String {
    let mut out: String = s
        .chars()
        .take(max)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if s.chars().nth(max).is_some() {
        out.push('…');
    }
    out
}

/// A message with Rust and serde type names said in words (`expected f64` becomes
/// `expected a number`), cut to [`MAX_TEXT`] characters.
pub fn plain_words(msg: &str) -> String {
    // Longest first, so `expected a sequence` is not caught by a shorter rule.
    const RULES: &[(&str, &str)] = &[
        (
            "invalid type: floating point",
            "invalid type: a decimal number",
        ),
        ("invalid type: integer", "invalid type: a whole number"),
        ("invalid type: string", "invalid type: text"),
        ("invalid type: boolean", "invalid type: true/false"),
        ("invalid type: sequence", "invalid type: a list"),
        ("invalid type: map", "invalid type: a table"),
        ("invalid value: integer", "invalid value: the whole number"),
        ("invalid value: floating point", "invalid value: the number"),
        ("expected a sequence", "expected a list [..]"),
        ("expected a map", "expected a table"),
        ("expected a boolean", "expected true or false"),
        ("expected a string", "expected text in quotes"),
        ("expected f64", "expected a number"),
        ("expected f32", "expected a number"),
        ("expected i64", "expected a whole number"),
        ("expected i32", "expected a whole number"),
        ("expected u64", "expected a whole number >= 0"),
        ("expected u32", "expected a whole number >= 0"),
        ("expected u16", "expected a whole number >= 0"),
        ("expected u8", "expected a whole number >= 0"),
        ("expected usize", "expected a whole number >= 0"),
        ("expected a borrowed string", "expected text in quotes"),
        ("expected struct ", "expected a table "),
        ("expected enum ", "expected one of the forms of "),
        ("expected tuple struct ", "expected "),
    ];
    let mut s = msg.to_string();
    for (from, to) in RULES {
        if s.contains(from) {
            s = s.replace(from, to);
        }
    }
    shorten(&elide_quoted(&s, 60), MAX_TEXT)
}

/// Quoted text (`"..."`) longer than `max` characters cut to its start and `…"`, so that
/// a message quoting a huge value still shows what comes after it.
fn elide_quoted(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(4 * MAX_TEXT));
    let mut rest = s;
    while let Some(open) = rest.find('"') {
        out.push_str(&rest[..=open]);
        let after = &rest[open + 1..];
        match after.find('"') {
            Some(close) => {
                let inner = &after[..close];
                if inner.chars().count() > max {
                    out.extend(inner.chars().take(max * 2 / 3));
                    out.push('…');
                } else {
                    out.push_str(inner);
                }
                out.push('"');
                rest = &after[close + 1..];
            }
            None => {
                rest = after;
                break;
            }
        }
    }
    out.push_str(rest);
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
    fn a_misspelt_field_gets_a_suggestion() {
        let src = "name = \"x\"\ntime = { end = 1.0, dt = 0.1 }\n[growth]\nretruns_to_scale = 1.2\n[[actors]]\ngroup = \"a\"\ninitial = { constant = 1.0 }\n";
        let e = crate::scenario::parse(src, "demo.toml", None, &[]).unwrap_err();
        let text = scenario(&e);
        assert!(text.contains("  = help: "), "{text}");
        assert!(text.contains("returns_to_scale"), "{text}");
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

    #[test]
    fn window_keeps_the_caret_under_the_column() {
        // short line: unchanged
        assert_eq!(window("abc = 1", 7, 120), ("abc = 1".to_string(), 7));
        // long line, column far in: cut on both sides, caret on the same character
        let line: String = (0..10_000)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        let col = 5_000;
        let (w, c) = window(&line, col, 120);
        assert!(w.chars().count() <= 122, "{}", w.chars().count());
        assert!(w.starts_with('…') && w.ends_with('…'));
        let target = line.chars().nth(col - 1).unwrap();
        assert_eq!(w.chars().nth(c - 1).unwrap(), target);
        // column at the end of a long line
        let (w, c) = window(&line, 10_000, 120);
        assert_eq!(w.chars().nth(c - 1), line.chars().last());
        assert!(!w.ends_with('…'));
        // tabs become spaces
        assert_eq!(window("\tx", 2, 120), (" x".to_string(), 2));
    }

    #[test]
    fn source_window_is_one_screen() {
        let line = "x".repeat(10_000_000);
        let out = source_window(1, &line, 9_000_000, 5_000_000);
        assert!(out.len() < 400, "{}", out.len());
        assert_eq!(out.lines().count(), 3);
    }

    #[test]
    fn jargon_in_words() {
        assert_eq!(
            plain_words("invalid type: string \"abc\", expected f64"),
            "invalid type: text \"abc\", expected a number"
        );
        assert_eq!(
            plain_words("invalid type: integer `3`, expected a sequence"),
            "invalid type: a whole number `3`, expected a list [..]"
        );
        assert!(plain_words(&"y".repeat(100_000)).chars().count() <= MAX_TEXT + 1);
        // a huge quoted value does not hide the rest of the message
        let huge = format!(
            "invalid type: string \"{}\", expected f64",
            "x".repeat(1_000_000)
        );
        let w = plain_words(&huge);
        assert!(w.ends_with("expected a number"), "{w}");
        assert!(w.chars().count() < 120, "{w}");
    }
}
