//! Edge lists: a CSV file with a header naming the columns `source` and `target` and
//! optionally `weight` (in any order; other columns are ignored), then one undirected edge
//! per line. Nodes are actor indices `0..n − 1`, the actors numbered in scenario order (the
//! `actor` column of `actors.csv`). Weights must be finite and > 0 (default 1). Rejected,
//! with file:line:col, the column and what is valid: a node that is not an integer or is
//! not an actor, a self-loop, a pair listed twice (in either orientation: edges are
//! undirected), a weight that is not a number > 0, a missing field. Blank lines are
//! skipped; surrounding spaces are ignored.

use std::collections::HashMap;
use std::path::Path;

use super::{Csr, NetworkError};

/// Read and parse an edge list file for `n` actors.
pub fn read_edge_list(path: &Path, n: usize) -> Result<Csr, NetworkError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| NetworkError::EdgeList {
        source_name: name.clone(),
        line: 0,
        column: 0,
        field: "file".into(),
        message: format!("cannot read the edge list: {e}"),
        valid: "a readable UTF-8 CSV file".into(),
    })?;
    parse_edge_list(&text, &name, n)
}

/// Parse edge-list CSV `text` for `n` actors; `source_name` names the file in errors.
pub fn parse_edge_list(text: &str, source_name: &str, n: usize) -> Result<Csr, NetworkError> {
    let bytes = text.as_bytes();
    let err = |line: u64, column: u64, field: &str, message: String, valid: &str| {
        NetworkError::EdgeList {
            source_name: source_name.to_string(),
            line,
            column,
            field: field.to_string(),
            message,
            valid: valid.to_string(),
        }
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut records = rdr.records();
    // Header: the first non-blank record.
    let (header, header_line) = loop {
        match records.next() {
            None => {
                return Err(err(
                    1,
                    1,
                    "header",
                    "the file is empty".into(),
                    "a header line naming the columns source,target[,weight]",
                ));
            }
            Some(Err(e)) => return Err(csv_error(e, source_name)),
            Some(Ok(r)) if is_blank(&r) => continue,
            Some(Ok(r)) => {
                let line = r.position().map_or(1, |p| p.line());
                break (r, line);
            }
        }
    };
    let col_of = |name: &str| {
        header
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}').trim() == name)
    };
    let (Some(src_col), Some(dst_col)) = (col_of("source"), col_of("target")) else {
        return Err(err(
            header_line,
            1,
            "header",
            format!(
                "the header is \"{}\"",
                header.iter().collect::<Vec<_>>().join(",")
            ),
            "a header naming the columns source and target (and optionally weight)",
        ));
    };
    let weight_col = col_of("weight");

    let mut edges: Vec<(u32, u32)> = Vec::new();
    let mut weights: Vec<f64> = Vec::new();
    let mut first_line: HashMap<(u32, u32), u64> = HashMap::new();
    let node_valid = format!(
        "an actor index, an integer from 0 to {} (actors are numbered in scenario order)",
        n.saturating_sub(1)
    );
    for rec in records {
        let rec = rec.map_err(|e| csv_error(e, source_name))?;
        if is_blank(&rec) {
            continue;
        }
        let pos = rec.position().cloned().unwrap_or_else(csv::Position::new);
        let line = pos.line();
        let column = |k: usize| field_column(bytes, pos.byte() as usize, k);
        let field = |k: usize, name: &str| -> Result<&str, NetworkError> {
            rec.get(k).map(str::trim).ok_or_else(|| {
                err(
                    line,
                    column(k),
                    name,
                    format!("no {name} field ({} fields on the line)", rec.len()),
                    "one value per header column",
                )
            })
        };
        let node = |k: usize, name: &str| -> Result<u32, NetworkError> {
            let raw = field(k, name)?;
            match raw.parse::<u64>() {
                Ok(v) if (v as usize) < n => Ok(v as u32),
                Ok(v) => Err(err(
                    line,
                    column(k),
                    name,
                    format!("unknown node {v}: there are {n} actors"),
                    &node_valid,
                )),
                Err(_) => Err(err(
                    line,
                    column(k),
                    name,
                    format!("\"{raw}\" is not an actor index"),
                    &node_valid,
                )),
            }
        };
        let a = node(src_col, "source")?;
        let b = node(dst_col, "target")?;
        if a == b {
            return Err(err(
                line,
                column(dst_col),
                "target",
                format!("self-loop: {a} -> {a}"),
                "two different actors (an actor is not its own neighbour)",
            ));
        }
        if let Some(wc) = weight_col {
            let raw = field(wc, "weight")?;
            match raw.parse::<f64>() {
                Ok(w) if w.is_finite() && w > 0.0 => weights.push(w),
                _ => {
                    return Err(err(
                        line,
                        column(wc),
                        "weight",
                        format!("weight \"{raw}\""),
                        "a finite number > 0",
                    ));
                }
            }
        }
        let pair = (a.min(b), a.max(b));
        if let Some(prev) = first_line.insert(pair, line) {
            return Err(err(
                line,
                column(src_col),
                "source",
                format!("the edge {a}-{b} was already given on line {prev}"),
                "each pair once (edges are undirected)",
            ));
        }
        edges.push((a, b));
    }
    let w = weight_col.map(|_| weights.as_slice());
    Ok(Csr::from_valid_edges(n, &edges, w))
}

fn is_blank(r: &csv::StringRecord) -> bool {
    r.iter().all(|f| f.trim().is_empty())
}

fn csv_error(e: csv::Error, source_name: &str) -> NetworkError {
    let line = e.position().map_or(0, |p| p.line());
    NetworkError::EdgeList {
        source_name: source_name.to_string(),
        line,
        column: 1,
        field: "file".into(),
        message: match e.kind() {
            csv::ErrorKind::Utf8 { .. } => "not UTF-8 text".into(),
            _ => e.to_string(),
        },
        valid: "CSV text".into(),
    }
}

/// 1-based character column of the first non-space character of field `k` of the record
/// starting at byte `start` (commas inside double quotes do not separate fields).
fn field_column(bytes: &[u8], start: usize, k: usize) -> u64 {
    let mut i = start.min(bytes.len());
    let mut field = 0;
    let mut quoted = false;
    while i < bytes.len() && field < k {
        match bytes[i] {
            b'"' => quoted = !quoted,
            b',' if !quoted => field += 1,
            b'\n' if !quoted => break,
            _ => {}
        }
        i += 1;
    }
    while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b'\t') {
        i += 1;
    }
    // Characters, not bytes, from the start of the line.
    let line_start = bytes[..i]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    String::from_utf8_lossy(&bytes[line_start..i])
        .chars()
        .count() as u64
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn located(text: &str, n: usize) -> (u64, u64, String, String) {
        match parse_edge_list(text, "g.csv", n).unwrap_err() {
            NetworkError::EdgeList {
                line,
                column,
                field,
                message,
                ..
            } => (line, column, field, message),
            e => panic!("unexpected {e}"),
        }
    }

    #[test]
    fn parses_weighted_and_unweighted() {
        let g = parse_edge_list("source,target\n0,1\n\n 2 , 1\n", "g.csv", 3).unwrap();
        assert_eq!(g.edge_count(), 2);
        assert_eq!(g.neighbours(1), &[0, 2]);
        assert!(!g.is_weighted());
        let g = parse_edge_list("weight,target,source,label\n0.5,1,0,x\n", "g.csv", 2).unwrap();
        assert_eq!(g.weights_of(0).unwrap(), &[0.5]);
    }

    #[test]
    fn errors_are_located() {
        let (l, c, f, m) = located("source,target\n0,1\n1, 7\n", 3);
        assert_eq!((l, c, f.as_str()), (3, 4, "target"), "{m}");
        assert!(m.contains("unknown node 7"), "{m}");
        let (l, c, f, m) = located("source,target\n0,1\n2,2\n", 3);
        assert_eq!((l, c, f.as_str()), (3, 3, "target"), "{m}");
        assert!(m.contains("self-loop"), "{m}");
        let (l, c, f, m) = located("source,target,weight\n0,1,1\n1,2,-0.5\n", 3);
        assert_eq!((l, c, f.as_str()), (3, 5, "weight"), "{m}");
        let (l, _, _, m) = located("source,target\n0,1\n1,0\n", 3);
        assert_eq!(l, 3);
        assert!(m.contains("already given on line 2"), "{m}");
        let (l, c, f, _) = located("source,target\nx,1\n", 3);
        assert_eq!((l, c, f.as_str()), (2, 1, "source"));
        let (l, _, f, _) = located("from,to\n0,1\n", 3);
        assert_eq!((l, f.as_str()), (1, "header"));
        let (l, _, f, _) = located("source,target\n0\n", 3);
        assert_eq!((l, f.as_str()), (2, "target"));
        let (l, ..) = located("", 3);
        assert_eq!(l, 1);
        let e = parse_edge_list("source,target\n0,5\n", "g.csv", 3).unwrap_err();
        assert!(
            e.to_string().starts_with("g.csv:2:3: unknown node 5"),
            "{e}"
        );
    }
}
