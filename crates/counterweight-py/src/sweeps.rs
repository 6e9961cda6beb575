//! Sweeps: a checked plan, local execution on a thread pool, and the pieces a distributed
//! (Dask) sweep is made of. Every piece is a library call; the sweep directory
//! (`manifest.json`, `parts/`, `series/`) is the library's, so a sweep run here, by the CLI
//! or on Dask workers is the same dataset, and any of them resumes the others.
//!
//! A distributed sweep: the client `open`s the directory, cuts the batches not yet on disk
//! into tasks; each task rebuilds the plan from its [`SweepPlan::spec`] and runs its batches
//! with [`SweepPlan::run_batches`] (into a shared directory, or into a private one whose
//! part files it returns as bytes for the client to [`store_part`]); the client then
//! [`SweepPlan::finalize`]s, which reads the parts in run order.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use counterweight::io::write_atomic_bytes;
use counterweight::sweep::store::{self, Opened};
use counterweight::sweep::{self, ExecOptions, Outcome, Plan, SweepError};
use pyo3::exceptions::{PyKeyboardInterrupt, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::convert::overrides;
use crate::errors;
use crate::scenarios::source;
use crate::supervise::{Hooks, supervise, supervise_interruptible};

/// A batch's part files: `(batch, results part, series part)`, as Parquet bytes.
type Part = (u64, Vec<u8>, Vec<u8>);
type PartBytes<'py> = (u64, Bound<'py, PyBytes>, Bound<'py, PyBytes>);

/// What a plan is built from: plain values, so a plan can be rebuilt on another machine.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Spec {
    text: String,
    origin: String,
    base_dir: Option<PathBuf>,
    sets: Vec<String>,
    vary: Vec<String>,
    zip: bool,
    sample: Option<String>,
    replicates: Option<u32>,
}

fn build(spec: &Spec) -> Result<Plan, SweepError> {
    let src = sweep::Source {
        text: spec.text.clone(),
        origin: spec.origin.clone(),
        base_dir: spec.base_dir.clone(),
    };
    // The master seed keys a Latin hypercube's draws.
    let seed = sweep::plan::base_seed(counterweight::model::builtin(), &src, &spec.sets)?;
    let s = sweep::parse_spec(&spec.vary, spec.zip, spec.sample.as_deref(), seed)?;
    sweep::prepare(src, spec.sets.clone(), s, spec.replicates)
}

/// A checked sweep: every point validated, seeds fixed, nothing run yet.
#[pyclass(module = "counterweight._core", frozen)]
pub struct SweepPlan {
    plan: Plan,
    spec: Spec,
}

/// Run every batch not in `skip` into `dir` (which `store::open` has prepared).
fn execute_into(
    plan: &Plan,
    dir: &Path,
    skip: BTreeSet<u64>,
    threads: Option<usize>,
    hooks: &Hooks,
) -> Result<Outcome, SweepError> {
    let tick = |n: u64| hooks.report(n);
    let opts = ExecOptions {
        progress: Some(&tick),
        cancel: Some(&hooks.cancel),
    };
    // Each task records only its own parts in the manifest it writes; the client records
    // them all once every task has finished (`record_parts`), and parts a manifest does not
    // record are checked by their point, replicate and seed columns on resume (sweep::store).
    let opened = Opened {
        done: skip,
        resumed: true,
        manifest: store::Manifest::of(plan),
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .map_err(|e| SweepError::Spec(format!("cannot start the worker threads: {e}")))?;
    pool.install(|| sweep::execute(plan, dir, &opened, &opts))
}

#[pymethods]
impl SweepPlan {
    /// Check a sweep: `vary` as the CLI's `--vary` (`key=start:stop:step`, `key=v1,v2`,
    /// `key=log:a:b:n`), `zip`, `sample` (`lhs:N`), `replicates`, `set` overrides.
    #[new]
    #[pyo3(signature = (scenario, vary, zip=false, sample=None, replicates=None, set=None))]
    fn new(
        py: Python<'_>,
        scenario: &Bound<'_, PyAny>,
        vary: Vec<String>,
        zip: bool,
        sample: Option<String>,
        replicates: Option<u32>,
        set: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let src = source(py, scenario)?;
        let spec = Spec {
            text: src.text,
            origin: src.origin,
            base_dir: src.base_dir,
            sets: overrides(set)?,
            vary,
            zip,
            sample,
            replicates,
        };
        Self::from_spec_value(py, spec)
    }

    /// Rebuild a plan from [`SweepPlan::spec`] (e.g. on a Dask worker).
    #[staticmethod]
    fn from_spec(py: Python<'_>, spec: &str) -> PyResult<Self> {
        let spec: Spec = serde_json::from_str(spec)
            .map_err(|e| PyValueError::new_err(format!("not a sweep spec: {e}")))?;
        Self::from_spec_value(py, spec)
    }

    /// The plan's inputs as JSON text (plain values; rebuild with `from_spec`).
    #[getter]
    fn spec(&self) -> String {
        serde_json::to_string(&self.spec).expect("a spec serialises")
    }

    #[getter]
    fn name(&self) -> &str {
        &self.plan.name
    }

    #[getter]
    fn model(&self) -> &str {
        &self.plan.model
    }

    #[getter]
    fn points(&self) -> u64 {
        self.plan.points()
    }

    #[getter]
    fn replicates(&self) -> u32 {
        self.plan.replicates
    }

    #[getter]
    fn runs(&self) -> u64 {
        self.plan.runs()
    }

    /// Part files (batches of consecutive runs) the sweep is written in.
    #[getter]
    fn batches(&self) -> u64 {
        self.plan.batches()
    }

    #[getter]
    fn batch_size(&self) -> u64 {
        self.plan.batch_size
    }

    /// The run ids `[start, end)` of batch `b`; runs are point-major.
    fn batch_runs(&self, b: u64) -> (u64, u64) {
        let r = self.plan.batch_runs(b);
        (r.start, r.end)
    }

    /// Prepare `out`: write the manifest, or find the batches already complete when it
    /// holds the same sweep. Returns `(done_batches, resumed)`. With `resume=False` a
    /// directory that already holds this sweep is an error.
    #[pyo3(signature = (out, resume=true))]
    fn open(&self, py: Python<'_>, out: PathBuf, resume: bool) -> PyResult<(Vec<u64>, bool)> {
        let opened = py
            .detach(|| store::open(&out, &self.plan))
            .map_err(|e| errors::sweep(py, &e))?;
        if opened.resumed && !resume {
            return Err(errors::other(
                py,
                "SweepError",
                format!(
                    "{} already holds this sweep ({} of {} part files done); pass resume=True to finish it, or choose another out",
                    out.display(),
                    opened.done.len(),
                    self.plan.batches()
                ),
            ));
        }
        Ok((opened.done.into_iter().collect(), opened.resumed))
    }

    /// Run every batch not in `skip` into `out` (opened with `open`) on `threads` threads,
    /// without the GIL; `progress(runs_done)` about every 0.1 s. Ctrl-C stops the runs in
    /// flight; completed part files stay and a later call resumes from them.
    #[pyo3(signature = (out, skip, threads=None, progress=None))]
    fn execute(
        &self,
        py: Python<'_>,
        out: PathBuf,
        skip: Vec<u64>,
        threads: Option<usize>,
        progress: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<u64> {
        let plan = &self.plan;
        let skip: BTreeSet<u64> = skip.into_iter().collect();
        let interrupted = |saved: u64| {
            PyKeyboardInterrupt::new_err(format!(
                "interrupted: {saved} of {} runs are saved in {}; run the same sweep again to resume",
                plan.runs(),
                out.display()
            ))
        };
        let outcome = match supervise_interruptible(py, progress, |hooks| {
            execute_into(plan, &out, skip, threads, hooks)
        }) {
            Ok(o) => o,
            Err((e, Some(Ok(Outcome::Interrupted { saved }))))
                if e.is_instance_of::<PyKeyboardInterrupt>(py) =>
            {
                return Err(interrupted(saved));
            }
            Err((e, _)) => return Err(e),
        };
        match outcome.map_err(|e| errors::sweep(py, &e))? {
            Outcome::Complete => Ok(plan.runs()),
            Outcome::Interrupted { saved } => Err(interrupted(saved)),
        }
    }

    /// Run the given batches (one Dask task). With `out` (a directory every worker shares,
    /// opened by the client) the part files are written there and `[]` is returned;
    /// without, they are written to a private temporary directory and returned as
    /// `[(batch, results_part_bytes, series_part_bytes), ...]` for `store_part`.
    #[pyo3(signature = (batches, out=None, threads=Some(1)))]
    fn run_batches<'py>(
        &self,
        py: Python<'py>,
        batches: Vec<u64>,
        out: Option<PathBuf>,
        threads: Option<usize>,
    ) -> PyResult<Vec<PartBytes<'py>>> {
        let plan = &self.plan;
        for &b in &batches {
            if b >= plan.batches() {
                return Err(PyValueError::new_err(format!(
                    "batch {b} out of range (the sweep has {})",
                    plan.batches()
                )));
            }
        }
        let mine: BTreeSet<u64> = batches.iter().copied().collect();
        let skip: BTreeSet<u64> = (0..plan.batches()).filter(|b| !mine.contains(b)).collect();
        if let Some(out) = out {
            let outcome = supervise(py, None, |hooks| {
                execute_into(plan, &out, skip, threads, hooks)
            })?;
            return match outcome.map_err(|e| errors::sweep(py, &e))? {
                Outcome::Complete => Ok(Vec::new()),
                Outcome::Interrupted { .. } => Err(PyKeyboardInterrupt::new_err("interrupted")),
            };
        }
        let tmp = tempfile::tempdir()
            .map_err(|e| errors::other(py, "SweepError", format!("no temporary directory: {e}")))?;
        let dir = tmp.path().join("sweep");
        let parts = supervise(py, None, |hooks| -> Result<Vec<Part>, SweepError> {
            store::open(&dir, plan)?;
            match execute_into(plan, &dir, skip, threads, hooks)? {
                Outcome::Complete => {}
                Outcome::Interrupted { .. } => {
                    return Err(SweepError::Spec("interrupted".into()));
                }
            }
            let read = |kind: &str, b: u64| {
                let p = store::part_path(&dir, kind, b);
                std::fs::read(&p).map_err(|e| SweepError::Read {
                    path: p,
                    message: e.to_string(),
                })
            };
            mine.iter()
                .map(|&b| Ok((b, read(store::PARTS, b)?, read(store::SERIES, b)?)))
                .collect()
        })?
        .map_err(|e| errors::sweep(py, &e))?;
        Ok(parts
            .into_iter()
            .map(|(b, r, s)| (b, PyBytes::new(py, &r), PyBytes::new(py, &s)))
            .collect())
    }

    /// Record every complete batch of `out` in its `manifest.json` (Dask: the workers
    /// each recorded only their own; the client calls this once they have all finished).
    fn record_parts(&self, py: Python<'_>, out: PathBuf) -> PyResult<()> {
        let plan = &self.plan;
        py.detach(|| store::record_parts(plan, &out))
            .map_err(|e| errors::sweep(py, &e))
    }

    /// Read the parts in run order and write `results`, `summary`, `summary_series` (CSV
    /// and Parquet); with `pictures`, also the charts and `report.html`. Returns
    /// `{"runs", "failed", "stopped", "failures"}`.
    #[pyo3(signature = (out, pictures=true))]
    fn finalize<'py>(
        &self,
        py: Python<'py>,
        out: PathBuf,
        pictures: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let plan = &self.plan;
        let summary = py
            .detach(|| -> Result<sweep::Summary, SweepError> {
                let s = sweep::finalize(plan, &out)?;
                if pictures {
                    let figures = sweep::pictures::write_charts(plan, &s, &out)?;
                    sweep::pictures::write_report(plan, &s, &out, figures)?;
                }
                Ok(s)
            })
            .map_err(|e| errors::sweep(py, &e))?;
        let d = PyDict::new(py);
        d.set_item("runs", summary.runs)?;
        d.set_item("failed", summary.failed)?;
        d.set_item("stopped", summary.stopped)?;
        d.set_item("failures", summary.failures)?;
        Ok(d)
    }
}

impl SweepPlan {
    fn from_spec_value(py: Python<'_>, spec: Spec) -> PyResult<Self> {
        let plan = py
            .detach(|| build(&spec))
            .map_err(|e| errors::sweep(py, &e))?;
        Ok(SweepPlan { plan, spec })
    }
}

/// Write a batch's part files (bytes from `SweepPlan.run_batches`) into the sweep
/// directory `out`, series first, each atomically: the batch counts as done once its
/// results part exists.
#[pyfunction]
fn store_part(
    py: Python<'_>,
    out: PathBuf,
    batch: u64,
    results: &[u8],
    series: &[u8],
) -> PyResult<()> {
    py.detach(|| -> Result<(), counterweight::io::IoError> {
        write_atomic_bytes(&store::part_path(&out, store::SERIES, batch), series)?;
        write_atomic_bytes(&store::part_path(&out, store::PARTS, batch), results)
    })
    .map_err(|e| errors::other(py, "SweepError", e))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<SweepPlan>()?;
    m.add_function(wrap_pyfunction!(store_part, m)?)?;
    Ok(())
}
