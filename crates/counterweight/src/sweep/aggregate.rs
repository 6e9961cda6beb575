//! From the part files to the final dataset, in one streaming pass in run order:
//! `results.csv` / `results.parquet` (one row per run), `summary.csv` / `.parquet` (per
//! point: mean and 95% confidence interval of each final metric) and `summary_series.csv`
//! (per point and recorded step: the same for each metric over time).
//!
//! Runs are point-major, so every point's replicates are contiguous and a point is
//! summarised as soon as the stream moves past it: memory holds one point at a time.
//!
//! The interval is over the runs whose value is finite (failed runs and undefined metrics
//! are left out; the `runs` and `failed` columns say how many), and respects the range of
//! the metric ([`crate::metrics::interval`]):
//!
//! - a metric in [0, 1] (shares, Gini, HHI, the model's columns declared as shares): the
//!   Wilson score interval when every value at the point is 0 or 1 (a proportion of runs),
//!   else the logit-transformed Student-t interval of the mean; both stay inside [0, 1];
//! - any other metric: the Student-t interval `mean ± t(0.975, n−1) · s/√n`.
//!
//! With fewer than two values the bounds are NaN (Wilson: one value is enough).
//! `stopped_fraction` is the share of a point's runs that stopped at `stop_at_share`, with
//! its Wilson interval.

use std::collections::BTreeMap;
use std::path::Path;

use super::SweepError;
use super::exec::{self, STOPPED};
use super::plan::Plan;
use super::store::{self, CsvStream};
use crate::io::parquet::ParquetStream;
use crate::io::{Column, Table, write_csv, write_parquet};
use crate::metrics::interval;

/// Running mean and variance (Welford), and what the interval needs to respect [0, 1].
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Acc {
    /// The number of finite values pushed.
    pub n: u64,
    /// Their mean (0 before any).
    pub mean: f64,
    m2: f64,
    /// Values equal to 1.
    ones: u64,
    /// Values that are neither 0 nor 1.
    not_binary: u64,
    /// Values outside [0, 1].
    outside: u64,
}

impl Acc {
    /// Add `x`; non-finite values are skipped.
    pub fn push(&mut self, x: f64) {
        if !x.is_finite() {
            return;
        }
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
        if x == 1.0 {
            self.ones += 1;
        } else if x != 0.0 {
            self.not_binary += 1;
            if !(0.0..=1.0).contains(&x) {
                self.outside += 1;
            }
        }
    }

    /// The sample standard deviation.
    fn sd(&self) -> f64 {
        if self.n < 2 {
            return f64::NAN;
        }
        (self.m2 / (self.n - 1) as f64).max(0.0).sqrt()
    }

    /// (mean, lower, upper) of the 95% Student-t confidence interval.
    #[cfg(test)]
    pub fn ci95(&self) -> (f64, f64, f64) {
        self.interval(false)
    }

    /// (mean, lower, upper) of the 95% confidence interval; `unit`: the metric lies in
    /// [0, 1], so the interval does too (Wilson or logit-t; Student-t if a value falls
    /// outside after all).
    pub fn interval(&self, unit: bool) -> (f64, f64, f64) {
        if self.n == 0 {
            return (f64::NAN, f64::NAN, f64::NAN);
        }
        let (lo, hi) = if unit && self.outside == 0 {
            let i = interval::bounded(
                self.mean,
                self.sd(),
                self.n,
                self.ones,
                self.not_binary == 0,
                0.95,
            );
            (i.lo, i.hi)
        } else {
            interval::student_t(self.mean, self.sd(), self.n, 0.95)
        };
        (self.mean, lo, hi)
    }
}

/// What the pass produced, for plots and the report.
#[derive(Debug, Clone)]
pub struct Summary {
    /// One row per point.
    pub table: Table,
    /// Per point and step, when the sweep has at most [`SERIES_IN_MEMORY`] points.
    pub series: Option<Table>,
    /// The number of runs (rows of `results.csv`).
    pub runs: u64,
    /// Runs that failed (status `error...`); left out of the statistics.
    pub failed: u64,
    /// Runs that ended early at the model's `stop_at_share` (status `stopped`); included
    /// in the statistics with their values at the stop.
    pub stopped: u64,
    /// The first few distinct failure messages.
    pub failures: Vec<String>,
}

/// Up to this many points, the summary over time is also kept for plotting.
pub const SERIES_IN_MEMORY: usize = 12;

/// Per-point metric columns (all but `step`, and for series also `time`).
fn summarised(plan: &Plan, skip_time: bool) -> Vec<String> {
    plan.metrics
        .iter()
        .map(|m| m.0.clone())
        .filter(|n| n != "step" && !(skip_time && n == "time"))
        .collect()
}

fn point_columns(plan: &Plan, points: &[u64], t: &mut Table) {
    t.push("point", Column::U64(points.to_vec()));
    for (a, axis) in plan.spec.axes.iter().enumerate() {
        let vals = points.iter().map(|&p| &plan.spec.points[p as usize][a]);
        let col = if axis.numeric() {
            Column::F64(vals.map(|v| v.number.unwrap_or(f64::NAN)).collect())
        } else {
            Column::Str(vals.map(|v| v.label()).collect())
        };
        t.push(axis.key.clone(), col);
    }
}

fn push_stats(t: &mut Table, names: &[String], unit: &[bool], accs: &[Vec<Acc>]) {
    for (m, name) in names.iter().enumerate() {
        let (mut mean, mut lo, mut hi) = (Vec::new(), Vec::new(), Vec::new());
        for row in accs {
            let (a, b, c) = row[m].interval(unit[m]);
            mean.push(a);
            lo.push(b);
            hi.push(c);
        }
        t.push(format!("{name}_mean"), Column::F64(mean));
        t.push(format!("{name}_ci_low"), Column::F64(lo));
        t.push(format!("{name}_ci_high"), Column::F64(hi));
    }
}

/// `stopped_fraction` and its Wilson interval, per point.
fn push_stopped_fraction(t: &mut Table, stopped: &[u64], runs: &[u64]) {
    let (mut f, mut lo, mut hi) = (Vec::new(), Vec::new(), Vec::new());
    for (&k, &n) in stopped.iter().zip(runs) {
        let (a, b) = interval::wilson(k, n, 0.95);
        f.push(if n == 0 {
            f64::NAN
        } else {
            k as f64 / n as f64
        });
        lo.push(a);
        hi.push(b);
    }
    t.push("stopped_fraction", Column::F64(f));
    t.push("stopped_fraction_ci_low", Column::F64(lo));
    t.push("stopped_fraction_ci_high", Column::F64(hi));
}

/// One point's time series, being accumulated.
struct PointSeries {
    point: u64,
    /// step -> (time, runs, one accumulator per metric)
    steps: BTreeMap<u64, (f64, u64, Vec<Acc>)>,
}

impl PointSeries {
    fn table(&self, plan: &Plan, names: &[String], unit: &[bool]) -> Table {
        let mut t = Table::new();
        let n = self.steps.len();
        point_columns(plan, &vec![self.point; n], &mut t);
        t.push("step", Column::U64(self.steps.keys().copied().collect()));
        t.push(
            "time",
            Column::F64(self.steps.values().map(|v| v.0).collect()),
        );
        t.push(
            "runs",
            Column::U64(self.steps.values().map(|v| v.1).collect()),
        );
        let accs: Vec<Vec<Acc>> = self.steps.values().map(|v| v.2.clone()).collect();
        push_stats(&mut t, names, unit, &accs);
        t
    }
}

/// Read every part in order and write the final dataset into `dir`.
pub fn finalize(plan: &Plan, dir: &Path) -> Result<Summary, SweepError> {
    let io = SweepError::Io;
    let results_schema = exec::results_schema(plan);
    let mut csv = CsvStream::create(&dir.join("results.csv"), &results_schema.names).map_err(io)?;
    let mut pq = ParquetStream::with_row_groups(
        &dir.join("results.parquet"),
        &results_schema,
        store::ROW_GROUP_ROWS,
    )
    .map_err(io)?;

    // Final metrics, per point.
    let finals = summarised(plan, false);
    let final_idx: Vec<usize> = finals
        .iter()
        .map(|n| {
            results_schema
                .names
                .iter()
                .position(|m| m == n)
                .expect("in schema")
        })
        .collect();
    let mut points: Vec<u64> = Vec::new();
    let mut runs_per_point: Vec<u64> = Vec::new();
    let mut failed_per_point: Vec<u64> = Vec::new();
    let mut stopped_per_point: Vec<u64> = Vec::new();
    let mut accs: Vec<Vec<Acc>> = Vec::new();
    let (mut runs, mut failed, mut stopped) = (0u64, 0u64, 0u64);
    let mut failures: Vec<String> = Vec::new();

    for b in 0..plan.batches() {
        let t = store::read_parquet(&store::part_path(dir, store::PARTS, b))?;
        if t.names != results_schema.names
            || t.rows() as u64 != plan.batch_runs(b).end - plan.batch_runs(b).start
        {
            return Err(SweepError::Read {
                path: store::part_path(dir, store::PARTS, b),
                message: "the part does not match this sweep".into(),
            });
        }
        csv.write(&t).map_err(io)?;
        pq.push(&t).map_err(io)?;
        let pcol = t.f64_column("point").expect("point column");
        let status = t.str_column("status").expect("status column");
        let cols: Vec<Vec<f64>> = final_idx
            .iter()
            .map(|&i| t.f64_column(&t.names[i]).expect("numeric"))
            .collect();
        for row in 0..t.rows() {
            let p = pcol[row] as u64;
            if points.last() != Some(&p) {
                points.push(p);
                runs_per_point.push(0);
                failed_per_point.push(0);
                stopped_per_point.push(0);
                accs.push(vec![Acc::default(); finals.len()]);
            }
            let k = points.len() - 1;
            runs += 1;
            runs_per_point[k] += 1;
            let s = &status[row];
            if s.starts_with("error") {
                failed += 1;
                failed_per_point[k] += 1;
                if failures.len() < 5 && !failures.contains(s) {
                    failures.push(s.clone());
                }
                continue;
            }
            if s == STOPPED {
                stopped += 1;
                stopped_per_point[k] += 1;
            }
            for (m, c) in cols.iter().enumerate() {
                accs[k][m].push(c[row]);
            }
        }
    }
    csv.commit().map_err(io)?;
    pq.finish().map_err(io)?;

    let mut summary = Table::new();
    point_columns(plan, &points, &mut summary);
    summary.push("runs", Column::U64(runs_per_point.clone()));
    summary.push("failed", Column::U64(failed_per_point));
    summary.push("stopped", Column::U64(stopped_per_point.clone()));
    let unit: Vec<bool> = finals.iter().map(|n| plan.unit_interval(n)).collect();
    push_stats(&mut summary, &finals, &unit, &accs);
    push_stopped_fraction(&mut summary, &stopped_per_point, &runs_per_point);
    write_csv(&summary, &dir.join("summary.csv")).map_err(io)?;
    write_parquet(&summary, &dir.join("summary.parquet")).map_err(io)?;

    // Metrics over time, per point.
    let names = summarised(plan, true);
    let unit: Vec<bool> = names.iter().map(|n| plan.unit_interval(n)).collect();
    let series_schema = exec::series_schema(plan);
    if !plan.metrics.iter().any(|m| m.0 == "step") {
        // No time series (a governance sweep records final outcomes only).
        return Ok(Summary {
            table: summary,
            series: None,
            runs,
            failed,
            stopped,
            failures,
        });
    }
    let keep = plan.spec.points.len() <= SERIES_IN_MEMORY;
    let mut kept: Vec<Table> = Vec::new();
    let empty = PointSeries {
        point: 0,
        steps: BTreeMap::new(),
    }
    .table(plan, &names, &unit);
    let mut scsv = CsvStream::create(&dir.join("summary_series.csv"), &empty.names).map_err(io)?;
    let mut cur: Option<PointSeries> = None;
    let mut emit = |ps: PointSeries, scsv: &mut CsvStream| -> Result<(), SweepError> {
        let t = ps.table(plan, &names, &unit);
        scsv.write(&t).map_err(io)?;
        if keep {
            kept.push(t);
        }
        Ok(())
    };
    for b in 0..plan.batches() {
        let t = store::read_parquet(&store::part_path(dir, store::SERIES, b))?;
        if t.names != series_schema.names {
            return Err(SweepError::Read {
                path: store::part_path(dir, store::SERIES, b),
                message: "the part does not match this sweep".into(),
            });
        }
        let pcol = t.f64_column("point").expect("point");
        let steps = t.f64_column("step").expect("step");
        let times = t.f64_column("time").expect("time");
        let cols: Vec<Vec<f64>> = names
            .iter()
            .map(|n| t.f64_column(n).expect("numeric"))
            .collect();
        for row in 0..t.rows() {
            let p = pcol[row] as u64;
            if cur.as_ref().is_some_and(|c| c.point != p) {
                emit(cur.take().expect("some"), &mut scsv)?;
            }
            let ps = cur.get_or_insert_with(|| PointSeries {
                point: p,
                steps: BTreeMap::new(),
            });
            let e = ps
                .steps
                .entry(steps[row] as u64)
                .or_insert_with(|| (times[row], 0, vec![Acc::default(); names.len()]));
            e.1 += 1;
            for (m, c) in cols.iter().enumerate() {
                e.2[m].push(c[row]);
            }
        }
    }
    if let Some(ps) = cur.take() {
        emit(ps, &mut scsv)?;
    }
    scsv.commit().map_err(io)?;
    let series = keep.then(|| concat(kept));

    Ok(Summary {
        table: summary,
        series,
        runs,
        failed,
        stopped,
        failures,
    })
}

fn concat(tables: Vec<Table>) -> Table {
    let mut it = tables.into_iter();
    let Some(mut acc) = it.next() else {
        return Table::new();
    };
    for t in it {
        for (a, b) in acc.columns.iter_mut().zip(t.columns) {
            match (a, b) {
                (Column::F64(a), Column::F64(b)) => a.extend(b),
                (Column::U64(a), Column::U64(b)) => a.extend(b),
                (Column::OptU64(a), Column::OptU64(b)) => a.extend(b),
                (Column::Str(a), Column::Str(b)) => a.extend(b),
                _ => {}
            }
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confidence_interval_matches_the_t_table() {
        let mut a = Acc::default();
        for x in [1.0, 2.0, 3.0, 4.0, 5.0] {
            a.push(x);
        }
        a.push(f64::NAN);
        let (m, lo, hi) = a.ci95();
        assert_eq!(a.n, 5);
        assert!((m - 3.0).abs() < 1e-12);
        // t(0.975, 4) = 2.776445; s = sqrt(2.5); h = t s / sqrt(5).
        let h = 2.776_445_105 * 2.5f64.sqrt() / 5f64.sqrt();
        assert!((hi - m - h).abs() < 1e-6, "{hi}");
        assert!((m - lo - h).abs() < 1e-6);
        let mut one = Acc::default();
        one.push(2.0);
        assert!(one.ci95().1.is_nan());
        assert!(Acc::default().ci95().0.is_nan());
    }

    #[test]
    fn intervals_of_shares_stay_in_the_unit_interval() {
        // Three shares with mean 0.249: the t interval leaves [0, 1], the logit one not.
        let mut a = Acc::default();
        for x in [0.08, 0.28, 0.387] {
            a.push(x);
        }
        let (_, tlo, _) = a.interval(false);
        assert!(tlo < 0.0, "{tlo}");
        let (m, lo, hi) = a.interval(true);
        assert!(0.0 < lo && lo < m && m < hi && hi < 1.0, "{lo} {hi}");
        // Outcomes of runs (0 or 1): Wilson, e.g. 0 of 10 -> [0, 0.2775].
        let mut b = Acc::default();
        for _ in 0..10 {
            b.push(0.0);
        }
        let (m, lo, hi) = b.interval(true);
        assert_eq!((m, lo), (0.0, 0.0));
        assert!((hi - 0.277_53).abs() < 1e-4, "{hi}");
        // A value outside [0, 1] after all: the t interval.
        let mut c = Acc::default();
        for x in [0.5, 1.5, 0.7] {
            c.push(x);
        }
        assert_eq!(c.interval(true), c.interval(false));
    }
}
