//! Running the plan: every (point, replicate) is one run of the point's scenario with one
//! replicate and its own seed, on the current rayon pool. Finished runs are gathered by
//! batch; a complete batch is written as a part file at once and dropped from memory, so
//! memory holds only the batches in flight, whatever the number of runs.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use super::SweepError;
use super::plan::{Kind, Plan};
use super::store::{self, Opened};
use crate::io::{Column, Table};
use crate::runner::{self, RunError, RunOptions};

/// Hooks for whoever drives the sweep.
#[derive(Default, Clone, Copy)]
pub struct ExecOptions<'a> {
    /// Called from worker threads with the number of runs complete so far (including
    /// those found on disk when resuming).
    pub progress: Option<&'a (dyn Fn(u64) + Sync)>,
    /// Set to stop: runs in flight end at their next step boundary; completed batches
    /// stay on disk and a later call resumes from them.
    pub cancel: Option<&'a AtomicBool>,
}

/// How execution ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every batch is on disk.
    Complete,
    /// Cancelled; this many runs are safely on disk.
    Interrupted {
        /// Runs saved on disk so far.
        saved: u64,
    },
}

/// One finished run.
struct Finished {
    status: String,
    /// One value per plan metric (NaN when missing or failed).
    finals: Vec<f64>,
    /// The recorded time series (empty for a failed run).
    series: Option<Table>,
}

/// Status of a run that ended normally.
pub const OK: &str = "ok";
/// Status of a run ended by `growth.stop_at_share`.
pub const STOPPED: &str = "stopped";

/// Run one run of the plan. `None` when cancelled.
fn run_one(plan: &Plan, r: u64, cancel: Option<&AtomicBool>) -> Option<Finished> {
    let sc = match plan.run_scenario(r) {
        Ok(sc) => sc,
        Err(e) => {
            return Some(failed(plan, format!("error: invalid scenario: {e}")));
        }
    };
    let opts = RunOptions {
        progress: None,
        cancel,
    };
    match runner::run(&sc, &opts) {
        Ok(out) => {
            let t = out.metrics;
            let last = t.rows().checked_sub(1);
            let finals = plan
                .metrics
                .iter()
                .map(|(name, _)| {
                    last.and_then(|i| t.f64_column(name).map(|c| c[i]))
                        .unwrap_or(f64::NAN)
                })
                .collect();
            let status = if out.early_stops.is_empty() {
                OK
            } else {
                STOPPED
            };
            Some(Finished {
                status: status.into(),
                finals,
                series: Some(t),
            })
        }
        Err(RunError::Cancelled) => None,
        Err(e) => Some(failed(plan, format!("error: {e}"))),
    }
}

fn failed(plan: &Plan, status: String) -> Finished {
    Finished {
        status,
        finals: vec![f64::NAN; plan.metrics.len()],
        series: None,
    }
}

fn typed(kind: Kind, v: Vec<f64>) -> Column {
    match kind {
        Kind::F64 => Column::F64(v),
        Kind::OptU64 => Column::OptU64(
            v.into_iter()
                .map(|x| (x.is_finite() && x >= 0.0).then_some(x as u64))
                .collect(),
        ),
    }
}

/// The leading columns of a results or series row: `point, replicate, seed`, then each
/// varied key under its own name.
fn key_columns(plan: &Plan, runs: &[u64], t: &mut Table, with_seed: bool) {
    let coords: Vec<(u64, u32)> = runs.iter().map(|&r| plan.coords(r)).collect();
    t.push("point", Column::U64(coords.iter().map(|c| c.0).collect()));
    t.push(
        "replicate",
        Column::U64(coords.iter().map(|c| u64::from(c.1)).collect()),
    );
    if with_seed {
        t.push(
            "seed",
            Column::U64(runs.iter().map(|&r| plan.seed(r)).collect()),
        );
    }
    for (a, axis) in plan.spec.axes.iter().enumerate() {
        let vals = coords.iter().map(|c| &plan.spec.points[c.0 as usize][a]);
        let col = if axis.numeric() {
            Column::F64(vals.map(|v| v.number.unwrap_or(f64::NAN)).collect())
        } else {
            Column::Str(vals.map(|v| v.label()).collect())
        };
        t.push(axis.key.clone(), col);
    }
}

/// The results part of a batch: one row per run.
fn results_table(plan: &Plan, first: u64, runs: &[Finished]) -> Table {
    let ids: Vec<u64> = (first..first + runs.len() as u64).collect();
    let mut t = Table::new();
    key_columns(plan, &ids, &mut t, true);
    t.push(
        "status",
        Column::Str(runs.iter().map(|f| f.status.clone()).collect()),
    );
    for (m, (name, kind)) in plan.metrics.iter().enumerate() {
        t.push(
            name.clone(),
            typed(*kind, runs.iter().map(|f| f.finals[m]).collect()),
        );
    }
    t
}

/// The series part of a batch: one row per run and recorded step.
fn series_table(plan: &Plan, first: u64, runs: &[Finished]) -> Table {
    let mut ids = Vec::new();
    let mut cols: Vec<Vec<f64>> = vec![Vec::new(); plan.metrics.len()];
    for (i, f) in runs.iter().enumerate() {
        let Some(s) = &f.series else { continue };
        let n = s.rows();
        ids.extend(std::iter::repeat_n(first + i as u64, n));
        for (m, (name, _)) in plan.metrics.iter().enumerate() {
            match s.f64_column(name) {
                Some(c) => cols[m].extend(c),
                None => cols[m].extend(std::iter::repeat_n(f64::NAN, n)),
            }
        }
    }
    let mut t = Table::new();
    key_columns(plan, &ids, &mut t, false);
    for ((name, kind), c) in plan.metrics.iter().zip(cols) {
        t.push(name.clone(), typed(*kind, c));
    }
    t
}

/// An empty results table with the right columns (for schemas).
pub fn results_schema(plan: &Plan) -> Table {
    results_table(plan, 0, &[])
}

/// An empty series table with the right columns.
pub fn series_schema(plan: &Plan) -> Table {
    series_table(plan, 0, &[])
}

/// Run every batch not yet on disk in `dir` (opened with [`store::open`]).
pub fn execute(
    plan: &Plan,
    dir: &Path,
    opened: &Opened,
    opts: &ExecOptions,
) -> Result<Outcome, SweepError> {
    let todo: Vec<u64> = (0..plan.batches())
        .filter(|b| !opened.done.contains(b))
        .collect();
    let saved_before: u64 = opened
        .done
        .iter()
        .map(|&b| plan.batch_runs(b).end - plan.batch_runs(b).start)
        .sum();
    let saved = AtomicU64::new(saved_before);
    let done = AtomicU64::new(saved_before);
    if let Some(p) = opts.progress {
        p(saved_before);
    }
    let open: Mutex<HashMap<u64, Vec<Option<Finished>>>> = Mutex::new(HashMap::new());
    // The manifest with a record per complete part, rewritten at most once a second (and at
    // the end); a part written but not yet recorded is checked by its columns on resume.
    let manifest = Mutex::new((opened.manifest.clone(), Instant::now(), false));
    // `Some(b)`: record batch b; `None`: write what is recorded now.
    let record = |batch: Option<u64>| -> Result<(), crate::io::IoError> {
        let mut m = manifest.lock().expect("no panics while locked");
        let force = batch.is_none();
        if let Some(b) = batch {
            match store::PartRecord::of(plan, dir, b) {
                Ok(rec) => {
                    m.0.parts.retain(|r| r.batch != b);
                    m.0.parts.push(rec);
                    m.2 = true;
                }
                Err(_) => return Ok(()), // checked by its columns on resume
            }
        }
        if m.2 && (force || m.1.elapsed() >= Duration::from_secs(1)) {
            m.0.parts.sort_by_key(|r| r.batch);
            store::write_manifest(dir, &m.0)?;
            m.1 = Instant::now();
            m.2 = false;
        }
        Ok(())
    };
    let error: Mutex<Option<SweepError>> = Mutex::new(None);
    let stop = AtomicBool::new(false);
    let stopped =
        || stop.load(Ordering::Relaxed) || opts.cancel.is_some_and(|c| c.load(Ordering::Relaxed));

    todo.par_iter()
        .flat_map(|&b| plan.batch_runs(b).into_par_iter())
        .for_each(|r| {
            if stopped() {
                return;
            }
            let Some(fin) = run_one(plan, r, opts.cancel) else {
                return;
            };
            let b = r / plan.batch_size;
            let range = plan.batch_runs(b);
            let complete = {
                let mut map = open.lock().expect("no panics while locked");
                let slots = map
                    .entry(b)
                    .or_insert_with(|| (range.clone()).map(|_| None).collect());
                slots[(r - range.start) as usize] = Some(fin);
                if slots.iter().all(Option::is_some) {
                    map.remove(&b)
                } else {
                    None
                }
            };
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            if let Some(p) = opts.progress {
                p(n);
            }
            if let Some(slots) = complete {
                let runs: Vec<Finished> = slots.into_iter().map(|s| s.expect("complete")).collect();
                let write = || -> Result<(), crate::io::IoError> {
                    store::write_part(
                        &store::part_path(dir, store::SERIES, b),
                        &series_table(plan, range.start, &runs),
                    )?;
                    store::write_part(
                        &store::part_path(dir, store::PARTS, b),
                        &results_table(plan, range.start, &runs),
                    )?;
                    record(Some(b))
                };
                match write() {
                    Ok(()) => {
                        saved.fetch_add(runs.len() as u64, Ordering::Relaxed);
                    }
                    Err(e) => {
                        stop.store(true, Ordering::Relaxed);
                        let mut slot = error.lock().expect("no panics while locked");
                        slot.get_or_insert(SweepError::Io(e));
                    }
                }
            }
        });

    let flushed = record(None);
    if let Some(e) = error.into_inner().expect("no panics while locked") {
        return Err(e);
    }
    flushed.map_err(SweepError::Io)?;
    let saved = saved.load(Ordering::Relaxed);
    if saved < plan.runs() {
        return Ok(Outcome::Interrupted { saved });
    }
    Ok(Outcome::Complete)
}
