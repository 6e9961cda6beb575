//! The directory of a measurement of real data (`counterweight measure`): the metrics,
//! the top holders, charts and a report, in the words of data rather than of a simulation
//! (no seed, replicates or steps: a measurement has none).
//!
//! Files: `measure.toml` (what was measured), `metrics.csv` / `metrics.parquet` (one row
//! per time; see [`crate::measure`] for the columns), `top_holders.csv` (the largest
//! holders at the latest time), `summary.json`, charts (SVG + PNG) and `report.html`.
//! A measurement by entity and by group (`--group`) adds the layers (a table in the
//! report, `layers` and `top_groups` in `summary.json`, the chart `top_groups`); one with
//! an owners table (`--owners`) adds `mhhi` and `delta_mhhi` to `summary.json`'s top level
//! and the report's key numbers.
//! HHI is stored on the 0–1 scale (`hhi`) and shown on the 0–10,000 scale competition
//! authorities use, always with the scale named.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::plot::{BarChart, LineChart, Series, bar_chart, ccdf_points, line_chart, panel_chart};
use super::report::{Figure, Report, render_html};
use super::run::{format_number, lorenz_points};
use super::{Column, IoError, Table, write_atomic_bytes, write_csv, write_parquet};
use crate::measure::{
    GroupedMeasurement, MeasureOptions, Measurement, TimeKind, ownership_key_numbers,
};
use crate::metrics::LayerMetrics;

/// How many holders `top_holders.csv`, `summary.json` and the report list.
pub const TOP_HOLDERS: usize = 10;

/// What a measurement directory is written from.
#[derive(Debug, Clone)]
pub struct MeasureRecord<'a> {
    /// Title of the report, e.g. `measure eth-staking-entities`.
    pub name: String,
    /// The data file as given.
    pub source: String,
    /// The options the data were measured with (recorded in `summary.json`).
    pub options: &'a MeasureOptions,
    /// The measurement to write.
    pub measurement: &'a Measurement,
    /// The counterweight version, recorded in the outputs.
    pub version: String,
    /// The same rows measured by group too (`--group COL`): the group column's name and
    /// the measurement; `measurement` is then its by-entity side (with the `_by_group`
    /// columns appended).
    pub grouped: Option<(&'a str, &'a GroupedMeasurement)>,
}

/// A value of the table's last row (the latest time).
fn last(m: &Measurement, name: &str) -> f64 {
    m.table
        .f64_column(name)
        .and_then(|c| c.last().copied())
        .unwrap_or(f64::NAN)
}

fn count(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.0}")
    } else {
        "-".into()
    }
}

/// The headline numbers at the latest time, labelled with their scale where there is a
/// choice (HHI). Shared by the report, `summary.json` and the command line.
pub fn key_numbers(m: &Measurement) -> Vec<(String, String)> {
    let largest = m
        .top_holders(1)
        .into_iter()
        .next()
        .map_or("-".to_string(), |h| h.entity);
    vec![
        ("entities".to_string(), count(last(m, "n_entities"))),
        ("largest".to_string(), largest),
        (
            "top-1 share".to_string(),
            format!("{:.4}", last(m, "top1_share")),
        ),
        (
            "top-10% share".to_string(),
            format!("{:.4}", last(m, "top10pct_share")),
        ),
        (
            "HHI (0-10,000 scale)".to_string(),
            format!("{:.0}", last(m, "hhi") * 10_000.0),
        ),
        (
            "effective number".to_string(),
            format!("{:.2}", last(m, "effective_number")),
        ),
        ("Gini".to_string(), format!("{:.4}", last(m, "gini"))),
        (
            "Nakamoto coefficient (> 1/3, > 1/2)".to_string(),
            format!(
                "{}, {}",
                count(last(m, "nakamoto_1_3")),
                count(last(m, "nakamoto_1_2"))
            ),
        ),
    ]
}

/// Every headline number of a measurement: [`key_numbers`], then the layers of a grouped
/// measurement ([`GroupedMeasurement::key_numbers`]) and, when the table holds `mhhi`
/// (an owners table was given), MHHI and ΔMHHI on the 0–10,000 scale. The terminal, the
/// report and `summary.json`'s `key_numbers` show exactly these.
pub fn all_key_numbers(rec: &MeasureRecord<'_>) -> Vec<(String, String)> {
    let m = rec.measurement;
    let mut keys = key_numbers(m);
    if let Some((col, g)) = rec.grouped {
        keys.extend(g.key_numbers(col));
    }
    if m.table.f64_column("mhhi").is_some() {
        keys.extend(ownership_key_numbers(m));
    }
    keys
}

/// A layer's metrics as a JSON object (`n`, `total`, `hhi`, `hhi_10000`,
/// `effective_number`, `top1_share`, `nakamoto_1_3`, `nakamoto_1_2`, `nakamoto_2_3`;
/// an undefined coefficient is null).
fn layer_object(l: &LayerMetrics) -> Value {
    let nc = |x: Option<usize>| x.map_or(Value::Null, Value::from);
    let mut o = Map::new();
    o.insert("n".into(), l.n.into());
    o.insert("total".into(), json_f64(l.total));
    o.insert("hhi".into(), json_f64(l.hhi));
    o.insert("hhi_10000".into(), json_f64(l.hhi * 10_000.0));
    o.insert("effective_number".into(), json_f64(l.effective_number));
    o.insert("top1_share".into(), json_f64(l.top1_share));
    o.insert("nakamoto_1_3".into(), nc(l.nakamoto_1_3));
    o.insert("nakamoto_1_2".into(), nc(l.nakamoto_1_2));
    o.insert("nakamoto_2_3".into(), nc(l.nakamoto_2_3));
    Value::Object(o)
}

/// Holders as a JSON array of `{rank, entity, value, share}`.
fn holders_array(top: &[crate::measure::Holder]) -> Value {
    Value::Array(
        top.iter()
            .map(|h| {
                let mut o = Map::new();
                o.insert("rank".into(), h.rank.into());
                o.insert("entity".into(), h.entity.clone().into());
                o.insert("value".into(), json_f64(h.value));
                o.insert("share".into(), json_f64(h.share));
                Value::Object(o)
            })
            .collect(),
    )
}

/// The report's table of layers: one row per metric, one column per layer.
fn layers_html(entity: &str, group: &str, g: &GroupedMeasurement) -> String {
    use super::report::escape;
    let nc = |x: Option<usize>| x.map_or("-".to_string(), |v| v.to_string());
    let cells = |l: &LayerMetrics| {
        [
            l.n.to_string(),
            format!("{:.4}", l.top1_share),
            format!("{:.0}", l.hhi * 10_000.0),
            format!("{:.2}", l.effective_number),
            nc(l.nakamoto_1_3),
            nc(l.nakamoto_1_2),
            nc(l.nakamoto_2_3),
        ]
    };
    let labels = [
        "holders",
        "top-1 share",
        "HHI (0-10,000 scale)",
        "effective number",
        "Nakamoto coefficient (> 1/3)",
        "Nakamoto coefficient (> 1/2)",
        "Nakamoto coefficient (> 2/3)",
    ];
    let (by_entity, by_group) = (cells(&g.entity_layer), cells(&g.group_layer));
    let mut h = String::from("<h2>Layers</h2>\n<div class=\"scroll\"><table>\n<tr>");
    h.push_str(&format!(
        "<th>metric (latest time)</th><th>by entity (<code>{}</code>)</th><th>by group (<code>{}</code>)</th></tr>\n",
        escape(entity),
        escape(group)
    ));
    for ((label, e), g) in labels.iter().zip(&by_entity).zip(&by_group) {
        h.push_str(&format!(
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
            escape(label),
            escape(e),
            escape(g)
        ));
    }
    h.push_str("</table></div>\n");
    h
}

/// A sentence saying what was measured: the column, the file, exclusions, the latest time.
pub fn description(rec: &MeasureRecord<'_>) -> String {
    let o = rec.options;
    let mut d = format!("Concentration of `{}` in {}", o.value, rec.source);
    if !o.exclude.is_empty() {
        d.push_str(&format!(", excluding {}", o.exclude.join(", ")));
    }
    if let Some(t) = rec.measurement.times.last() {
        d.push_str(&format!("; latest time {t}"));
    }
    d
}

fn json_f64(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

/// Row `row` of `t` as a JSON object (NaN and missing values as null).
fn row_object(t: &Table, row: usize) -> Map<String, Value> {
    let mut obj = Map::new();
    for (name, col) in t.names.iter().zip(&t.columns) {
        let v = match col {
            Column::F64(v) => json_f64(v[row]),
            Column::U64(v) => Value::from(v[row]),
            Column::OptU64(v) => v[row].map_or(Value::Null, Value::from),
            Column::Str(v) => Value::String(v[row].clone()),
        };
        obj.insert(name.clone(), v);
    }
    obj
}

/// Write the measurement directory `out` all-or-nothing (through a staging directory, see
/// [`super::atomic::write_dir_atomically`]). Returns the final paths.
pub fn write_measure_dir(out: &Path, rec: &MeasureRecord<'_>) -> Result<Vec<PathBuf>, IoError> {
    super::atomic::write_dir_atomically(out, |dir| write_measure(dir, rec))
}

/// Write every output of a measurement into `dir` (created if missing), each file
/// atomically. Returns the paths written, in order.
pub fn write_measure(dir: &Path, rec: &MeasureRecord<'_>) -> Result<Vec<PathBuf>, IoError> {
    std::fs::create_dir_all(dir).map_err(|e| IoError::fs("cannot create directory", dir, e))?;
    let m = rec.measurement;
    let o = rec.options;
    let mut files = Vec::new();
    let mut data_files: Vec<(String, String)> = Vec::new();

    // measure.toml: what was measured, re-readable as TOML.
    let mut spec = toml::Table::new();
    spec.insert("file".into(), rec.source.clone().into());
    spec.insert("value".into(), o.value.clone().into());
    if let Some(e) = &o.entity {
        spec.insert("entity".into(), e.clone().into());
    }
    if let Some(t) = &o.time {
        spec.insert("time".into(), t.clone().into());
    }
    spec.insert(
        "exclude".into(),
        toml::Value::Array(o.exclude.iter().cloned().map(Into::into).collect()),
    );
    let spec_text = format!(
        "# counterweight {} — measure\n{}",
        rec.version,
        toml::to_string(&spec).unwrap_or_default()
    );
    let p = dir.join("measure.toml");
    write_atomic_bytes(&p, spec_text.as_bytes())?;
    files.push(p);
    data_files.push((
        "measure.toml".into(),
        "what was measured: the file, the columns, the exclusions".into(),
    ));

    // metrics
    let csv = dir.join("metrics.csv");
    write_csv(&m.table, &csv)?;
    let pq = dir.join("metrics.parquet");
    write_parquet(&m.table, &pq)?;
    let per = if m.time_kind.is_some() {
        "one row per time"
    } else {
        "one row"
    };
    data_files.push((
        "metrics.csv".into(),
        format!("concentration metrics, {per} (CSV; hhi on the 0-1 scale)"),
    ));
    data_files.push((
        "metrics.parquet".into(),
        format!("concentration metrics, {per} (Parquet)"),
    ));
    files.push(csv);
    files.push(pq);

    // top holders
    let top = m.top_holders(TOP_HOLDERS);
    let mut t = Table::new();
    t.push(
        "rank",
        Column::U64(top.iter().map(|h| h.rank as u64).collect()),
    );
    t.push(
        "entity",
        Column::Str(top.iter().map(|h| h.entity.clone()).collect()),
    );
    t.push("value", Column::F64(top.iter().map(|h| h.value).collect()));
    t.push("share", Column::F64(top.iter().map(|h| h.share).collect()));
    let p = dir.join("top_holders.csv");
    write_csv(&t, &p)?;
    files.push(p);
    let at = m.times.last().map_or(String::new(), |t| format!(" at {t}"));
    data_files.push((
        "top_holders.csv".into(),
        format!(
            "the {} largest holders{at}: rank, entity, value, share of the total",
            top.len()
        ),
    ));

    // charts
    let mut figures: Vec<(String, String, String)> = Vec::new(); // stem, title, caption
    let what = if o.entity.is_some() {
        "holders"
    } else {
        "rows"
    };
    if !top.is_empty() {
        let title = format!("Top holders{at} — {}", rec.name);
        let chart = BarChart {
            title: title.clone(),
            x_label: format!("share of the total of `{}`{at}", o.value),
            bars: top.iter().map(|h| (h.entity.clone(), h.share)).collect(),
            percent: true,
        };
        files.extend(bar_chart(dir, "top_holders", &chart)?);
        figures.push((
            "top_holders".into(),
            title,
            format!(
                "The {} largest {what}{at} and their shares of the total.",
                top.len()
            ),
        ));
    }
    let top_groups = rec
        .grouped
        .map(|(_, g)| g.by_group.top_holders(TOP_HOLDERS))
        .unwrap_or_default();
    if let Some((col, _)) = rec.grouped
        && !top_groups.is_empty()
    {
        let title = format!("Top groups ({col}){at} — {}", rec.name);
        let chart = BarChart {
            title: title.clone(),
            x_label: format!("share of the total of `{}`{at}", o.value),
            bars: top_groups
                .iter()
                .map(|h| (h.entity.clone(), h.share))
                .collect(),
            percent: true,
        };
        files.extend(bar_chart(dir, "top_groups", &chart)?);
        figures.push((
            "top_groups".into(),
            title,
            format!(
                "The {} largest groups (`{col}`){at}: each group's rows summed, as shares of the total.",
                top_groups.len()
            ),
        ));
    }
    if m.times.len() >= 2 {
        let xs = m.table.f64_column("time").unwrap_or_default();
        let (x_label, x_dates) = match m.time_kind {
            Some(TimeKind::Date) => ("date".to_string(), true),
            Some(TimeKind::Text) => (
                "time (rank in sorted order; see time_label)".to_string(),
                false,
            ),
            _ => (o.time.clone().unwrap_or_else(|| "time".into()), false),
        };
        let panel = |col: &str, title: &str, y_label: &str, unit: bool| LineChart {
            title: title.into(),
            x_label: x_label.clone(),
            y_label: y_label.into(),
            series: vec![Series::new(
                "",
                xs.clone(),
                m.table.f64_column(col).unwrap_or_default(),
            )],
            y_range: unit.then_some((0.0, 1.0)),
            x_dates,
            ..Default::default()
        };
        let panels = vec![
            panel("hhi", "HHI (0-1 scale)", "HHI (0-1 scale)", false),
            panel("gini", "Gini", "Gini coefficient", true),
            panel("top1_share", "top-1 share", "share of the total", true),
        ];
        let title = format!("Concentration over time — {}", rec.name);
        files.extend(panel_chart(dir, "concentration", &title, &panels)?);
        figures.push((
            "concentration".into(),
            title,
            "HHI (on the 0-1 scale: multiply by 10,000 for the 0-10,000 scale), Gini and the largest holder's share at each time.".into(),
        ));
    }
    let values = m.final_numbers();
    if let Some(pts) = lorenz_points(&values) {
        let title = format!("Lorenz curve{at} — {}", rec.name);
        let chart = LineChart {
            title: title.clone(),
            x_label: format!("cumulative share of {what}, smallest first"),
            y_label: "cumulative share of the total".into(),
            series: vec![Series::new(
                "",
                pts.iter().map(|p| p.0).collect(),
                pts.iter().map(|p| p.1).collect(),
            )],
            x_range: Some((0.0, 1.0)),
            y_range: Some((0.0, 1.0)),
            diagonal: true,
            ..Default::default()
        };
        files.extend(line_chart(dir, "lorenz", &chart)?);
        figures.push((
            "lorenz".into(),
            title,
            format!("Cumulative share of the total held by the smallest x% of {what}; the further below the diagonal, the more unequal."),
        ));
    }
    if values.iter().any(|v| *v > 0.0) {
        let pts = ccdf_points(&values);
        let title = format!("Distribution (log–log){at} — {}", rec.name);
        let chart = LineChart {
            title: title.clone(),
            x_label: format!("value x of `{}`", o.value),
            y_label: "P(X ≥ x)".into(),
            series: vec![Series::new(
                "",
                pts.iter().map(|p| p.0).collect(),
                pts.iter().map(|p| p.1).collect(),
            )],
            log_x: true,
            log_y: true,
            ..Default::default()
        };
        files.extend(line_chart(dir, "distribution", &chart)?);
        figures.push((
            "distribution".into(),
            title,
            format!("Complementary CDF: the share of {what} holding at least x, on log–log axes; a straight tail is a power law whose slope is minus the tail exponent."),
        ));
    }

    // summary.json
    let keys = all_key_numbers(rec);
    let summary_path = dir.join("summary.json");
    let report_path = dir.join("report.html");
    let mut names: Vec<String> = files
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    names.push("summary.json".into());
    names.push("report.html".into());
    let mut latest = if m.table.rows() > 0 {
        row_object(&m.table, m.table.rows() - 1)
    } else {
        Map::new()
    };
    latest.insert("hhi_10000".into(), json_f64(last(m, "hhi") * 10_000.0));
    let mut summary = Map::new();
    summary.insert("name".into(), rec.name.clone().into());
    summary.insert("source".into(), rec.source.clone().into());
    summary.insert("value_column".into(), o.value.clone().into());
    summary.insert("entity_column".into(), o.entity.clone().into());
    summary.insert("time_column".into(), o.time.clone().into());
    summary.insert("time_kind".into(), m.time_kind.map(|k| k.name()).into());
    summary.insert("excluded".into(), o.exclude.clone().into());
    summary.insert("version".into(), rec.version.clone().into());
    summary.insert("times".into(), m.times.clone().into());
    summary.insert("rows".into(), m.table.rows().into());
    summary.insert("columns".into(), m.table.names.clone().into());
    summary.insert(
        "hhi_scale".into(),
        "hhi is on the 0-1 scale; hhi_10000 is the same on the 0-10,000 scale".into(),
    );
    summary.insert("latest".into(), Value::Object(latest));
    summary.insert(
        "key_numbers".into(),
        Value::Object(
            keys.iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        ),
    );
    summary.insert("top_holders".into(), holders_array(&top));
    if let Some((col, g)) = rec.grouped {
        summary.insert("group_column".into(), col.into());
        let mut layers = Map::new();
        layers.insert("by_entity".into(), layer_object(&g.entity_layer));
        layers.insert("by_group".into(), layer_object(&g.group_layer));
        summary.insert("layers".into(), Value::Object(layers));
        summary.insert("top_groups".into(), holders_array(&top_groups));
    }
    if m.table.f64_column("mhhi").is_some() {
        let (mhhi, delta) = (last(m, "mhhi"), last(m, "delta_mhhi"));
        summary.insert("hhi".into(), json_f64(last(m, "hhi")));
        summary.insert("mhhi".into(), json_f64(mhhi));
        summary.insert("delta_mhhi".into(), json_f64(delta));
        summary.insert("mhhi_10000".into(), json_f64(mhhi * 10_000.0));
        summary.insert("delta_mhhi_10000".into(), json_f64(delta * 10_000.0));
    }
    summary.insert("files".into(), names.into());
    let mut json =
        serde_json::to_vec_pretty(&Value::Object(summary)).map_err(|source| IoError::Json {
            path: summary_path.clone(),
            source,
        })?;
    json.push(b'\n');
    write_atomic_bytes(&summary_path, &json)?;
    files.push(summary_path);
    data_files.push((
        "summary.json".into(),
        "what was measured, the metrics at the latest time, the key numbers and the top holders"
            .into(),
    ));

    // report.html
    let mut figs = Vec::new();
    for (stem, title, caption) in figures {
        let svg_path = dir.join(format!("{stem}.svg"));
        let svg = std::fs::read_to_string(&svg_path)
            .map_err(|e| IoError::fs("cannot read", &svg_path, e))?;
        figs.push(Figure {
            title,
            caption,
            svg,
            files: vec![format!("{stem}.svg"), format!("{stem}.png")],
        });
    }
    let mut meta = vec![("value column".to_string(), o.value.clone())];
    if let Some(e) = &o.entity {
        meta.push(("entity column".into(), e.clone()));
    }
    if let (Some(t), Some(k)) = (&o.time, m.time_kind) {
        meta.push((
            "time column".into(),
            format!("{t} ({} times, {})", m.times.len(), k.name()),
        ));
    }
    meta.push(("counterweight".into(), rec.version.clone()));
    let mut notes = Vec::new();
    if !o.exclude.is_empty() {
        notes.push(format!("Excluded entities: {}.", o.exclude.join(", ")));
    }
    notes.push(
        "HHI is shown on the 0-10,000 scale (the sum of squared percentage shares); metrics.csv and summary.json also hold it on the 0-1 scale (`hhi`, the sum of squared shares).".into(),
    );
    let mut key_rows = keys.clone();
    if let Some(t) = m.times.last() {
        key_rows.insert(0, ("latest time".into(), t.clone()));
    }
    let holders_table = (!top.is_empty()).then(|| {
        (
            vec![
                format!("top holders{at}"),
                format!("value of `{}`", o.value),
                "share".to_string(),
            ],
            top.iter()
                .map(|h| {
                    vec![
                        format!("{}. {}", h.rank, h.entity),
                        format_number(h.value),
                        format!("{:.2}%", 100.0 * h.share),
                    ]
                })
                .collect(),
        )
    });
    let report = Report {
        title: rec.name.clone(),
        meta,
        description: description(rec),
        notes,
        key_numbers: key_rows,
        final_table: holders_table,
        figures: figs,
        files: data_files,
        scenario_toml: String::new(),
        ..Default::default()
    };
    let mut html =
        render_html(&report).replacen("<h2>Final values</h2>", "<h2>Top holders</h2>", 1);
    if let Some((col, g)) = rec.grouped {
        let layers = layers_html(o.entity.as_deref().unwrap_or("entity"), col, g);
        // Before the top holders (or the charts, or the data files, whichever comes first).
        let at = [
            "<h2>Top holders</h2>",
            "<h2>Charts</h2>",
            "<h2>Data files</h2>",
        ]
        .iter()
        .find_map(|m| html.find(m))
        .unwrap_or(html.len());
        html.insert_str(at, &layers);
    }
    write_atomic_bytes(&report_path, html.as_bytes())?;
    files.push(report_path);
    Ok(files)
}
