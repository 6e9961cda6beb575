//! Source locations: byte offsets to line:column, and a field path (`actors[1].count`)
//! to the span of its value in the TOML source, so validation errors point at the text.

use toml::de::{DeTable, DeValue};

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineCol {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub col: usize,
}

/// Line and column (1-based, in characters) of a byte offset.
pub fn line_col(src: &str, offset: usize) -> LineCol {
    let offset = offset.min(src.len());
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = src[line_start..offset].chars().count() + 1;
    LineCol { line, col }
}

/// One segment of a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// A table key.
    Key(String),
    /// An array index.
    Index(usize),
}

/// Parse `actors[1].initial.uniform.low` into segments.
pub fn parse_path(path: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let mut rest = part;
        if let Some(open) = rest.find('[') {
            out.push(Segment::Key(rest[..open].to_string()));
            rest = &rest[open..];
            while let Some(stripped) = rest.strip_prefix('[') {
                let close = stripped.find(']').unwrap_or(stripped.len());
                if let Ok(i) = stripped[..close].parse() {
                    out.push(Segment::Index(i));
                }
                rest = stripped.get(close + 1..).unwrap_or("");
            }
        } else if !rest.is_empty() {
            out.push(Segment::Key(rest.to_string()));
        }
    }
    out
}

/// The byte span of the value at `path` in `src`, or of its nearest existing parent.
pub fn find_span(src: &str, path: &str) -> Option<std::ops::Range<usize>> {
    let root = DeTable::parse(src).ok()?;
    let mut best = None;
    let mut table: Option<&DeTable> = Some(root.get_ref());
    let mut value: Option<&DeValue> = None;
    for seg in parse_path(path) {
        match (seg, table, value) {
            (Segment::Key(k), Some(t), _) => {
                let (key, v) = t.get_key_value(k.as_str())?;
                best = Some(key.span().start..v.span().end);
                // Point at the value for scalars, at the key for tables.
                if !matches!(v.get_ref(), DeValue::Table(_) | DeValue::Array(_)) {
                    best = Some(v.span());
                }
                value = Some(v.get_ref());
                table = match v.get_ref() {
                    DeValue::Table(t) => Some(t),
                    _ => None,
                };
            }
            (Segment::Index(i), _, Some(DeValue::Array(a))) => {
                let item = a.get(i)?;
                best = Some(item.span());
                value = Some(item.get_ref());
                table = match item.get_ref() {
                    DeValue::Table(t) => Some(t),
                    _ => None,
                };
            }
            _ => break,
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_spans() {
        assert_eq!(
            parse_path("actors[1].count"),
            vec![
                Segment::Key("actors".into()),
                Segment::Index(1),
                Segment::Key("count".into())
            ]
        );
        let src = "name = \"x\"\n[[actors]]\ncount = 1\n[[actors]]\ncount = -3\n";
        let span = find_span(src, "actors[1].count").unwrap();
        assert_eq!(&src[span.clone()], "-3");
        assert_eq!(line_col(src, span.start), LineCol { line: 5, col: 9 });
    }
}
