//! Sweeps: one scenario run over many parameter points and replicates, in parallel,
//! reproducibly, streaming to disk, resumable.
//!
//! The pieces, in the order a sweep uses them:
//!
//! - [`spec`]: `--vary key=start:stop:step | v1,v2 | log:start:stop:n`, `--zip`,
//!   `--sample lhs:N` → the points;
//! - [`plan`]: points × replicates → runs (point-major), each with the seed
//!   `derive_seed(master, [point, replicate])`; every point's scenario is validated and the
//!   result columns fixed before anything runs;
//! - [`store`]: the sweep directory: `manifest.json`, part files written atomically as
//!   batches finish, streaming CSV/Parquet writers;
//! - [`exec`]: the runs on the current rayon pool; a failed run (e.g. a numerical blow-up)
//!   is recorded with its error as `status` and does not stop the sweep;
//! - [`aggregate`]: the final dataset (`results.csv`, `summary.csv`, `summary_series.csv`,
//!   Parquet twins) in one streaming pass over the parts, in run order;
//! - [`pictures`]: band charts, heatmap phase diagrams, `report.html`.
//!
//! Every output depends only on the plan, never on the number of threads or the order in
//! which runs finish: seeds come from coordinates, and parts are read back in run order.
//! Run `(p, r)` of a sweep is exactly `counterweight run` of the scenario with point `p`'s
//! `--set`s, `--seed <its seed>` and `replicates = 1`.

pub mod aggregate;
pub mod exec;
pub mod pictures;
pub mod plan;
pub mod spec;
pub mod store;

use std::path::PathBuf;

use thiserror::Error;

use crate::io::IoError;
use crate::scenario::ScenarioError;

pub use aggregate::{Summary, finalize};
pub use exec::{ExecOptions, Outcome, execute};
pub use plan::{Plan, PrepareOptions, Source, prepare, prepare_observed};
pub use spec::{Design, SweepSpec};

/// Why a sweep could not be set up, run or written.
#[derive(Debug, Error)]
pub enum SweepError {
    /// A bad `--vary`, `--zip`, `--sample` or `--replicates`.
    #[error("{0}")]
    Spec(String),
    /// The scenario is invalid at some point of the sweep.
    #[error("{0}")]
    Scenario(Box<ScenarioError>),
    /// The output directory holds something else (another sweep, other files).
    #[error("{0}")]
    Resume(String),
    /// Writing the sweep's files failed.
    #[error(transparent)]
    Io(IoError),
    /// A part file could not be read back.
    #[error("cannot read {path}: {message}")]
    Read {
        /// The part file.
        path: PathBuf,
        /// What the Parquet reader reported.
        message: String,
    },
    /// Preparing the sweep was interrupted (its cancel flag was set); nothing was written.
    #[error("interrupted")]
    Cancelled,
}

impl SweepError {
    /// Whether the error is the user's input (exit code 2) rather than a failure.
    pub fn is_input(&self) -> bool {
        matches!(
            self,
            SweepError::Spec(_) | SweepError::Scenario(_) | SweepError::Resume(_)
        )
    }
}

/// Parse the `--vary` arguments and the design into a [`SweepSpec`].
pub fn parse_spec(
    vary: &[String],
    zip: bool,
    sample: Option<&str>,
    seed: u64,
) -> Result<SweepSpec, SweepError> {
    let axes = vary
        .iter()
        .map(|v| spec::parse_vary(v))
        .collect::<Result<Vec<_>, _>>()
        .map_err(SweepError::Spec)?;
    let design = match (zip, sample) {
        (true, Some(_)) => {
            return Err(SweepError::Spec(
                "--zip and --sample cannot be combined".into(),
            ));
        }
        (true, None) => Design::Zip,
        (false, Some(s)) => Design::Lhs(spec::parse_sample(s).map_err(SweepError::Spec)?),
        (false, None) => Design::Grid,
    };
    spec::build(axes, design, seed).map_err(SweepError::Spec)
}

/// The number of points `--vary`, `--zip` and `--sample` describe, counted without
/// building them (a grid's product saturates at `u64::MAX`): the check of a sweep's size
/// comes before its points are made and validated. Errors are those of [`parse_spec`].
pub fn count_points(vary: &[String], zip: bool, sample: Option<&str>) -> Result<u64, SweepError> {
    let axes = vary
        .iter()
        .map(|v| spec::parse_vary(v))
        .collect::<Result<Vec<_>, _>>()
        .map_err(SweepError::Spec)?;
    let lens = axes.iter().map(|a| a.values.len() as u64);
    Ok(match (zip, sample) {
        (_, Some(s)) => spec::parse_sample(s).map_err(SweepError::Spec)? as u64,
        (true, None) => lens.max().unwrap_or(0),
        (false, None) => lens.fold(1, u64::saturating_mul),
    })
}

/// How [`run`] ended.
#[derive(Debug)]
pub enum Finished {
    /// Every run is saved; the summary, charts and report are written.
    Complete(Summary),
    /// Cancelled or stopped: `saved` runs are on disk; the same call resumes.
    Interrupted {
        /// Runs saved on disk so far.
        saved: u64,
    },
}

/// Run a prepared sweep into `dir` (resuming what is saved there), then aggregate it and
/// write its charts and `report.html`: the whole `counterweight sweep`, as a value.
pub fn run(
    plan: &Plan,
    dir: &std::path::Path,
    opened: &store::Opened,
    opts: &ExecOptions,
) -> Result<Finished, SweepError> {
    match execute(plan, dir, opened, opts)? {
        Outcome::Complete => {}
        Outcome::Interrupted { saved } => return Ok(Finished::Interrupted { saved }),
    }
    let summary = finalize(plan, dir)?;
    let figures = pictures::write_charts(plan, &summary, dir)?;
    pictures::write_report(plan, &summary, dir, figures)?;
    Ok(Finished::Complete(summary))
}
