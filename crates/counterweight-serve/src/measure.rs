//! The measure page: a CSV's columns (to choose from), then its concentration metrics,
//! top holders and final distribution, through [`counterweight::measure`].

use serde::Deserialize;
use serde_json::json;

use counterweight::io::Column;
use counterweight::measure::{MeasureOptions, measure_reader};

/// Rows shown as a preview under the column menus.
const PREVIEW_ROWS: usize = 5;
/// Top holders listed.
const TOP: usize = 20;

/// The header and the first rows of a CSV, or why it cannot be read.
pub(crate) fn columns(csv_text: &str) -> serde_json::Value {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(csv_text.as_bytes());
    let headers: Vec<String> = match rdr.headers() {
        Ok(h) => h
            .iter()
            .map(|s| s.trim_start_matches('\u{feff}').to_string())
            .collect(),
        Err(e) => return json!({"ok": false, "error": format!("not valid CSV: {e}")}),
    };
    if headers.iter().all(String::is_empty) {
        return json!({"ok": false, "error": "the file is empty (no header line)"});
    }
    let mut rows = Vec::new();
    for rec in rdr.records().take(PREVIEW_ROWS) {
        match rec {
            Ok(r) => rows.push(r.iter().map(str::to_string).collect::<Vec<_>>()),
            Err(e) => return json!({"ok": false, "error": format!("not valid CSV: {e}")}),
        }
    }
    json!({"ok": true, "columns": headers, "preview": rows})
}

/// What to measure.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MeasureRequest {
    pub csv: String,
    /// The file's name, for messages.
    pub name: String,
    pub value: String,
    #[serde(default)]
    pub entity: Option<String>,
    #[serde(default)]
    pub time: Option<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
}

pub(crate) fn measure(req: &MeasureRequest) -> serde_json::Value {
    let nonempty = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
    let name: String = req
        .name
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let opts = MeasureOptions {
        entity: nonempty(&req.entity),
        time: nonempty(&req.time),
        exclude: req.exclude.clone(),
        ..MeasureOptions::new(req.value.clone())
    };
    if !opts.exclude.is_empty() && opts.entity.is_none() {
        return json!({"ok": false, "error": "excluding entities needs an entity column"});
    }
    let m = match measure_reader(req.csv.as_bytes(), &name, &opts) {
        Ok(m) => m,
        Err(e) => return json!({"ok": false, "error": e.to_string()}),
    };
    let table: serde_json::Map<String, serde_json::Value> = m
        .table
        .names
        .iter()
        .zip(&m.table.columns)
        .map(|(n, c)| {
            let v = match c {
                Column::Str(s) => json!(s),
                _ => json!(m.table.f64_column(n).unwrap_or_default()),
            };
            (n.clone(), v)
        })
        .collect();
    let top: Vec<_> = m
        .top_holders(TOP)
        .into_iter()
        .map(|h| json!({"entity": h.entity, "value": h.value, "share": h.share}))
        .collect();
    let values = m.final_numbers();
    let lorenz: Vec<[f64; 2]> = counterweight::metrics::lorenz(&values, 200)
        .map(|p| p.into_iter().map(|(a, b)| [a, b]).collect())
        .unwrap_or_default();
    let ccdf: Vec<[f64; 2]> = counterweight::io::plot::ccdf_points(&values)
        .into_iter()
        .map(|(a, b)| [a, b])
        .collect();
    json!({
        "ok": true,
        "rows": m.table.rows(),
        "columns": m.table.names,
        "table": table,
        "times": m.times,
        "entities": m.final_count(),
        "top": top,
        "lorenz": lorenz,
        "ccdf": ccdf,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_then_metrics() {
        let csv = "who,stake\nA,60\nB,30\nC,10\n";
        let c = columns(csv);
        assert_eq!(c["columns"], json!(["who", "stake"]));
        let v = measure(&MeasureRequest {
            csv: csv.into(),
            name: "s.csv".into(),
            value: "stake".into(),
            entity: Some("who".into()),
            time: None,
            exclude: vec![],
        });
        assert_eq!(v["ok"], true, "{v}");
        assert_eq!(v["top"][0]["entity"], "A");
        // HHI = 0.36 + 0.09 + 0.01
        let hhi = v["table"]["hhi"][0].as_f64().unwrap();
        assert!((hhi - 0.46).abs() < 1e-12);
        let bad = measure(&MeasureRequest {
            csv: csv.into(),
            name: "s.csv".into(),
            value: "nope".into(),
            entity: None,
            time: None,
            exclude: vec![],
        });
        assert!(
            bad["error"]
                .as_str()
                .unwrap()
                .contains("no column \"nope\"")
        );
    }
}
