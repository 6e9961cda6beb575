//! The gallery of the essays' claims (`counterweight run --gallery`): every entry of
//! `scenario::examples::GALLERY`, run, written as one directory with one ordinary run
//! directory per entry and an index `report.html` that links their pictures by relative
//! paths (it opens from disk). The whole directory appears at once: it is assembled in a
//! sibling staging directory and renamed into place, like a single run's directory.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use crate::io::report::escape;
use crate::io::run::{RunRecord, final_mean, format_number, write_run};
use crate::io::{Table, write_atomic_bytes};
use crate::runner::ExperimentOutput;
use crate::scenario::{self, Experiment, ScenarioError, examples};

/// Load every entry: a broken entry fails before anything runs.
#[allow(clippy::result_large_err)]
pub fn load() -> Result<Vec<(&'static examples::GalleryEntry, Experiment)>, ScenarioError> {
    examples::GALLERY
        .iter()
        .map(|g| {
            let ex = examples::find(g.example).unwrap_or_else(|| {
                panic!(
                    "gallery entry {} is not embedded (a build error)",
                    g.example
                )
            });
            scenario::parse(ex.toml, &format!("<embedded {}>", ex.name), None, &[])
                .map(|exp| (g, exp))
        })
        .collect()
}

/// One gallery entry, run.
pub struct Entry {
    /// The gallery entry: its example, title and the essay's claim it illustrates.
    pub gallery: &'static examples::GalleryEntry,
    /// The experiment parsed from the entry's embedded scenario ([`load`]).
    pub exp: Experiment,
    /// What running it gave (every variant's metrics), written as its run directory.
    pub output: ExperimentOutput,
}

/// Final numbers of one variant: the mean over replicates of each replicate's last
/// recorded row, and the tax revenue summed over the run (mean over replicates). A
/// metric the table lacks is NaN.
pub struct Finals {
    /// The time of the last recorded row (`time`).
    pub time: f64,
    /// The largest actor's share of the total (`top1_share`).
    pub top1: f64,
    /// The Gini coefficient of the actors' values (`gini`).
    pub gini: f64,
    /// The effective number of actors, 1 / HHI (`effective_number`).
    pub eff_n: f64,
    /// The sum of the actors' values (`total`).
    pub total: f64,
    /// The sum of `tax_collected` over every recorded row; `None` when the model records
    /// no taxes.
    pub tax_revenue: Option<f64>,
}

/// The [`Finals`] of one variant's metrics table (`metrics.csv`'s columns).
pub fn finals(m: &Table) -> Finals {
    let reps = m.f64_column("replicate").unwrap_or_default();
    let mut ids: Vec<f64> = reps.clone();
    ids.sort_by(f64::total_cmp);
    ids.dedup();
    if ids.is_empty() {
        ids.push(0.0);
    }
    let last: Vec<usize> = ids
        .iter()
        .filter_map(|&r| {
            (0..m.rows())
                .rev()
                .find(|&i| reps.get(i).is_none_or(|&x| x == r))
        })
        .collect();
    let n = last.len().max(1) as f64;
    let mean = |name: &str| {
        m.f64_column(name)
            .map(|c| last.iter().map(|&i| c[i]).sum::<f64>() / n)
            .unwrap_or(f64::NAN)
    };
    let tax_revenue = m
        .f64_column("tax_collected")
        .map(|c| c.iter().filter(|x| x.is_finite()).sum::<f64>() / n);
    Finals {
        time: mean("time"),
        top1: mean("top1_share"),
        gini: mean("gini"),
        eff_n: mean("effective_number"),
        total: mean("total"),
        tax_revenue,
    }
}

/// The key numbers of one entry as a table: the column headers and one row per variant,
/// formatted. The columns are the final time and the model's key columns
/// ([`Observation::key_columns`](crate::registry::Observation::key_columns)); a model that
/// keeps the concentration default (top-1 share, Gini, effective number) also shows the
/// total and, when it records taxes, the revenue summed over the run. Values are means
/// over replicates of each replicate's last recorded row ([`finals`] for the concentration
/// default, [`final_mean`] for a model's own key columns).
pub fn key_table(e: &Entry) -> (Vec<String>, Vec<Vec<String>>) {
    let observation = e.exp.variants[0].scenario.model.setup().observation();
    let default_keys = observation.concentration && observation.key.is_empty();
    let mut headers = vec!["variant".to_string(), "final t".to_string()];
    let mut rows: Vec<Vec<String>> = Vec::new();
    if default_keys {
        let taxed = e
            .output
            .variants
            .iter()
            .any(|(_, o)| o.metrics.f64_column("tax_collected").is_some());
        headers.extend(
            ["top-1 share", "Gini", "effective number", "total"]
                .iter()
                .map(|s| s.to_string()),
        );
        if taxed {
            headers.push("tax revenue (sum over the run)".into());
        }
        for (label, o) in &e.output.variants {
            let f = finals(&o.metrics);
            let mut row = vec![
                label.clone(),
                format_number(f.time),
                format!("{:.3}", f.top1),
                format!("{:.3}", f.gini),
                format!("{:.2}", f.eff_n),
                format_number(f.total),
            ];
            if taxed {
                row.push(f.tax_revenue.map_or("—".into(), format_number));
            }
            rows.push(row);
        }
        return (headers, rows);
    }
    let keys = observation.key_columns();
    for k in &keys {
        let label = observation
            .columns
            .iter()
            .find(|c| c.name == *k)
            .map(|c| c.label.to_string())
            .or_else(|| crate::metrics::label(k).map(|l| l.into_owned()))
            .unwrap_or_else(|| k.to_string());
        headers.push(label);
    }
    for (label, o) in &e.output.variants {
        let mut row = vec![label.clone(), format_number(finals(&o.metrics).time)];
        for k in &keys {
            let x = final_mean(&o.metrics, k);
            let share = *k == "top1_share"
                || *k == "gini"
                || observation
                    .columns
                    .iter()
                    .any(|c| c.name == *k && c.unit_interval);
            row.push(if !x.is_finite() {
                "—".into()
            } else if share {
                format!("{x:.3}")
            } else {
                format_number(x)
            });
        }
        rows.push(row);
    }
    (headers, rows)
}

/// Write the gallery directory all-or-nothing (see the module documentation). The index
/// shows the pictures (PNG) each entry's run directory holds, in the order [`write_run`]
/// wrote them: whatever charts the model draws.
pub fn write_gallery_dir(out: &Path, entries: &[Entry]) -> Result<(), String> {
    crate::io::atomic::write_dir_atomically(out, |staging| {
        let mut pictures = Vec::with_capacity(entries.len());
        for e in entries {
            let files = write_run(
                &staging.join(&e.exp.name),
                &RunRecord::from_output(&e.exp, &e.output),
            )?;
            pictures.push(
                files
                    .iter()
                    .filter(|p| p.extension().is_some_and(|x| x == "png"))
                    .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                    .collect::<Vec<String>>(),
            );
        }
        let html = index_html(staging, entries, &pictures);
        let index = staging.join("report.html");
        write_atomic_bytes(&index, html.as_bytes())?;
        Ok(vec![index])
    })
    .map(|_| ())
    .map_err(|e| e.to_string())
}

const CSS: &str = r#"
:root { --ink:#1f2328; --muted:#5b6470; --line:#e3e6ea; --accent:#0072b2; --bg:#fbfbfa; }
body { margin:0; background:var(--bg); color:var(--ink);
  font: 16px/1.55 -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 2rem 1.4rem 4rem; }
h1 { margin-bottom: .2rem; } h2 { margin-top: 3rem; border-top: 1px solid var(--line); padding-top: 1.4rem; }
blockquote { margin: .8rem 0; padding: .4rem 1rem; border-left: 4px solid var(--accent); color: var(--muted); font-style: italic; }
.muted { color: var(--muted); }
table { border-collapse: collapse; margin: .8rem 0; font-size: .92rem; }
th, td { border-bottom: 1px solid var(--line); padding: .3rem .7rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.pics { display: grid; grid-template-columns: 1fr 1fr; gap: .8rem; }
.pics a.wide { grid-column: 1 / -1; }
.pics img { width: 100%; border: 1px solid var(--line); background: white; }
nav li { margin: .2rem 0; }
"#;

/// Whether a PNG is a wide multi-panel chart (width more than twice the height, read from
/// its IHDR header), shown across the whole page in the index.
fn is_wide(png: &Path) -> bool {
    let Ok(bytes) = fs::read(png) else {
        return false;
    };
    if bytes.len() < 24 || &bytes[12..16] != b"IHDR" {
        return false;
    }
    let be = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    be(16) > 2 * be(20)
}

/// The index page: every entry's claim, explanation, key numbers ([`key_table`]) and
/// pictures (`pictures[i]`: the PNG file names of entry i's run directory, by relative path).
fn index_html(dir: &Path, entries: &[Entry], pictures: &[Vec<String>]) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>counterweight — the gallery of the essays' claims</title><style>{CSS}</style></head><body><main>\n\
         <h1>The gallery of the essays' claims</h1>\n\
         <p class=\"muted\">counterweight {} · {} entries · each entry is an ordinary run directory; \
         open its own report for every table, the data and the resolved scenario. \
         Numbers are final values, means over replicates (each replicate's last recorded step).</p>\n<nav><ol>\n",
        escape(crate::VERSION),
        entries.len()
    );
    for e in entries {
        let _ = writeln!(
            h,
            "<li><a href=\"#{0}\">{1}</a> <span class=\"muted\">({0})</span></li>",
            escape(&e.exp.name),
            escape(e.gallery.title)
        );
    }
    h.push_str("</ol></nav>\n");
    for (i, e) in entries.iter().enumerate() {
        let n = escape(&e.exp.name);
        let _ = write!(
            h,
            "<section id=\"{n}\"><h2>{}</h2>\n<blockquote>{}</blockquote>\n<p>{}</p>\n\
             <p class=\"muted\">Scenario <code>{n}</code> · run it alone with \
             <code>counterweight run {n}</code> · <a href=\"{n}/report.html\">full report</a></p>\n",
            escape(e.gallery.title),
            escape(e.gallery.quote),
            escape(&e.exp.description),
        );
        let (headers, rows) = key_table(e);
        h.push_str("<table><tr>");
        for c in &headers {
            let _ = write!(h, "<th>{}</th>", escape(c));
        }
        h.push_str("</tr>\n");
        for row in &rows {
            h.push_str("<tr>");
            for c in row {
                let _ = write!(h, "<td>{}</td>", escape(c));
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</table>\n<div class=\"pics\">\n");
        for file in pictures.get(i).map_or(&[][..], |p| &p[..]) {
            let rel = format!("{}/{file}", e.exp.name);
            let stem = file.strip_suffix(".png").unwrap_or(file);
            let class = if is_wide(&dir.join(&rel)) {
                " class=\"wide\""
            } else {
                ""
            };
            let _ = writeln!(
                h,
                "<a href=\"{0}\"{class}><img src=\"{0}\" alt=\"{1} — {2}\" loading=\"lazy\"></a>",
                escape(&rel),
                escape(stem),
                n
            );
        }
        h.push_str("</div></section>\n");
    }
    h.push_str("</main></body></html>\n");
    h
}
