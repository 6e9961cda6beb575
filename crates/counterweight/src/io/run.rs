//! A whole run directory: the resolved scenario, metrics (and actors) as CSV and Parquet,
//! `summary.json`, charts (SVG + PNG) and `report.html`.
//!
//! [`write_run`] writes into a directory file by file (each file atomic);
//! [`write_run_dir`] makes the whole directory appear at once: it writes into a sibling
//! staging directory `{out}.partial-{pid}` and renames it to `out` when complete.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::ser::SerializeMap;

use super::plot::{
    BarChart, Grid, LineChart, Panel, Series, bar_chart, bar_chart_svg, distribution_line_chart,
    line_chart, line_chart_svg, lorenz_line_chart, mixed_panel_chart, mixed_panel_chart_svg,
    panel_chart, panel_chart_svg,
};
use super::report::{Figure, Report, render_html};
use super::{Column, IoError, Table, write_atomic_bytes, write_csv, write_parquet};
use crate::registry::{ChartDef, PanelDef, PanelKind, YRange};
use crate::runner::{self, ExperimentOutput, RunError, RunOptions};
use crate::scenario::Experiment;

/// Everything a run directory is written from. Pure values: the runner (or a Python
/// binding) fills it, `write_run` turns it into files.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunRecord {
    /// The scenario's `name`: the report's title and every chart's.
    pub name: String,
    /// The scenario's `description`, shown under the report's title.
    pub description: String,
    /// The registered model's name (`model = "..."`), in the report and `summary.json`.
    pub model: String,
    /// The master seed, recorded so that the run can be reproduced bit for bit.
    pub seed: u64,
    /// The library version that made the run ([`crate::VERSION`]).
    pub version: String,
    /// The resolved scenario (with seed and version), written verbatim as `scenario.toml`.
    pub scenario_toml: String,
    /// One row per recorded step and replicate (and variant, with a leading `variant`
    /// column when several are compared). Columns per DESIGN §10.
    pub metrics: Table,
    /// `replicate, step, time, actor, group, value`, when asked for.
    pub actors: Option<Table>,
    /// `actors.csv` and `actors.parquet` are already in the directory (streamed there while
    /// the run ran, by [`run_to_dir`]): list them, do not write `actors`.
    pub actors_written: bool,
    /// One entry per variant (one without a comparison), in the metrics table's order.
    pub variants: Vec<VariantRecord>,
    /// Headline numbers shown first in the report and in `summary.json`, in order.
    pub key_numbers: Vec<(String, String)>,
    /// Sentences for the reader (early stops, how replicates were summarised), shown in
    /// the report and `summary.json`.
    pub notes: Vec<String>,
    /// The model's declared charts of its own columns ([`crate::registry::ModelSetup::charts`]),
    /// drawn after the concentration charts.
    pub charts: Vec<ChartDef>,
}

/// The final state of one variant (for the Lorenz and distribution charts).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VariantRecord {
    /// Matches the `variant` column of the metrics table when there is one.
    pub label: String,
    /// The scenario's actor group names, in order: the groups listed for this variant in
    /// `summary.json` (empty: taken from the metrics table's per-group share columns).
    pub groups: Vec<String>,
    /// The actors' final values (e.g. wealth), of one representative replicate (replicate
    /// 0), in no promised order: ascending when the run's last metrics evaluation sorted
    /// them ([`crate::runner::ScenarioOutput::final_sorted`]), which the charts then reuse.
    pub final_values: Vec<f64>,
}

/// The metrics columns every run has (DESIGN §10), in contract order.
pub const METRICS_CONTRACT: [&str; 11] = [
    "replicate",
    "step",
    "time",
    "hhi",
    "effective_number",
    "gini",
    "theil_t",
    "top1_share",
    "top10pct_share",
    "nakamoto_1_3",
    "nakamoto_1_2",
];

/// Metrics shown in the report's "final values" table, when present (labels from
/// [`crate::metrics::label`]).
const FINAL_TABLE_METRICS: [&str; 12] = [
    "hhi",
    "effective_number",
    "gini",
    "theil_t",
    "top1_share",
    "top3_share",
    "top1pct_share",
    "top10pct_share",
    "nakamoto_1_3",
    "nakamoto_1_2",
    "hill_alpha",
    "total",
];

// --- views of the metrics table --------------------------------------------------------

/// One variant's rows of the metrics table.
struct VariantRows {
    label: String,
    rows: Vec<usize>,
}

fn variant_rows(rec: &RunRecord) -> Vec<VariantRows> {
    let m = &rec.metrics;
    if let Some(col) = m.str_column("variant") {
        let mut out: Vec<VariantRows> = Vec::new();
        for (i, v) in col.iter().enumerate() {
            match out.iter_mut().find(|x| &x.label == v) {
                Some(x) => x.rows.push(i),
                None => out.push(VariantRows {
                    label: v.clone(),
                    rows: vec![i],
                }),
            }
        }
        out
    } else {
        let label = rec
            .variants
            .first()
            .map(|v| v.label.clone())
            .filter(|l| !l.is_empty())
            .unwrap_or_else(|| rec.name.clone());
        vec![VariantRows {
            label,
            rows: (0..m.rows()).collect(),
        }]
    }
}

/// The over-time axis: `time` if present, else `step`; `None` if neither.
fn time_axis(m: &Table) -> Option<(&'static str, Vec<f64>)> {
    if let Some(t) = m.f64_column("time") {
        return Some(("time", t));
    }
    m.f64_column("step").map(|s| ("step", s))
}

fn nan_mean(v: impl Iterator<Item = f64>) -> f64 {
    let (mut s, mut n) = (0.0, 0usize);
    for x in v.filter(|x| !x.is_nan()) {
        s += x;
        n += 1;
    }
    if n == 0 { f64::NAN } else { s / n as f64 }
}

/// `col` against the time axis over `rows`, averaged over replicates at equal x.
fn mean_over_time(x: &[f64], y: &[f64], rows: &[usize]) -> (Vec<f64>, Vec<f64>) {
    let mut pts: Vec<(f64, f64)> = rows
        .iter()
        .map(|&i| (x[i], y[i]))
        .filter(|p| !p.0.is_nan())
        .collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    let mut i = 0;
    while i < pts.len() {
        let mut j = i;
        while j < pts.len() && pts[j].0 == pts[i].0 {
            j += 1;
        }
        xs.push(pts[i].0);
        ys.push(nan_mean(pts[i..j].iter().map(|p| p.1)));
        i = j;
    }
    (xs, ys)
}

fn distinct_count(x: &[f64], rows: &[usize]) -> usize {
    let mut v: Vec<f64> = rows.iter().map(|&i| x[i]).filter(|v| !v.is_nan()).collect();
    v.sort_by(f64::total_cmp);
    v.dedup();
    v.len()
}

fn replicate_count(m: &Table, rows: &[usize]) -> usize {
    match m.f64_column("replicate") {
        Some(r) => distinct_count(&r, rows).max(1),
        None => 1,
    }
}

/// The rows of the last recorded step (one per replicate); the last row if there is no
/// step or time column.
fn final_rows(m: &Table, rows: &[usize]) -> Vec<usize> {
    let Some(&last) = rows.last() else {
        return Vec::new();
    };
    let key = m.f64_column("step").or_else(|| m.f64_column("time"));
    match key {
        Some(k) => {
            let max = rows
                .iter()
                .map(|&i| k[i])
                .filter(|v| !v.is_nan())
                .fold(f64::NEG_INFINITY, f64::max);
            if max == f64::NEG_INFINITY {
                return vec![last];
            }
            rows.iter().copied().filter(|&i| k[i] == max).collect()
        }
        None => vec![last],
    }
}

fn share_groups(m: &Table) -> Vec<String> {
    m.names
        .iter()
        .filter_map(|n| n.strip_prefix("share.").map(str::to_string))
        .collect()
}

// --- summary.json ---------------------------------------------------------------------

/// A JSON object that keeps its keys in insertion order.
#[derive(Debug, Default)]
struct Ordered(Vec<(String, serde_json::Value)>);

impl Serialize for Ordered {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

fn json_f64(x: f64) -> serde_json::Value {
    serde_json::Number::from_f64(x).map_or(serde_json::Value::Null, serde_json::Value::Number)
}

fn all_equal<T: PartialEq>(mut it: impl Iterator<Item = T>) -> bool {
    match it.next() {
        Some(first) => it.all(|x| x == first),
        None => true,
    }
}

/// The final row(s) of one variant as an ordered object. With one replicate: the final
/// row itself. With several: the mean over replicates of each numeric column (nulls and
/// NaN ignored; integer columns on which all replicates agree, such as `step`, stay
/// integers), `replicate` omitted; string columns kept when all replicates agree.
fn final_object(m: &Table, finals: &[usize]) -> Ordered {
    let mut obj = Ordered::default();
    let several = finals.len() > 1;
    for (name, col) in m.names.iter().zip(&m.columns) {
        if several && name == "replicate" {
            continue;
        }
        let value = match col {
            Column::Str(v) => {
                let first = finals.first().map(|&i| &v[i]);
                match first {
                    Some(f) if finals.iter().all(|&i| &v[i] == f) => {
                        serde_json::Value::String(f.clone())
                    }
                    _ => serde_json::Value::Null,
                }
            }
            // Integers stay integers when every replicate agrees (always with one).
            Column::U64(v) if all_equal(finals.iter().map(|&i| v[i])) => finals
                .first()
                .map_or(serde_json::Value::Null, |&i| serde_json::Value::from(v[i])),
            Column::OptU64(v) if all_equal(finals.iter().map(|&i| v[i])) => finals
                .first()
                .and_then(|&i| v[i])
                .map_or(serde_json::Value::Null, serde_json::Value::from),
            _ => {
                let f = m.f64_column(name).unwrap_or_default();
                json_f64(nan_mean(finals.iter().map(|&i| f[i])))
            }
        };
        obj.0.push((name.clone(), value));
    }
    obj
}

#[derive(Serialize)]
struct VariantSummary {
    label: String,
    groups: Vec<String>,
    replicates: usize,
    #[serde(rename = "final")]
    final_row: Ordered,
}

#[derive(Serialize)]
struct Summary<'a> {
    name: &'a str,
    description: &'a str,
    model: &'a str,
    seed: u64,
    version: &'a str,
    /// The mapping from seeds to normal deviates (`rng::NORMAL_STREAM_VERSION`): a change
    /// of it changes every random result of the models that draw through it.
    normal_stream: &'static str,
    rows: usize,
    columns: &'a [String],
    variants: Vec<VariantSummary>,
    key_numbers: Ordered,
    notes: &'a [String],
    files: Vec<String>,
}

// --- number formatting for people -----------------------------------------------------

/// Four significant digits, no float noise; integers as integers; NaN as an em dash.
pub fn format_number(x: f64) -> String {
    if x.is_nan() {
        return "—".into();
    }
    if x.is_infinite() {
        return if x > 0.0 {
            "∞".into()
        } else {
            "−∞".into()
        };
    }
    crate::fmt::sig(x, 4)
}

// --- Lorenz points ----------------------------------------------------------------------

/// Lorenz curve points (population share, share of the total), smallest first, starting
/// at (0, 0) and ending at (1, 1); at most ~2,000 points. `None` when the finite values
/// do not have a positive sum.
pub(crate) fn lorenz_points(values: &[f64]) -> Option<Vec<(f64, f64)>> {
    let v = crate::metrics::sorted_finite(values);
    if v.is_empty() {
        return None;
    }
    let n = v.len();
    const MAX: usize = 2000;
    let idx: Vec<usize> = if n < MAX {
        (0..=n).collect()
    } else {
        (0..MAX).map(|k| k * n / (MAX - 1)).collect()
    };
    // The running sum Σ_{l<i} x_(l) at the plotted ranks i (idx ascending, from 0), added
    // value by value from the smallest, a plain loop between consecutive ranks.
    let mut cum = Vec::with_capacity(idx.len());
    let mut s = 0.0;
    let mut done = 0;
    for &i in &idx {
        for &x in &v[done..i] {
            s += x;
        }
        done = i;
        cum.push(s);
    }
    for &x in &v[done..] {
        s += x;
    }
    if s <= 0.0 {
        return None;
    }
    Some(
        idx.into_iter()
            .zip(cum)
            .map(|(i, c)| (i as f64 / n as f64, c / s))
            .collect(),
    )
}

// --- plots -----------------------------------------------------------------------------

/// What a chart draws: one line chart, one bar chart, or small multiples under one title.
enum Drawing {
    Line(LineChart),
    Bars(BarChart),
    Panels(String, Vec<LineChart>),
    /// Lines and bars, in a fixed grid when given.
    Mixed(String, Vec<Panel>, Option<Grid>),
}

/// A chart of the run directory, decided but not drawn yet: `{stem}.svg` and `.png`.
struct Planned {
    stem: String,
    title: String,
    caption: String,
    drawing: Drawing,
}

impl Planned {
    /// Write `{stem}.svg` and `{stem}.png` into `dir`.
    fn write(&self, dir: &Path) -> Result<Vec<PathBuf>, IoError> {
        match &self.drawing {
            Drawing::Line(chart) => line_chart(dir, &self.stem, chart),
            Drawing::Bars(chart) => bar_chart(dir, &self.stem, chart),
            Drawing::Panels(title, panels) => panel_chart(dir, &self.stem, title, panels),
            Drawing::Mixed(title, panels, grid) => {
                mixed_panel_chart(dir, &self.stem, title, panels, grid.as_ref())
            }
        }
    }

    /// The SVG text of `{stem}.svg`, in memory.
    fn svg(&self) -> Result<String, String> {
        match &self.drawing {
            Drawing::Line(chart) => line_chart_svg(chart),
            Drawing::Bars(chart) => bar_chart_svg(chart),
            Drawing::Panels(title, panels) => panel_chart_svg(title, panels),
            Drawing::Mixed(title, panels, grid) => {
                mixed_panel_chart_svg(title, panels, grid.as_ref())
            }
        }
    }
}

/// The charts of a run directory, in order: over time (shares, concentration), then the
/// final state (Lorenz curves, distribution), then the model's declared charts
/// ([`RunRecord::charts`]). Which ones depends on the data only.
fn planned_figures(rec: &RunRecord, variants: &[VariantRows]) -> Vec<Planned> {
    let mut figures = Vec::new();
    over_time_plots(rec, variants, &mut figures);
    final_state_plots(rec, &mut figures);
    declared_plots(rec, variants, &mut figures);
    figures
}

fn over_time_plots(rec: &RunRecord, variants: &[VariantRows], figures: &mut Vec<Planned>) {
    let m = &rec.metrics;
    let Some((xname, x)) = time_axis(m) else {
        return;
    };
    if variants.iter().all(|v| distinct_count(&x, &v.rows) < 2) {
        return;
    }
    let x_label = if xname == "time" {
        "time (model time units)"
    } else {
        "step"
    };
    let reps = variants
        .iter()
        .map(|v| replicate_count(m, &v.rows))
        .max()
        .unwrap_or(1);
    let mean_note = if reps > 1 {
        format!(" Lines are means over {reps} replicates.")
    } else {
        String::new()
    };
    let several = variants.len() > 1;
    // A single group always holds the whole total: its share is not worth a line.
    let groups = Some(share_groups(m))
        .filter(|g| g.len() > 1)
        .unwrap_or_default();
    let series_of = |col: &str, label: &str, v: &VariantRows| -> Option<Series> {
        let y = m.f64_column(col)?;
        let (xs, ys) = mean_over_time(&x, &y, &v.rows);
        Some(Series::new(label, xs, ys))
    };
    let panel = |title: &str, y_label: &str, series: Vec<Series>| LineChart {
        title: title.to_string(),
        x_label: x_label.to_string(),
        y_label: y_label.to_string(),
        series,
        ..Default::default()
    };

    // (a) shares
    if !several {
        let v = &variants[0];
        let mut series: Vec<Series> = groups
            .iter()
            .filter_map(|g| series_of(&format!("share.{g}"), &format!("group {g}"), v))
            .collect();
        // Dashed and drawn last: a group of one actor coincides with it and shows through.
        series.extend(series_of("top1_share", "largest actor (top-1)", v).map(Series::dashed));
        if !series.is_empty() {
            let title = format!("Shares of the total over time — {}", rec.name);
            let mut chart = panel(&title, "share of the total", series);
            chart.y_range = share_range(&chart.series);
            figures.push(Planned {
                stem: "shares".into(),
                title,
                caption: format!(
                    "Each group's share of the total and the largest single actor's share.{mean_note}"
                ),
                drawing: Drawing::Line(chart),
            });
        }
    } else {
        let mut panels = Vec::new();
        let top1: Vec<Series> = variants
            .iter()
            .filter_map(|v| series_of("top1_share", &v.label, v))
            .collect();
        if !top1.is_empty() {
            panels.push(panel("largest actor (top-1)", "share of the total", top1));
        }
        for g in groups.iter().take(5) {
            let s: Vec<Series> = variants
                .iter()
                .filter_map(|v| series_of(&format!("share.{g}"), &v.label, v))
                .collect();
            if !s.is_empty() {
                panels.push(panel(&format!("group {g}"), "share of the total", s));
            }
        }
        for p in &mut panels {
            p.y_range = share_range(&p.series);
        }
        only_first_legend(&mut panels);
        if !panels.is_empty() {
            let title = format!("Shares over time by variant — {}", rec.name);
            let drawing = if panels.len() == 1 {
                let mut single = panels.remove(0);
                single.title = format!("Largest actor's share over time — {}", rec.name);
                Drawing::Line(single)
            } else {
                Drawing::Panels(title.clone(), panels)
            };
            figures.push(Planned {
                stem: "shares".into(),
                title,
                caption: format!(
                    "The largest actor's share and each group's share, one line per variant.{mean_note}"
                ),
                drawing,
            });
        }
    }

    // (b) concentration: one panel per metric, a line per variant
    // With fewer than 10 actors the top 10% is a fraction of one actor (validation.md §7:
    // interpolated on the Lorenz curve), so its share lies below the top-1 share: say so.
    let actors = rec
        .variants
        .iter()
        .map(|v| v.final_values.len())
        .filter(|&n| n > 0)
        .min();
    let top10_title = match actors {
        Some(n) if n < 10 => format!(
            "top-10% share ({} of an actor)",
            crate::fmt::sig(n as f64 / 10.0, 2)
        ),
        _ => "top-10% share".to_string(),
    };
    let metrics = [
        ("hhi", "HHI", "HHI (0–1)"),
        ("gini", "Gini", "Gini coefficient"),
        ("top10pct_share", top10_title.as_str(), "share of the total"),
    ];
    let panels: Vec<LineChart> = metrics
        .iter()
        .filter_map(|(col, title, y_label)| {
            let s: Vec<Series> = variants
                .iter()
                .filter_map(|v| series_of(col, if several { &v.label } else { "" }, v))
                .collect();
            (!s.is_empty()).then(|| {
                let mut p = panel(title, y_label, s);
                p.y_range = share_range(&p.series);
                p
            })
        })
        .collect();
    let mut panels = panels;
    only_first_legend(&mut panels);
    if !panels.is_empty() {
        let title = format!("Concentration over time — {}", rec.name);
        figures.push(Planned {
            stem: "concentration".into(),
            title: title.clone(),
            caption: format!(
                "Herfindahl–Hirschman index, Gini coefficient (population definition) and the share held by the top 10% of actors.{}{}{mean_note}",
                if several { " One line per variant." } else { "" },
                match actors {
                    Some(n) if n < 10 => format!(
                        " With {n} actors the top 10% is {} of an actor: the share is read off the Lorenz curve by interpolation (validation.md §7), i.e. that fraction of the largest actor's share, so it lies below the top-1 share.",
                        crate::fmt::sig(n as f64 / 10.0, 2)
                    ),
                    _ => String::new(),
                }
            ),
            drawing: Drawing::Panels(title, panels),
        });
    }
}

/// Small multiples share their colours: one legend (in the first panel) is enough.
fn only_first_legend(panels: &mut [LineChart]) {
    for p in panels.iter_mut().skip(1) {
        for s in &mut p.series {
            s.label.clear();
        }
    }
}

/// Shares live in [0, 1]: start the axis at 0, and stop at 1 when the data come near it.
fn share_range(series: &[Series]) -> Option<(f64, f64)> {
    let hi = series
        .iter()
        .flat_map(|s| s.ys.iter().copied())
        .filter(|v| v.is_finite())
        .fold(f64::NEG_INFINITY, f64::max);
    let lo = series
        .iter()
        .flat_map(|s| s.ys.iter().copied())
        .filter(|v| v.is_finite())
        .fold(f64::INFINITY, f64::min);
    if !hi.is_finite() || lo < 0.0 || hi > 1.0 {
        return None;
    }
    if hi > 0.7 {
        Some((0.0, 1.0))
    } else if hi > 0.0 {
        Some((0.0, hi * 1.08))
    } else {
        None
    }
}

/// The mean over the replicates among `rows` of each one's last finite value of `col`
/// (rows in recording order); NaN when no replicate has one.
fn final_mean_of(m: &Table, col: &[f64], rows: &[usize]) -> f64 {
    let reps = m.f64_column("replicate");
    let mut last: Vec<(f64, f64)> = Vec::new();
    for &i in rows {
        let r = reps.as_ref().map_or(0.0, |r| r[i]);
        let v = col[i];
        match last.iter_mut().find(|(k, _)| k.total_cmp(&r).is_eq()) {
            Some(slot) if v.is_finite() => slot.1 = v,
            Some(_) => {}
            None => last.push((r, if v.is_finite() { v } else { f64::NAN })),
        }
    }
    nan_mean(last.into_iter().map(|(_, v)| v))
}

/// The legend label of column `label` of variant `variant`: both when there are several
/// of each, whichever varies otherwise, nothing for a lone line.
fn declared_label(label: &str, variant: &str, several_series: bool, several: bool) -> String {
    match (several_series, several) {
        (true, true) => format!("{variant}: {label}"),
        (false, true) => variant.to_string(),
        (true, false) => label.to_string(),
        (false, false) => String::new(),
    }
}

/// The model's declared charts ([`RunRecord::charts`]), each one figure: panels of lines
/// over time (the mean over replicates at each recorded time) or of bars of final values
/// (the mean over replicates of each one's last finite value). A run with fewer than
/// three recorded times (the market alone: start and equilibrium; the veto simulation:
/// start and end) draws its line panels as bars: a line between two points says nothing. With several variants, a chart whose
/// panels each draw one column gets a line (or bar) per variant in each panel; a chart
/// with a panel of several columns gets one row of panels per variant instead, so that
/// the columns keep their colours and the legend stays short. Columns the table lacks or
/// that hold no finite value are left out; a panel left empty is dropped (drawn empty in
/// a row of a variant that lacks it), and so is a chart left without panels or whose stem
/// is already taken.
fn declared_plots(rec: &RunRecord, variants: &[VariantRows], figures: &mut Vec<Planned>) {
    let m = &rec.metrics;
    let axis = time_axis(m);
    let over_time = axis
        .as_ref()
        .is_some_and(|(_, x)| variants.iter().any(|v| distinct_count(x, &v.rows) >= 3));
    let x_label = match &axis {
        Some(("time", _)) => "time (model time units)",
        _ => "step",
    };
    let reps = variants
        .iter()
        .map(|v| replicate_count(m, &v.rows))
        .max()
        .unwrap_or(1);
    // One panel of `p` over the variants `vs`: `None` when nothing in it is finite.
    let panel_of = |p: &PanelDef, vs: &[&VariantRows]| -> Option<Panel> {
        let columns: Vec<(&str, Vec<f64>)> = p
            .series
            .iter()
            .filter_map(|s| {
                let y = m.f64_column(&s.column)?;
                vs.iter()
                    .any(|v| v.rows.iter().any(|&i| y[i].is_finite()))
                    .then_some((s.label.as_str(), y))
            })
            .collect();
        let several_series = p.series.len() > 1;
        let several = vs.len() > 1;
        if p.kind == PanelKind::Lines && over_time {
            let (_, x) = axis.as_ref()?;
            let mut series = Vec::new();
            for (label, y) in &columns {
                for v in vs {
                    let (xs, ys) = mean_over_time(x, y, &v.rows);
                    if ys.iter().any(|y| y.is_finite()) {
                        let l = declared_label(label, &v.label, several_series, several);
                        series.push(Series::new(l, xs, ys));
                    }
                }
            }
            if series.is_empty() {
                return None;
            }
            let y_range = match p.y_range {
                YRange::Auto => None,
                YRange::Share => share_range(&series),
                YRange::Fixed { lo, hi } => {
                    (lo.is_finite() && hi.is_finite() && lo < hi).then_some((lo, hi))
                }
            };
            Some(Panel::Line(LineChart {
                title: p.title.clone(),
                x_label: x_label.to_string(),
                y_label: p.y_label.clone(),
                series,
                y_range,
                ..Default::default()
            }))
        } else {
            let mut bars = Vec::new();
            for (label, y) in &columns {
                for v in vs {
                    let value = final_mean_of(m, y, &v.rows);
                    if value.is_finite() {
                        let l = if several {
                            format!("{}: {label}", v.label)
                        } else {
                            label.to_string()
                        };
                        bars.push((l, value));
                    }
                }
            }
            (!bars.is_empty()).then(|| {
                Panel::Bars(BarChart {
                    title: p.title.clone(),
                    x_label: p.y_label.clone(),
                    bars,
                    percent: p.y_range == YRange::Share,
                })
            })
        }
    };
    let all: Vec<&VariantRows> = variants.iter().collect();
    for def in &rec.charts {
        if def.stem.is_empty() || figures.iter().any(|f| f.stem == def.stem) {
            continue;
        }
        let by_row = variants.len() > 1 && def.panels.iter().any(|p| p.series.len() > 1);
        let (mut panels, grid) = if by_row {
            // The panels with something to draw in some variant, then a row per variant.
            let kept: Vec<&PanelDef> = def
                .panels
                .iter()
                .filter(|p| variants.iter().any(|v| panel_of(p, &[v]).is_some()))
                .collect();
            let mut panels = Vec::new();
            for (row, v) in variants.iter().enumerate() {
                for p in &kept {
                    let title = p.title.clone();
                    let mut panel = panel_of(p, &[v]).unwrap_or_else(|| {
                        Panel::Line(LineChart {
                            x_label: x_label.to_string(),
                            y_label: p.y_label.clone(),
                            ..Default::default()
                        })
                    });
                    match &mut panel {
                        Panel::Line(c) => {
                            c.title = title;
                            // The same colours in every row: one legend, in the first, and
                            // there only where an earlier panel does not show the same.
                            let labels: Vec<&str> =
                                c.series.iter().map(|s| s.label.as_str()).collect();
                            let shown = panels[row * kept.len()..].iter().any(|q| {
                                matches!(q, Panel::Line(q) if q.series.iter().map(|s| s.label.as_str()).eq(labels.iter().copied()))
                            });
                            if row > 0 || shown {
                                c.series.iter_mut().for_each(|s| s.label.clear());
                            }
                        }
                        Panel::Bars(b) => b.title = title,
                    }
                    panels.push(panel);
                }
            }
            let grid = Grid {
                rows: variants.len(),
                cols: kept.len(),
                row_titles: variants.iter().map(|v| v.label.clone()).collect(),
            };
            (panels, (!kept.is_empty()).then_some(grid))
        } else {
            let mut panels: Vec<Panel> = def
                .panels
                .iter()
                .filter_map(|p| panel_of(p, &all))
                .collect();
            // One line per variant in every panel, in the same colours: one legend.
            let labels = |p: &Panel| match p {
                Panel::Line(c) => Some(c.series.iter().map(|s| s.label.clone()).collect()),
                Panel::Bars(_) => None,
            };
            let first: Option<Vec<String>> = panels.first().and_then(labels);
            if first.is_some() && panels.iter().all(|p| labels(p) == first) {
                for p in panels.iter_mut().skip(1) {
                    if let Panel::Line(c) = p {
                        c.series.iter_mut().for_each(|s| s.label.clear());
                    }
                }
            }
            (panels, None)
        };
        if panels.is_empty() {
            continue;
        }
        let lines = panels.iter().any(|p| matches!(p, Panel::Line(_)));
        let bars = panels.iter().any(|p| matches!(p, Panel::Bars(_)));
        let title = format!("{} — {}", def.title, rec.name);
        let mut caption = def.caption.clone();
        if by_row {
            caption.push_str(" One row of panels per variant.");
        } else if variants.len() > 1 && lines {
            caption.push_str(" One line per variant.");
        }
        if reps > 1 && lines {
            caption.push_str(&format!(" Lines are means over {reps} replicates."));
        }
        if reps > 1 && bars {
            caption.push_str(&format!(
                " Bars are means over {reps} replicates of each one's final value."
            ));
        }
        let drawing = if panels.len() == 1 {
            match panels.remove(0) {
                Panel::Line(mut c) => {
                    c.title = title.clone();
                    Drawing::Line(c)
                }
                Panel::Bars(mut b) => {
                    b.title = title.clone();
                    Drawing::Bars(b)
                }
            }
        } else {
            Drawing::Mixed(title.clone(), panels, grid)
        };
        figures.push(Planned {
            stem: def.stem.clone(),
            title,
            caption,
            drawing,
        });
    }
}

fn final_state_plots(rec: &RunRecord, figures: &mut Vec<Planned>) {
    let label = |v: &VariantRecord| {
        if v.label.is_empty() {
            rec.name.clone()
        } else {
            v.label.clone()
        }
    };
    // Each variant's finite final values sorted once, for both charts (which take values
    // already sorted as they are; neither depends on the order): borrowed when the run's
    // last metrics evaluation handed its sort over, which saves an 8 MB copy at 10^6.
    let sorted: Vec<std::borrow::Cow<'_, [f64]>> = rec
        .variants
        .iter()
        .map(|v| crate::metrics::sorted_finite(&v.final_values))
        .collect();
    let curves: Vec<(String, Vec<(f64, f64)>)> = rec
        .variants
        .iter()
        .zip(&sorted)
        .filter_map(|(v, s)| lorenz_points(s).map(|p| (label(v), p)))
        .collect();
    if !curves.is_empty() {
        let title = format!("Final Lorenz curves — {}", rec.name);
        figures.push(Planned {
            stem: "lorenz".into(),
            drawing: Drawing::Line(lorenz_line_chart(&title, &curves)),
            title,
            caption: "Cumulative share of the total held by the smallest x% of actors at the end of the run; the further below the diagonal, the more unequal.".into(),
        });
    }
    let samples: Vec<(String, std::borrow::Cow<'_, [f64]>)> = rec
        .variants
        .iter()
        .zip(sorted)
        .filter(|(_, s)| s.last().is_some_and(|x| *x > 0.0))
        .map(|(v, s)| (label(v), s))
        .collect();
    if !samples.is_empty() {
        let title = format!("Final distribution (log–log) — {}", rec.name);
        figures.push(Planned {
            stem: "distribution".into(),
            drawing: Drawing::Line(distribution_line_chart(&title, &samples)),
            title,
            caption: "Complementary CDF P(X ≥ x) of the actors' final values on log–log axes; a straight tail is a power law whose slope is minus the tail exponent.".into(),
        });
    }
}

// --- the run directory -----------------------------------------------------------------

/// The data files of a run directory, in order: `(stem, table, what it holds)`.
fn data_tables(rec: &RunRecord) -> Vec<(&'static str, &Table, &'static str)> {
    let mut out = vec![(
        "metrics",
        &rec.metrics,
        "concentration metrics, one row per recorded step and replicate",
    )];
    if let Some(actors) = rec.actors.as_ref().filter(|_| !rec.actors_written) {
        out.push(("actors", actors, ACTORS_WHAT));
    }
    out
}

/// What `actors.csv` and `actors.parquet` hold, in the report's list of files.
const ACTORS_WHAT: &str = "every actor's value at the recorded steps";

/// The names of the files of a run directory, in the order they are written.
fn file_names(rec: &RunRecord, figures: &[Planned]) -> Vec<String> {
    let mut names = vec!["scenario.toml".to_string()];
    for (stem, _, _) in data_tables(rec) {
        names.push(format!("{stem}.csv"));
        names.push(format!("{stem}.parquet"));
    }
    if rec.actors_written {
        names.push("actors.csv".into());
        names.push("actors.parquet".into());
    }
    for f in figures {
        names.push(format!("{}.svg", f.stem));
        names.push(format!("{}.png", f.stem));
    }
    names.push("summary.json".into());
    names.push("report.html".into());
    names
}

/// `summary.json` of the run directory, in memory (keys in file order): name, model, seed,
/// version, the metrics' rows and columns, each variant's groups, replicates and final row
/// (the mean over replicates when there are several), the key numbers, notes and the
/// directory's files. [`write_run`] writes exactly this; `counterweight run --json`
/// prints it and the Python package returns it as `Run.summary`.
pub fn summary(rec: &RunRecord) -> serde_json::Value {
    let variants = variant_rows(rec);
    let figures = planned_figures(rec, &variants);
    summary_of(rec, &variants, &figures)
}

fn summary_of(rec: &RunRecord, variants: &[VariantRows], figures: &[Planned]) -> serde_json::Value {
    let m = &rec.metrics;
    let groups_of = |label: &str| {
        rec.variants
            .iter()
            .find(|v| v.label == label)
            .or(if variants.len() == 1 {
                rec.variants.first()
            } else {
                None
            })
            .map(|v| v.groups.clone())
            .filter(|g| !g.is_empty())
            .unwrap_or_else(|| share_groups(m))
    };
    let summary = Summary {
        name: &rec.name,
        description: &rec.description,
        model: &rec.model,
        seed: rec.seed,
        version: &rec.version,
        normal_stream: crate::rng::NORMAL_STREAM_VERSION,
        rows: m.rows(),
        columns: &m.names,
        variants: variants
            .iter()
            .map(|v| VariantSummary {
                label: v.label.clone(),
                groups: groups_of(&v.label),
                replicates: replicate_count(m, &v.rows),
                final_row: final_object(m, &final_rows(m, &v.rows)),
            })
            .collect(),
        key_numbers: Ordered(
            rec.key_numbers
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect(),
        ),
        notes: &rec.notes,
        files: file_names(rec, figures),
    };
    // Plain strings, numbers and ordered maps: serialisation cannot fail.
    serde_json::to_value(&summary).unwrap_or(serde_json::Value::Null)
}

/// The over-time shares chart of a run (`shares.svg` of its directory, the same drawing)
/// as SVG text, without writing anything; `None` when the run has no such chart (a single
/// recorded step, or a model without shares).
pub fn shares_svg(rec: &RunRecord) -> Option<Result<String, String>> {
    let variants = variant_rows(rec);
    planned_figures(rec, &variants)
        .into_iter()
        .find(|f| f.stem == "shares")
        .map(|f| f.svg())
}

/// Every chart of a run directory as `(stem, SVG text)`, in order, drawn in memory
/// without writing anything: the same drawings [`write_run`] writes as `{stem}.svg` (and,
/// through another backend, `{stem}.png`). The whole run path can so be exercised without
/// a directory (the `run` fuzz target).
pub fn figures_svg(rec: &RunRecord) -> Vec<(String, Result<String, String>)> {
    let variants = variant_rows(rec);
    planned_figures(rec, &variants)
        .into_iter()
        .map(|f| {
            let svg = f.svg();
            (f.stem, svg)
        })
        .collect()
}

/// A short HTML card of a run, for a notebook (the Python package's `Run._repr_html_`):
/// the name, model, seed and size, the key numbers, notes, and the shares chart (the
/// drawing of `shares.svg`, scaled to the width of the page). No scripts.
pub fn card_html(rec: &RunRecord) -> String {
    use super::report::escape;
    use std::fmt::Write as _;
    let variants = variant_rows(rec);
    let m = &rec.metrics;
    let reps = variants
        .iter()
        .map(|v| replicate_count(m, &v.rows))
        .max()
        .unwrap_or(1);
    let mut h = String::from(
        "<div class=\"counterweight-run\" style=\"font-family:sans-serif;max-width:760px\">\n",
    );
    let _ = writeln!(
        h,
        "<h4 style=\"margin:0.3em 0\">counterweight run: {}</h4>",
        escape(&rec.name)
    );
    let _ = writeln!(
        h,
        "<p style=\"margin:0.2em 0;color:#555\">model {} · seed {} · {} variant(s) · {} replicate(s) · metrics {} rows × {} columns</p>",
        escape(&rec.model),
        rec.seed,
        variants.len(),
        reps,
        m.rows(),
        m.names.len()
    );
    if !rec.key_numbers.is_empty() {
        h.push_str("<table>\n");
        for (k, v) in &rec.key_numbers {
            let _ = writeln!(
                h,
                "<tr><td style=\"text-align:left\">{}</td><td style=\"text-align:right\"><b>{}</b></td></tr>",
                escape(k),
                escape(v)
            );
        }
        h.push_str("</table>\n");
    }
    for n in &rec.notes {
        let _ = writeln!(
            h,
            "<p style=\"margin:0.2em 0;color:#555\">{}</p>",
            escape(n)
        );
    }
    let figures = planned_figures(rec, &variants);
    if let Some(Ok(svg)) = figures
        .iter()
        .find(|f| f.stem == "shares")
        .map(Planned::svg)
    {
        // Keep the viewBox, drop the fixed size: the chart scales to the card's width.
        let svg = match (svg.find("<svg "), svg.find(" viewBox=")) {
            (Some(a), Some(b)) if a < b => format!("{}<svg width=\"100%\"{}", &svg[..a], &svg[b..]),
            _ => svg,
        };
        h.push_str(&svg);
        h.push('\n');
    }
    h.push_str("</div>\n");
    h
}

/// Write every output of a run into `dir` (created if missing). Each file is written
/// atomically; returns the paths written, in order.
pub fn write_run(dir: &Path, rec: &RunRecord) -> Result<Vec<PathBuf>, IoError> {
    fs::create_dir_all(dir).map_err(|e| IoError::fs("cannot create directory", dir, e))?;
    let mut files = Vec::new();

    let p = dir.join("scenario.toml");
    write_atomic_bytes(&p, rec.scenario_toml.as_bytes())?;
    files.push(p);

    let mut data_files = vec![(
        "scenario.toml".to_string(),
        "the resolved scenario, with seed and version".to_string(),
    )];
    for (stem, table, what) in data_tables(rec) {
        let csv = dir.join(format!("{stem}.csv"));
        write_csv(table, &csv)?;
        let pq = dir.join(format!("{stem}.parquet"));
        write_parquet(table, &pq)?;
        data_files.push((format!("{stem}.csv"), format!("{what} (CSV)")));
        data_files.push((format!("{stem}.parquet"), format!("{what} (Parquet)")));
        files.push(csv);
        files.push(pq);
    }
    if rec.actors_written {
        for ext in ["csv", "parquet"] {
            let p = dir.join(format!("actors.{ext}"));
            if !p.is_file() {
                return Err(IoError::fs(
                    "missing streamed output",
                    &p,
                    std::io::Error::from(std::io::ErrorKind::NotFound),
                ));
            }
            let kind = if ext == "csv" { "CSV" } else { "Parquet" };
            data_files.push((format!("actors.{ext}"), format!("{ACTORS_WHAT} ({kind})")));
            files.push(p);
        }
    }

    let variants = variant_rows(rec);
    let figures = planned_figures(rec, &variants);
    // Each chart is drawn twice (SVG, PNG) and encoded: most of a large run's output time.
    // They are independent files, drawn on the rayon pool under this thread's cancellation
    // flag (Ctrl-C); results (and the first error) are taken in figure order, so the files
    // and messages do not depend on the threads. (The tables stay before them, on this
    // thread: a Ctrl-C while they are written stops within a few thousand rows, without
    // waiting for a chart half drawn beside them.)
    let flag = super::atomic::current_flag();
    let written: Vec<Result<Vec<PathBuf>, IoError>> = {
        use rayon::prelude::*;
        figures
            .par_iter()
            .map(|f| super::atomic::with_flag(flag.as_ref(), || f.write(dir)))
            .collect()
    };
    for w in written {
        files.extend(w?);
    }

    // summary.json
    let m = &rec.metrics;
    let summary_path = dir.join("summary.json");
    let report_path = dir.join("report.html");
    let mut json =
        serde_json::to_vec_pretty(&summary_of(rec, &variants, &figures)).map_err(|source| {
            IoError::Json {
                path: summary_path.clone(),
                source,
            }
        })?;
    json.push(b'\n');
    write_atomic_bytes(&summary_path, &json)?;
    files.push(summary_path);
    data_files.push((
        "summary.json".into(),
        "name, seed, version, final metrics per variant and the key numbers".into(),
    ));

    // report.html
    let mut figs = Vec::new();
    for w in &figures {
        let svg_path = dir.join(format!("{}.svg", w.stem));
        let svg =
            fs::read_to_string(&svg_path).map_err(|e| IoError::fs("cannot read", &svg_path, e))?;
        figs.push(Figure {
            title: w.title.clone(),
            caption: w.caption.clone(),
            svg,
            files: vec![format!("{}.svg", w.stem), format!("{}.png", w.stem)],
        });
    }
    let finals: Vec<(String, Vec<usize>)> = variants
        .iter()
        .map(|v| (v.label.clone(), final_rows(m, &v.rows)))
        .collect();
    let final_table = final_values_table(m, &variants, &finals);
    let mut meta = vec![
        ("model".to_string(), rec.model.clone()),
        ("seed".to_string(), rec.seed.to_string()),
        ("version".to_string(), rec.version.clone()),
    ];
    if variants.len() > 1 {
        meta.push(("variants".into(), variants.len().to_string()));
    }
    let reps = variants
        .iter()
        .map(|v| replicate_count(m, &v.rows))
        .max()
        .unwrap_or(1);
    meta.push(("replicates".into(), reps.to_string()));
    let report = Report {
        title: rec.name.clone(),
        meta,
        description: rec.description.clone(),
        notes: rec.notes.clone(),
        key_numbers: rec.key_numbers.clone(),
        final_table,
        figures: figs,
        files: data_files,
        scenario_toml: rec.scenario_toml.clone(),
        ..Default::default()
    };
    write_atomic_bytes(&report_path, render_html(&report).as_bytes())?;
    files.push(report_path);
    Ok(files)
}

/// Rows: metrics; columns: variants; cells: the final value (mean over replicates).
fn final_values_table(
    m: &Table,
    variants: &[VariantRows],
    finals: &[(String, Vec<usize>)],
) -> Option<(Vec<String>, Vec<Vec<String>>)> {
    let mut rows = Vec::new();
    let mut wanted: Vec<(String, String)> = FINAL_TABLE_METRICS
        .iter()
        .map(|c| {
            (
                c.to_string(),
                crate::metrics::label(c).unwrap_or_default().into(),
            )
        })
        .collect();
    for g in share_groups(m) {
        wanted.push((format!("share.{g}"), format!("share of group {g}")));
    }
    for (col, label) in wanted {
        let Some(values) = m.f64_column(&col) else {
            continue;
        };
        let mut row = vec![label];
        for (_, f) in finals {
            row.push(format_number(nan_mean(f.iter().map(|&i| values[i]))));
        }
        rows.push(row);
    }
    if rows.is_empty() || finals.iter().all(|(_, f)| f.is_empty()) {
        return None;
    }
    let several_reps = variants.iter().any(|v| replicate_count(m, &v.rows) > 1);
    let mut headers = vec![if several_reps {
        "metric (final step, mean over replicates)".to_string()
    } else {
        "metric (final step)".to_string()
    }];
    headers.extend(variants.iter().map(|v| v.label.clone()));
    Some((headers, rows))
}

/// Write the run directory `out` all-or-nothing: everything goes into the sibling
/// `{out}.partial-{pid}`, which is renamed to `out` once complete and removed on error
/// (see [`super::atomic::write_dir_atomically`], which also removes staging directories
/// of dead processes). It is an error if `out` exists and is not an empty directory.
/// Returns the final paths.
pub fn write_run_dir(out: &Path, rec: &RunRecord) -> Result<Vec<PathBuf>, IoError> {
    super::atomic::write_dir_atomically(out, |staging| write_run(staging, rec))
}

/// Why [`run_to_dir`] failed.
#[derive(Debug, thiserror::Error)]
pub enum RunDirError {
    /// The run failed (or was cancelled); boxed, a `RunError` is large.
    #[error(transparent)]
    Run(Box<RunError>),
    /// The directory could not be written (or writing was cancelled).
    #[error(transparent)]
    Io(#[from] IoError),
}

impl From<RunError> for RunDirError {
    fn from(e: RunError) -> Self {
        RunDirError::Run(Box::new(e))
    }
}

impl RunDirError {
    /// Whether the run or the writing was cancelled.
    pub fn is_cancelled(&self) -> bool {
        match self {
            RunDirError::Run(e) => matches!(**e, RunError::Cancelled),
            RunDirError::Io(e) => matches!(e, IoError::Cancelled { .. }),
        }
    }
}

/// Run `exp` and write its run directory `out` all-or-nothing, as [`write_run_dir`] of
/// its [`RunRecord`] would, but with the per-actor rows (`output.actors`) streamed into
/// the staging directory while the replicates run ([`super::actors::ActorFiles`]), so
/// memory does not grow with them. The files are byte-identical to those of the
/// in-memory path, on any number of threads. Returns the output (without actor tables,
/// and with its [`runner::ScenarioOutput::final_sorted`] moved into the record's
/// final values rather than copied) and its record.
pub fn run_to_dir(
    out: &Path,
    exp: &Experiment,
    opts: &RunOptions,
) -> Result<(ExperimentOutput, RunRecord), RunDirError> {
    run_to_dir_timed(out, exp, opts).map(|(output, record, _)| (output, record))
}

/// Where the wall-clock time of [`run_to_dir_timed`] went: the model (the replicates,
/// their metrics and any streamed actor rows) and the outputs (tables, charts, report,
/// the rename into place). Reported, never written into the run directory, whose files
/// stay a function of scenario and seed alone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PhaseTimes {
    /// Seconds spent running the model.
    pub model: f64,
    /// Seconds spent writing the outputs after the model finished.
    pub outputs: f64,
}

/// [`run_to_dir`], also returning where the time went ([`PhaseTimes`]): the CLI prints
/// the split, and `bench/whole.py` reads it (issue 14: writing the outputs of a run of
/// 10^6 actors should take well under a tenth of a second).
pub fn run_to_dir_timed(
    out: &Path,
    exp: &Experiment,
    opts: &RunOptions,
) -> Result<(ExperimentOutput, RunRecord, PhaseTimes), RunDirError> {
    let started = std::time::Instant::now();
    let mut model_seconds = 0.0;
    let mut result = None;
    super::atomic::write_dir_atomically_with(out, |staging| {
        let sink = super::actors::ActorFiles::create(staging, exp)?;
        let mut output = match &sink {
            Some(s) => runner::run_experiment_into(exp, opts, s)?,
            None => runner::run_experiment(exp, opts)?,
        };
        let streamed = match sink {
            Some(s) => {
                s.finish()?;
                true
            }
            None => false,
        };
        model_seconds = started.elapsed().as_secs_f64();
        // The charts' values are moved from the output into the record (8 MB at 10^6
        // actors not copied); the output keeps every replicate's values in actor order.
        let finals = output
            .variants
            .iter_mut()
            .map(|(_, o)| o.take_chart_final_values())
            .collect();
        let mut record = RunRecord::from_output_with(exp, &output, finals);
        record.actors_written = streamed;
        let files = write_run(staging, &record)?;
        result = Some((output, record));
        Ok::<_, RunDirError>(files)
    })?;
    let (output, record) = result.expect("written");
    let total = started.elapsed().as_secs_f64();
    let times = PhaseTimes {
        model: model_seconds,
        outputs: (total - model_seconds).max(0.0),
    };
    Ok((output, record, times))
}

// --- from a run's output ---------------------------------------------------------------

/// The final row (last recorded step of replicate 0) of a metrics table, as a lookup.
pub fn final_row(t: &Table) -> impl Fn(&str) -> f64 + '_ {
    let reps = t.f64_column("replicate").unwrap_or_default();
    let last = reps
        .iter()
        .rposition(|&r| r == 0.0)
        .unwrap_or(t.rows().saturating_sub(1));
    move |name| {
        t.f64_column(name)
            .and_then(|c| c.get(last).copied())
            .unwrap_or(f64::NAN)
    }
}

/// The mean over replicates of a column's last value in each replicate, over the
/// replicates where it is defined (finite); NaN when it is defined in none. Models with
/// their own outcome columns (the veto simulation's shares, say) are read this way: one
/// replicate is an anecdote.
pub fn final_mean(t: &Table, name: &str) -> f64 {
    let Some(col) = t.f64_column(name) else {
        return f64::NAN;
    };
    let reps = t.f64_column("replicate").unwrap_or_default();
    let (mut sum, mut n) = (0.0, 0u32);
    for (i, &x) in col.iter().enumerate() {
        let last_of_replicate = reps.get(i + 1).is_none_or(|next| Some(next) != reps.get(i));
        if last_of_replicate && x.is_finite() {
            sum += x;
            n += 1;
        }
    }
    if n == 0 { f64::NAN } else { sum / n as f64 }
}

/// A count for a table: the integer, or `-` when undefined.
pub fn fmt_count(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.0}")
    } else {
        "-".into()
    }
}

impl RunRecord {
    /// Everything a run directory is written from, for an experiment and its output: the
    /// key numbers (the model's key columns, or the concentration headline numbers), notes
    /// on early stops and replicates, the tables and the final values.
    pub fn from_output(exp: &Experiment, out: &ExperimentOutput) -> RunRecord {
        let finals = out
            .variants
            .iter()
            .map(|(_, o)| o.chart_final_values().to_vec())
            .collect();
        RunRecord::from_output_with(exp, out, finals)
    }

    /// [`RunRecord::from_output`] with the variants' final values given, one vector per
    /// variant in order.
    fn from_output_with(
        exp: &Experiment,
        out: &ExperimentOutput,
        finals: Vec<Vec<f64>>,
    ) -> RunRecord {
        let first = &exp.variants[0].scenario;
        let mut key_numbers = Vec::new();
        let mut notes = Vec::new();
        let mut variants = Vec::new();
        debug_assert_eq!(finals.len(), out.variants.len());
        for (((label, o), v), final_values) in out.variants.iter().zip(&exp.variants).zip(finals) {
            let row = final_row(&o.metrics);
            let prefix = if out.variants.len() > 1 {
                format!("{label}: ")
            } else {
                String::new()
            };
            let observation = v.scenario.model.setup().observation();
            if observation.concentration && observation.key.is_empty() {
                key_numbers.push((
                    format!("{prefix}final top-1 share"),
                    format!("{:.3}", row("top1_share")),
                ));
                key_numbers.push((format!("{prefix}final Gini"), format!("{:.3}", row("gini"))));
                key_numbers.push((
                    format!("{prefix}final effective number"),
                    format!("{:.1}", row("effective_number")),
                ));
                key_numbers.push((
                    format!("{prefix}Nakamoto coefficient (1/3, 1/2)"),
                    format!(
                        "{}, {}",
                        fmt_count(row("nakamoto_1_3")),
                        fmt_count(row("nakamoto_1_2"))
                    ),
                ));
            } else {
                for name in observation.key_columns() {
                    let label = observation
                        .columns
                        .iter()
                        .find(|c| c.name == name)
                        .map_or(name, |c| c.label);
                    let (what, x) = if v.scenario.replicates > 1 {
                        ("mean final", final_mean(&o.metrics, name))
                    } else {
                        ("final", row(name))
                    };
                    key_numbers.push((format!("{prefix}{what} {label}"), format_number(x)));
                }
            }
            let stop = v.scenario.model.setup().stop_at_share().unwrap_or(1.0);
            for s in &o.early_stops {
                notes.push(format!(
                    "{prefix}replicate {} stopped at t = {:.3} (step {}): the top actor held {:.3} of the total (stop_at_share = {stop}).",
                    s.replicate, s.time, s.step, s.top1_share
                ));
            }
            variants.push(VariantRecord {
                label: label.clone(),
                groups: v.scenario.groups.iter().map(|g| g.name.clone()).collect(),
                final_values,
            });
        }
        if first.replicates > 1 {
            let observation = first.model.setup().observation();
            notes.push(if observation.concentration && observation.key.is_empty() {
                format!("{} replicates; key numbers are those of replicate 0.", first.replicates)
            } else {
                format!(
                    "{} replicates; key numbers are means over replicates of each one's final value (where defined).",
                    first.replicates
                )
            });
        }
        RunRecord {
            name: exp.name.clone(),
            description: exp.description.clone(),
            model: first.model.name().into(),
            seed: first.seed,
            version: crate::VERSION.to_string(),
            scenario_toml: format!(
                "# counterweight {} — resolved scenario\n{}",
                crate::VERSION,
                exp.resolved_toml
            ),
            metrics: out.metrics_table(),
            actors: out.actors_table(),
            actors_written: false,
            variants,
            key_numbers,
            notes,
            charts: first.model.setup().charts(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lorenz_points_are_monotone_and_anchored() {
        let p = lorenz_points(&[3.0, 1.0, 0.0, 4.0]).unwrap();
        assert_eq!(p.first(), Some(&(0.0, 0.0)));
        assert_eq!(p.last(), Some(&(1.0, 1.0)));
        assert_eq!(p[2], (0.5, 0.125));
        assert!(lorenz_points(&[0.0, 0.0]).is_none());
        let big: Vec<f64> = (0..100_000).map(|i| (i % 97) as f64).collect();
        let p = lorenz_points(&big).unwrap();
        assert!(p.len() <= 2000);
        assert_eq!(p.last(), Some(&(1.0, 1.0)));
        assert!(p.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1));
    }

    #[test]
    fn final_state_points_are_the_same_from_sorted_and_unsorted_values() {
        // The run hands both charts values sorted once (borrowed as they are); measure hands
        // them unsorted, with non-finite values among them. Both must give the same points.
        let mut state = 11u64;
        let raw: Vec<f64> = (0..50_000)
            .map(|i| {
                state = crate::rng::mix64(state);
                match i % 11 {
                    0 => 0.0,
                    1 => -0.0,
                    2 => f64::NAN,
                    3 => f64::INFINITY,
                    _ => (state >> 11) as f64 / (1u64 << 40) as f64,
                }
            })
            .collect();
        let mut sorted: Vec<f64> = raw.iter().copied().filter(|x| x.is_finite()).collect();
        sorted.sort_by(f64::total_cmp);
        let bits = |p: Vec<(f64, f64)>| {
            p.iter()
                .map(|(a, b)| (a.to_bits(), b.to_bits()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            bits(lorenz_points(&raw).unwrap()),
            bits(lorenz_points(&sorted).unwrap())
        );
        let ccdf = crate::io::plot::ccdf_points;
        assert_eq!(bits(ccdf(&raw)), bits(ccdf(&sorted)));
        // The Lorenz curve's ordinates are the running sums at the plotted ranks.
        let p = lorenz_points(&sorted).unwrap();
        let n = sorted.len();
        let total: f64 = sorted.iter().sum();
        for &(x, y) in p.iter().step_by(97) {
            let i = (x * n as f64).round() as usize;
            let s: f64 = sorted[..i].iter().sum();
            assert!(
                (y - s / total).abs() < 1e-12,
                "at rank {i}: {y} vs {}",
                s / total
            );
        }
    }

    #[test]
    fn number_formatting() {
        assert_eq!(format_number(0.123456), "0.1235");
        assert_eq!(format_number(12.0), "12");
        assert_eq!(format_number(1234.5678), "1235");
        assert_eq!(format_number(f64::NAN), "—");
        assert_eq!(format_number(0.5), "0.5");
    }
}
