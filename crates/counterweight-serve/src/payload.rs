//! A run's outputs as chart data for the page: per variant, each recorded column over
//! time (mean over replicates with a band), the final Lorenz curve and distribution,
//! and the exact final values that the key numbers show.

use serde::Serialize;

use counterweight::io::Table;
use counterweight::io::run::RunRecord;
use counterweight::runner::{ExperimentOutput, ScenarioOutput};
use counterweight::scenario::Experiment;

/// At most this many points per line (longer runs are thinned evenly, the last point kept).
pub(crate) const MAX_POINTS: usize = 2000;
/// Lorenz curves are drawn through this many population shares.
const LORENZ_POINTS: usize = 200;

/// One column over time: the mean over replicates, and with several replicates the band
/// holding the middle 90% of them (5th to 95th percentile, linear interpolation).
#[derive(Debug, Serialize)]
pub(crate) struct SeriesData {
    pub name: String,
    pub mean: Vec<f64>,
    pub lo: Option<Vec<f64>>,
    pub hi: Option<Vec<f64>>,
}

/// Everything the page draws for one variant.
#[derive(Debug, Serialize)]
pub(crate) struct VariantData {
    pub index: usize,
    pub label: String,
    pub replicates: usize,
    pub groups: Vec<String>,
    /// The time axis (model time units).
    pub x: Vec<f64>,
    pub series: Vec<SeriesData>,
    /// Final Lorenz curve of replicate 0: [population share, value share].
    pub lorenz: Vec<[f64; 2]>,
    /// Final complementary CDF P(X ≥ x) of replicate 0: [x, P].
    pub ccdf: Vec<[f64; 2]>,
    /// The last recorded row of replicate 0, every numeric column, exact (what
    /// `counterweight run` prints and writes for the same scenario and seed).
    pub final_row: Vec<(String, f64)>,
    /// With several replicates: the mean over replicates of the last recorded rows.
    pub final_mean: Option<Vec<(String, f64)>>,
    /// Notes on the run (early stops, replicates), as the run's report words them.
    pub notes: Vec<String>,
    /// What the model records: whether concentration metrics, and its own columns.
    pub observation: ObservationData,
    /// The key numbers, as `counterweight run` prints them and `report.html` shows them
    /// ([`RunRecord::from_output`]).
    pub key_numbers: Vec<(String, String)>,
}

/// A model's declared observation ([`counterweight::registry::Observation`]), for the
/// page: which charts to draw and how to label them.
#[derive(Debug, Serialize)]
pub(crate) struct ObservationData {
    /// The concentration metrics are recorded (shares, Gini, HHI, Lorenz).
    pub concentration: bool,
    /// The model's own columns, in order.
    pub columns: Vec<ColumnData>,
    /// The columns shown first.
    pub key: Vec<&'static str>,
    /// The model's declared charts of its own columns
    /// ([`counterweight::registry::ModelSetup::charts`]): the page draws these instead of
    /// choosing columns itself.
    pub charts: Vec<counterweight::registry::ChartDef>,
}

/// One of a model's own columns.
#[derive(Debug, Serialize)]
pub(crate) struct ColumnData {
    pub name: &'static str,
    pub label: &'static str,
    pub integer: bool,
    pub unit_interval: bool,
}

/// The chart data of variant `index` of `exp`, whose run gave `out`. The key numbers and
/// notes come from the library's run record of that variant alone, so they read as
/// `counterweight run` prints them for a scenario without `[[compare]]`.
pub(crate) fn variant_payload(
    exp: &Experiment,
    index: usize,
    out: ScenarioOutput,
) -> (VariantData, ScenarioOutput) {
    let v = &exp.variants[index];
    let groups = v.scenario.groups.iter().map(|g| g.name.clone()).collect();
    let observation = v.scenario.model.setup().observation();
    let own: Vec<&str> = observation.columns.iter().map(|c| c.name).collect();
    let mut data = variant_data(index, &v.label, groups, &out, &own);
    data.observation = ObservationData {
        concentration: observation.concentration,
        key: observation.key_columns(),
        charts: v.scenario.model.setup().charts(),
        columns: observation
            .columns
            .iter()
            .map(|c| ColumnData {
                name: c.name,
                label: c.label,
                integer: c.integer,
                unit_interval: c.unit_interval,
            })
            .collect(),
    };
    let one = Experiment {
        name: exp.name.clone(),
        description: exp.description.clone(),
        resolved_toml: String::new(),
        variants: vec![v.clone()],
    };
    let mut whole = ExperimentOutput {
        variants: vec![(v.label.clone(), out)],
    };
    let record = RunRecord::from_output(&one, &whole);
    data.key_numbers = record.key_numbers;
    data.notes = record.notes;
    let (_, out) = whole.variants.pop().expect("one variant");
    (data, out)
}

/// Whether a metrics column is drawn over time: the model's own columns (`own`, whatever
/// their names), every other numeric column without a group suffix (the metrics of all
/// actors), and each group's share.
fn charted(name: &str, own: &[&str]) -> bool {
    own.contains(&name)
        || (!matches!(name, "replicate" | "step" | "time")
            && (!name.contains('.') || name.starts_with("share.")))
}

pub(crate) fn variant_data(
    index: usize,
    label: &str,
    groups: Vec<String>,
    out: &ScenarioOutput,
    own: &[&str],
) -> VariantData {
    let m = &out.metrics;
    let n = m.rows();
    let reps = m.f64_column("replicate").unwrap_or_else(|| vec![0.0; n]);
    let x_all = m
        .f64_column("time")
        .or_else(|| m.f64_column("step"))
        .unwrap_or_else(|| (0..n).map(|i| i as f64).collect());

    // Distinct times, in order, and for each the rows recorded at it.
    let mut order: Vec<usize> = (0..n).filter(|&i| !x_all[i].is_nan()).collect();
    order.sort_by(|&a, &b| x_all[a].total_cmp(&x_all[b]).then(a.cmp(&b)));
    let mut xs: Vec<f64> = Vec::new();
    let mut rows_at: Vec<Vec<usize>> = Vec::new();
    for i in order {
        if xs.last() == Some(&x_all[i]) {
            rows_at.last_mut().expect("pushed with xs").push(i);
        } else {
            xs.push(x_all[i]);
            rows_at.push(vec![i]);
        }
    }
    let keep = thin(xs.len(), MAX_POINTS);
    let mut replicate_ids: Vec<f64> = reps.clone();
    replicate_ids.sort_by(f64::total_cmp);
    replicate_ids.dedup();
    let replicates = replicate_ids.len().max(1);

    let series = m
        .names
        .iter()
        .filter(|name| charted(name, own))
        .filter_map(|name| {
            let col = m.f64_column(name)?;
            let mut mean = Vec::with_capacity(keep.len());
            let (mut lo, mut hi) = (Vec::new(), Vec::new());
            for &k in &keep {
                let mut v: Vec<f64> = rows_at[k]
                    .iter()
                    .map(|&i| col[i])
                    .filter(|v| !v.is_nan())
                    .collect();
                mean.push(if v.is_empty() {
                    f64::NAN
                } else {
                    v.iter().sum::<f64>() / v.len() as f64
                });
                if replicates > 1 {
                    v.sort_by(f64::total_cmp);
                    lo.push(quantile(&v, 0.05));
                    hi.push(quantile(&v, 0.95));
                }
            }
            Some(SeriesData {
                name: name.clone(),
                mean,
                lo: (replicates > 1).then_some(lo),
                hi: (replicates > 1).then_some(hi),
            })
        })
        .collect();

    let values = out.chart_final_values();
    let lorenz = counterweight::metrics::lorenz(values, LORENZ_POINTS)
        .map(|p| p.into_iter().map(|(a, b)| [a, b]).collect())
        .unwrap_or_default();
    let ccdf = counterweight::io::plot::ccdf_points(values)
        .into_iter()
        .map(|(a, b)| [a, b])
        .collect();

    let final_row = last_row_of_replicate(m, &reps, 0.0)
        .map(|i| numeric_row(m, &[i]))
        .unwrap_or_default();
    let final_mean = (replicates > 1).then(|| {
        let lasts: Vec<usize> = replicate_ids
            .iter()
            .filter_map(|&r| last_row_of_replicate(m, &reps, r))
            .collect();
        numeric_row(m, &lasts)
    });
    VariantData {
        index,
        label: label.to_string(),
        replicates,
        groups,
        x: keep.iter().map(|&k| xs[k]).collect(),
        series,
        lorenz,
        ccdf,
        final_row,
        final_mean,
        notes: Vec::new(),
        observation: ObservationData {
            concentration: true,
            columns: Vec::new(),
            key: Vec::new(),
            charts: Vec::new(),
        },
        key_numbers: Vec::new(),
    }
}

/// Indices 0..n thinned to at most `max`, evenly, always keeping the last.
fn thin(n: usize, max: usize) -> Vec<usize> {
    if n <= max {
        return (0..n).collect();
    }
    let mut idx: Vec<usize> = (0..max - 1).map(|k| k * (n - 1) / (max - 1)).collect();
    idx.push(n - 1);
    idx.dedup();
    idx
}

/// The q-quantile of sorted values, linear interpolation between order statistics
/// (Hyndman–Fan type 7, NumPy's default).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

fn last_row_of_replicate(m: &Table, reps: &[f64], r: f64) -> Option<usize> {
    let step = m.f64_column("step");
    let mut rows = (0..m.rows()).filter(|&i| reps.get(i) == Some(&r));
    match step {
        Some(s) => rows.max_by(|&a, &b| s[a].total_cmp(&s[b]).then(a.cmp(&b))),
        None => rows.next_back(),
    }
}

/// The mean over `rows` of every numeric column (NaN ignored; all-NaN gives NaN).
fn numeric_row(m: &Table, rows: &[usize]) -> Vec<(String, f64)> {
    m.names
        .iter()
        .filter_map(|name| {
            let col = m.f64_column(name)?;
            let v: Vec<f64> = rows
                .iter()
                .map(|&i| col[i])
                .filter(|v| !v.is_nan())
                .collect();
            let mean = if v.is_empty() {
                f64::NAN
            } else {
                v.iter().sum::<f64>() / v.len() as f64
            };
            Some((name.clone(), mean))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_and_thinning() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile(&v, 0.0), 1.0);
        assert_eq!(quantile(&v, 0.5), 3.0);
        assert!((quantile(&v, 0.95) - 4.8).abs() < 1e-12);
        assert_eq!(thin(5, 10), vec![0, 1, 2, 3, 4]);
        let t = thin(10_001, 2000);
        assert!(t.len() <= 2000 && t[0] == 0 && *t.last().unwrap() == 10_000);
        assert!(t.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn replicates_give_a_mean_and_a_band_and_the_final_row_is_replicate_zero() {
        let src = r#"
name = "t"
seed = 3
time = { end = 1.0, dt = 0.1 }
replicates = 4
[growth]
volatility = 0.5
[[actors]]
group = "a"
count = 20
initial = { constant = 1.0 }
[output]
every = 5
"#;
        let exp = counterweight::scenario::parse(src, "t", None, &[]).unwrap();
        let out =
            counterweight::runner::run(&exp.variants[0].scenario, &Default::default()).unwrap();
        let d = variant_data(0, "t", vec!["a".into()], &out, &[]);
        assert_eq!(d.replicates, 4);
        assert_eq!(d.x, vec![0.0, 0.5, 1.0]);
        let gini = d.series.iter().find(|s| s.name == "gini").unwrap();
        let (lo, hi) = (gini.lo.as_ref().unwrap(), gini.hi.as_ref().unwrap());
        for k in 0..3 {
            assert!(lo[k] <= gini.mean[k] && gini.mean[k] <= hi[k]);
        }
        // The final row is replicate 0's last row, bit for bit.
        let m = &out.metrics;
        let reps = m.f64_column("replicate").unwrap();
        let last0 = reps.iter().rposition(|&r| r == 0.0).unwrap();
        let g = m.f64_column("gini").unwrap()[last0];
        let got = d.final_row.iter().find(|(n, _)| n == "gini").unwrap().1;
        assert_eq!(got.to_bits(), g.to_bits());
        assert!(d.series.iter().all(|s| s.name != "gini.a"));
        assert_eq!(d.lorenz.first(), Some(&[0.0, 0.0]));
        assert_eq!(d.lorenz.last(), Some(&[1.0, 1.0]));
    }
}
