//! The sweep's charts and `report.html`: final metrics against the first varied key with
//! 95% confidence bands (one line per combination of the other keys), a heatmap phase
//! diagram when exactly two keys span a grid, and metrics over time for small sweeps.

use std::path::Path;

/// One phase map: the column, the file stem, the colour range, the caption.
type PhaseMap<'a> = (&'a str, String, Option<(f64, f64)>, String);

use super::SweepError;
use super::aggregate::Summary;
use super::plan::Plan;

/// The metrics charted against the first key: the model's key columns.
fn key_metrics(plan: &Plan) -> Vec<&'static str> {
    plan.observation.key_columns()
}

/// [0, 1] for shares and probabilities.
fn unit_range(plan: &Plan, metric: &str) -> Option<(f64, f64)> {
    plan.unit_interval(metric).then_some((0.0, 1.0))
}
use super::spec::{AxisKind, Design, VARIANT_KEY};
use crate::io::report::{Figure, Report, render_html};
use crate::io::{Band, BandChart, Heatmap, Table, band_chart, heatmap, write_atomic_bytes};

/// Most lines drawn in one band chart.
const MAX_LINES: usize = 8;

/// A final metric's label in charts: the model's own column label, or the contract
/// metric's (`metrics::label`), prefixed with "final".
fn label_of(plan: &Plan, metric: &str) -> String {
    if let Some(c) = plan.observation.columns.iter().find(|c| c.name == metric) {
        return c.label.to_string();
    }
    match metric {
        "time" => "time at the end of the run".into(),
        "stopped_fraction" => "fraction of runs stopped at stop_at_share".into(),
        "effective_number" => "final effective number of actors".into(),
        _ => crate::metrics::label(metric).map_or(metric.to_string(), |l| format!("final {l}")),
    }
}

fn col(t: &Table, name: &str) -> Vec<f64> {
    t.f64_column(name)
        .unwrap_or_else(|| vec![f64::NAN; t.rows()])
}

/// Draw every chart that fits the sweep's shape. Returns the figures for the report.
pub fn write_charts(plan: &Plan, s: &Summary, dir: &Path) -> Result<Vec<Figure>, SweepError> {
    let mut figs = Vec::new();
    let axes = &plan.spec.axes;
    let t = &s.table;
    let mut add = |files: Vec<std::path::PathBuf>, title: String, caption: String| {
        let svg = std::fs::read_to_string(&files[0]).unwrap_or_default();
        figs.push(Figure {
            title,
            caption,
            svg,
            files: files
                .iter()
                .map(|f| {
                    f.file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .into_owned()
                })
                .collect(),
        });
    };

    // 1. Final metrics against the first key, one band per combination of the others.
    let x_axis = &axes[0];
    if !matches!(plan.spec.design, Design::Lhs(_)) && x_axis.numeric() && x_axis.values.len() >= 2 {
        let xs = col(t, &x_axis.key);
        let group_of = |row: usize| -> String {
            axes[1..]
                .iter()
                .map(|a| {
                    let v = t
                        .f64_column(&a.key)
                        .map(|c| crate::fmt::sig(c[row], LEGEND_DIGITS))
                        .or_else(|| t.str_column(&a.key).map(|c| c[row].clone()))
                        .unwrap_or_default();
                    if a.key == VARIANT_KEY {
                        v
                    } else {
                        format!("{} = {v}", short(&a.key))
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let (runs_col, failed_col) = (col(t, "runs"), col(t, "failed"));
        let all_failed = |r: usize| runs_col[r] > 0.0 && failed_col[r] >= runs_col[r];
        let mut groups: Vec<String> = Vec::new();
        for row in 0..t.rows() {
            let g = group_of(row);
            if !groups.contains(&g) {
                groups.push(g);
            }
        }
        if groups.len() <= MAX_LINES {
            for metric in key_metrics(plan) {
                if !plan.metrics.iter().any(|m| m.0 == metric) {
                    continue;
                }
                let (mean, lo, hi) = (
                    col(t, &format!("{metric}_mean")),
                    col(t, &format!("{metric}_ci_low")),
                    col(t, &format!("{metric}_ci_high")),
                );
                let bands = groups
                    .iter()
                    .map(|g| {
                        let mut rows: Vec<usize> =
                            (0..t.rows()).filter(|&r| group_of(r) == *g).collect();
                        rows.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]));
                        Band {
                            label: g.clone(),
                            xs: rows.iter().map(|&r| xs[r]).collect(),
                            mean: rows.iter().map(|&r| mean[r]).collect(),
                            lo: rows.iter().map(|&r| lo[r]).collect(),
                            hi: rows.iter().map(|&r| hi[r]).collect(),
                            failed: rows
                                .iter()
                                .filter(|&&r| all_failed(r))
                                .map(|&r| xs[r])
                                .collect(),
                        }
                    })
                    .collect::<Vec<Band>>();
                let has_ci = lo.iter().chain(&hi).any(|v| v.is_finite());
                let failed_points = (0..t.rows()).filter(|&r| all_failed(r)).count();
                let undefined = (0..t.rows())
                    .filter(|&r| !all_failed(r) && !mean[r].is_finite())
                    .count();
                let chart = BandChart {
                    title: format!("{} vs {}", label_of(plan, metric), x_axis.key),
                    x_label: x_axis.key.clone(),
                    y_label: format!(
                        "{} ({})",
                        label_of(plan, metric),
                        if has_ci { "mean, 95% CI" } else { "mean" }
                    ),
                    bands,
                    y_range: unit_range(plan, metric),
                    log_x: matches!(x_axis.kind, AxisKind::Log { .. }),
                };
                let stem = format!("final_{metric}");
                let files = band_chart(dir, &stem, &chart).map_err(SweepError::Io)?;
                let mut caption = if has_ci {
                    format!(
                        "Mean over {} replicates per point, with the {} (failed runs left out).",
                        plan.replicates,
                        interval_words(plan, metric)
                    )
                } else {
                    format!(
                        "Mean over {} replicate{} per point; no confidence interval (it needs two runs with a value per point).",
                        plan.replicates,
                        if plan.replicates == 1 { "" } else { "s" }
                    )
                };
                if failed_points > 0 {
                    caption.push_str(&format!(
                        " × at the bottom: {failed_points} point{} where every run failed (no value; see the status column of results.csv).",
                        if failed_points == 1 { "" } else { "s" }
                    ));
                }
                if undefined > 0 {
                    caption.push_str(&format!(
                        " {undefined} point{} without a value (the metric is undefined there) leave a gap.",
                        if undefined == 1 { "" } else { "s" }
                    ));
                }
                add(files, chart.title.clone(), caption);
            }
        }
    }

    // 2. Phase diagrams over two keys.
    if plan.spec.design == Design::Grid
        && axes.len() == 2
        && axes.iter().all(|a| a.values.len() >= 2)
    {
        let (nx, ny) = (axes[0].values.len(), axes[1].values.len());
        let grid = |name: &str| -> Vec<Vec<f64>> {
            let c = col(t, name);
            (0..ny)
                .map(|iy| (0..nx).map(|ix| c[ix * ny + iy]).collect())
                .collect()
        };
        let key = key_metrics(plan)[0];
        let mut maps: Vec<PhaseMap> = vec![(
            key,
            format!("phase_{key}"),
            unit_range(plan, key),
            if key == "top1_share" {
                "Colour: mean final top-1 share per point (grey: every run failed).".to_string()
            } else {
                format!(
                    "Colour: mean final {} per point (grey: no value: every run failed, or the value is undefined).",
                    label_of(plan, key)
                )
            },
        )];
        if s.stopped > 0 {
            maps.push((
                "stopped_fraction",
                "phase_stopped".into(),
                Some((0.0, 1.0)),
                "Colour: the fraction of runs that ended because one actor reached the model's stop_at_share of the total (grey: every run failed).".into(),
            ));
            maps.push((
                "time",
                "phase_end_time".into(),
                None,
                "Colour: mean time at which the runs ended, i.e. when one actor first held the model's stop_at_share of the total, or time.end.".into(),
            ));
        }
        for (metric, stem, range, caption) in maps {
            let values = if metric == "stopped_fraction" {
                // Grey where every run failed: nothing stopped, nothing ran to the end.
                let (st, runs, failed) = (col(t, "stopped"), col(t, "runs"), col(t, "failed"));
                let c: Vec<f64> = st
                    .iter()
                    .zip(&runs)
                    .zip(&failed)
                    .map(|((s, r), f)| if f >= r { f64::NAN } else { s / r })
                    .collect();
                (0..ny)
                    .map(|iy| (0..nx).map(|ix| c[ix * ny + iy]).collect())
                    .collect()
            } else if plan.metrics.iter().any(|m| m.0 == metric) {
                grid(&format!("{metric}_mean"))
            } else {
                continue;
            };
            let map = Heatmap {
                title: format!(
                    "{} over {} × {}",
                    label_of(plan, metric),
                    axes[0].key,
                    axes[1].key
                ),
                x_label: axes[0].key.clone(),
                y_label: axes[1].key.clone(),
                x_values: axes[0].values.iter().map(compact).collect(),
                y_values: axes[1].values.iter().map(compact).collect(),
                values,
                colour_label: bar_label(metric),
                range,
            };
            let files = heatmap(dir, &stem, &map).map_err(SweepError::Io)?;
            add(files, map.title.clone(), caption);
        }
    }

    // 3. Over time, for small sweeps.
    if let Some(series) = &s.series
        && plan.metrics.iter().any(|m| m.0 == "top1_share")
    {
        let pcol = col(series, "point");
        let time = col(series, "time");
        let (mean, lo, hi) = (
            col(series, "top1_share_mean"),
            col(series, "top1_share_ci_low"),
            col(series, "top1_share_ci_high"),
        );
        let bands: Vec<Band> = (0..plan.spec.points.len())
            .map(|p| {
                let rows: Vec<usize> = (0..series.rows())
                    .filter(|&r| pcol[r] as usize == p)
                    .collect();
                Band {
                    label: point_label(plan, p),
                    xs: rows.iter().map(|&r| time[r]).collect(),
                    mean: rows.iter().map(|&r| mean[r]).collect(),
                    lo: rows.iter().map(|&r| lo[r]).collect(),
                    hi: rows.iter().map(|&r| hi[r]).collect(),
                    failed: Vec::new(),
                }
            })
            .take(MAX_LINES)
            .collect();
        let chart = BandChart {
            title: "top-1 share over time".into(),
            x_label: "time (model time units)".into(),
            y_label: "top-1 share (mean, 95% CI)".into(),
            bands,
            y_range: Some((0.0, 1.0)),
            log_x: false,
        };
        let files = band_chart(dir, "series_top1_share", &chart).map_err(SweepError::Io)?;
        add(
            files,
            chart.title.clone(),
            format!(
                "Per point, the mean over the replicates still running at each recorded step, with its {}.",
                interval_words(plan, "top1_share")
            ),
        );
    }
    Ok(figs)
}

/// Significant digits of numbers in legends and tables (the CSV keeps them all).
const LEGEND_DIGITS: usize = 4;

/// A tick label: numbers to 3 significant digits (log grids have long decimals).
fn compact(v: &super::spec::AxisValue) -> String {
    match v.number {
        Some(x) if x.is_finite() => crate::fmt::sig(x, 3),
        _ => v.label(),
    }
}

/// A point's values for a legend or a table: `spillover = 0.3162, variant`.
fn point_label(plan: &Plan, p: usize) -> String {
    plan.spec
        .axes
        .iter()
        .zip(&plan.spec.points[p])
        .map(|(a, v)| {
            let value = match v.number {
                Some(x) => crate::fmt::sig(x, LEGEND_DIGITS),
                None => v.label(),
            };
            if a.key == VARIANT_KEY {
                value
            } else {
                format!("{} = {value}", short(&a.key))
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Which 95% interval a metric's `_ci_low`/`_ci_high` hold, in words.
fn interval_words(plan: &Plan, metric: &str) -> &'static str {
    if plan.unit_interval(metric) {
        "95% confidence interval of the mean that stays in [0, 1]: Wilson score when every run's value is 0 or 1, else the logit-transformed Student-t interval"
    } else {
        "95% Student-t confidence interval of the mean"
    }
}

/// A short label for a colour bar or a table header: the model's column name, or the
/// contract metric's label.
fn bar_label(metric: &str) -> String {
    match metric {
        "stopped_fraction" => "stopped".into(),
        "time" => "end time".into(),
        _ => crate::metrics::label(metric).map_or(metric.to_string(), String::from),
    }
}

/// `growth.returns_to_scale=1.2` -> `returns_to_scale=1.2`.
fn short(key: &str) -> &str {
    match key.split_once('=') {
        Some((k, _)) => {
            let start = k.rfind('.').map_or(0, |i| i + 1);
            &key[start..]
        }
        None => key.rsplit('.').next().unwrap_or(key),
    }
}

/// Write `report.html` with the key numbers, the charts and the files.
pub fn write_report(
    plan: &Plan,
    s: &Summary,
    dir: &Path,
    figures: Vec<Figure>,
) -> Result<(), SweepError> {
    let design = match plan.spec.design {
        Design::Grid => "full factorial".to_string(),
        Design::Zip => "zipped lists".to_string(),
        Design::Lhs(n) => format!("Latin hypercube, {n} points"),
    };
    let mut notes = vec![format!(
        "Varied: {}.",
        plan.spec
            .axes
            .iter()
            .map(|a| format!("{} = {}", a.key, a.spec))
            .collect::<Vec<_>>()
            .join("; ")
    )];
    if s.failed > 0 {
        notes.push(format!(
            "{} of {} runs failed; their status column holds the error, e.g.: {}",
            s.failed,
            s.runs,
            s.failures.first().cloned().unwrap_or_default()
        ));
    }
    if s.stopped > 0 {
        notes.push(format!(
            "{} runs ended early because one actor held the model's stop_at_share of the total (status \"stopped\").",
            s.stopped
        ));
    }
    let t = &s.table;
    let final_table = (t.rows() <= 200).then(|| {
        let mut headers = vec!["point".to_string()];
        headers.extend(plan.spec.axes.iter().map(|a| a.key.clone()));
        // The model's key numbers (top-1 share and Gini for value-per-actor models).
        let keys: Vec<&str> = key_metrics(plan)
            .into_iter()
            .filter(|k| plan.metrics.iter().any(|m| m.0 == *k))
            .take(if plan.observation.concentration { 2 } else { 3 })
            .collect();
        headers.push("failed".into());
        headers.extend(keys.iter().map(|k| {
            let label = bar_label(k);
            let mark = if plan.unit_interval(k) { "¹" } else { "²" };
            format!("{label} (95% CI{mark})")
        }));
        let ci = |m: &str, r: usize| {
            let f = |x: f64| {
                if x.is_finite() {
                    crate::fmt::sig(x, 3)
                } else {
                    "–".into()
                }
            };
            format!(
                "{} [{}, {}]",
                f(col(t, &format!("{m}_mean"))[r]),
                f(col(t, &format!("{m}_ci_low"))[r]),
                f(col(t, &format!("{m}_ci_high"))[r])
            )
        };
        let rows = (0..t.rows())
            .map(|r| {
                let p = col(t, "point")[r] as usize;
                let mut row = vec![p.to_string()];
                row.extend(plan.spec.points[p].iter().map(|v| match v.number {
                    Some(x) => crate::fmt::sig(x, LEGEND_DIGITS),
                    None => v.label(),
                }));
                row.push(format!("{}", col(t, "failed")[r]));
                row.extend(keys.iter().map(|k| ci(k, r)));
                row
            })
            .collect();
        (headers, rows)
    });
    let mut table_notes = Vec::new();
    if let Some((headers, _)) = &final_table {
        if headers.iter().any(|h| h.ends_with("CI¹)")) {
            table_notes.push("¹ A share or probability in [0, 1]: the Wilson score interval when every run's value at the point is 0 or 1 (a proportion of runs), else the logit-transformed Student-t interval of the mean (delta method); both stay inside [0, 1]. Failed runs are left out.".to_string());
        }
        if headers.iter().any(|h| h.ends_with("CI²)")) {
            table_notes.push(
                "² The Student-t interval mean ± t(0.975, n−1)·s/√n over the runs with a value."
                    .to_string(),
            );
        }
        table_notes.push(
            "The numbers are rounded to 3 significant digits; summary.csv has them in full."
                .to_string(),
        );
    }
    let report = Report {
        title: format!("sweep: {}", plan.name),
        meta: vec![
            ("model".into(), plan.model.clone()),
            ("points".into(), plan.points().to_string()),
            ("replicates".into(), plan.replicates.to_string()),
            ("runs".into(), s.runs.to_string()),
            ("master seed".into(), plan.master_seed.to_string()),
            ("design".into(), design),
            ("version".into(), crate::VERSION.to_string()),
        ],
        description: String::new(),
        notes,
        key_numbers: vec![
            ("runs".into(), s.runs.to_string()),
            ("failed".into(), s.failed.to_string()),
            ("stopped at stop_at_share".into(), s.stopped.to_string()),
        ],
        final_table,
        table_notes,
        table_after_charts: true,
        figures,
        files: [
            ("results.csv".into(), "one row per run: point, replicate, seed, the varied keys, status, the final metrics (also results.parquet)".into()),
            ("summary.csv".into(), "one row per point: runs, failed, stopped, mean and 95% CI of each final metric (Wilson or logit-t for shares, Student-t otherwise), stopped_fraction with its Wilson interval (also summary.parquet)".into()),
            ("summary_series.csv".into(), "per point and recorded step: mean and 95% CI of each metric over time".into()),
            ("parts/".into(), "the results as a partitioned Parquet dataset, one file per batch of runs".into()),
            ("series/".into(), "every run's recorded time series, partitioned the same way".into()),
            ("manifest.json".into(), "the resolved sweep; a matching manifest lets the same command resume".into()),
        ]
        .into_iter()
        .filter(|(name, _): &(String, String)| dir.join(name).exists())
        .collect(),
        scenario_toml: plan.resolved_toml.clone(),
    };
    write_atomic_bytes(&dir.join("report.html"), render_html(&report).as_bytes())
        .map_err(SweepError::Io)
}

#[cfg(test)]
mod tests {
    #[test]
    fn compact_labels() {
        use super::super::spec::AxisValue;
        let v = |x: f64| AxisValue {
            text: String::new(),
            number: Some(x),
        };
        assert_eq!(super::compact(&v(4.6506719595)), "4.65");
        assert_eq!(super::compact(&v(0.160852113346)), "0.161");
        assert_eq!(super::compact(&v(30.0)), "30");
        assert_eq!(super::compact(&v(1.05)), "1.05");
        assert_eq!(super::compact(&v(0.0)), "0");
    }

    #[test]
    fn short_names() {
        assert_eq!(
            super::short("growth.returns_to_scale=1.2"),
            "returns_to_scale=1.2"
        );
        assert_eq!(super::short("growth.spillover"), "spillover");
        assert_eq!(super::short("seed"), "seed");
    }
}
