//! The plan of a sweep: the scenario, the points, replicates, seeds, the batches that
//! become part files, and the columns every run reports. Everything is checked here,
//! before any run starts.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::SweepError;
use super::spec::{self, SweepSpec};
use crate::estimate::RunSize;
use crate::registry::{Observation, Registry};
use crate::rng;
use crate::runner::{self, RunOptions};
use crate::scenario::{self, Scenario, ScenarioError};
use crate::table::{Column, Table};

/// The type of a metric column in the results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    /// A real number (NaN when the run failed).
    F64,
    /// A nullable integer (`step`, the Nakamoto coefficients).
    OptU64,
}

/// Where the base scenario comes from.
#[derive(Debug, Clone)]
pub struct Source {
    /// The scenario text.
    pub text: String,
    /// Its name in errors (the file path, or `<embedded NAME>`).
    pub origin: String,
    /// Where relative `csv` paths are resolved.
    pub base_dir: Option<PathBuf>,
}

/// A checked sweep: what to run, in which order, with which seeds.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The models the sweep's scenarios may use.
    pub registry: Registry,
    /// The base scenario, as given.
    pub source: Source,
    /// The user's `--set` overrides (applied before each point's values).
    pub sets: Vec<String>,
    /// The varied keys and the points.
    pub spec: SweepSpec,
    /// Replicates per point.
    pub replicates: u32,
    /// The master seed (the scenario's `seed`, after `--set seed=...`).
    pub master_seed: u64,
    /// Runs per part file.
    pub batch_size: u64,
    /// FNV-1a hash of the resolved base scenario (after `--set`).
    pub scenario_hash: String,
    /// The base scenario's name.
    pub name: String,
    /// The base scenario's model (`model = "..."`).
    pub model: String,
    /// The resolved base scenario (after `--set`) as TOML, shown in the report.
    pub resolved_toml: String,
    /// The final-metric columns of `results.csv`, in order (the names of `metrics.csv`,
    /// without `replicate`; the union over all points).
    pub metrics: Vec<(String, Kind)>,
    /// What the base scenario's model records (its key columns and their labels).
    pub observation: Observation,
    /// The largest run of any point (each figure the maximum over the points), for
    /// [`Plan::estimate`].
    pub run_size: RunSize,
}

/// The seed of run (point, replicate): derived from the master seed and the coordinates,
/// kept to 63 bits so it can be given back as `--seed` (TOML integers are signed).
pub fn run_seed(master: u64, point: u64, replicate: u64) -> u64 {
    rng::derive_seed(master, &[point, replicate]) & (i64::MAX as u64)
}

/// FNV-1a, 64 bits, as 16 hex digits: a stable fingerprint for the manifest.
pub fn fingerprint(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

impl Plan {
    /// The number of points.
    pub fn points(&self) -> u64 {
        self.spec.points.len() as u64
    }

    /// The number of runs: points × replicates.
    pub fn runs(&self) -> u64 {
        self.points() * u64::from(self.replicates)
    }

    /// The number of batches (part files): runs / batch size, rounded up.
    pub fn batches(&self) -> u64 {
        self.runs().div_ceil(self.batch_size)
    }

    /// Run ids of batch `b`.
    pub fn batch_runs(&self, b: u64) -> std::ops::Range<u64> {
        b * self.batch_size..((b + 1) * self.batch_size).min(self.runs())
    }

    /// (point, replicate) of run `r`: runs are point-major.
    pub fn coords(&self, r: u64) -> (u64, u32) {
        let reps = u64::from(self.replicates);
        (r / reps, (r % reps) as u32)
    }

    /// The seed of run `r` ([`run_seed`] of its point and replicate).
    pub fn seed(&self, r: u64) -> u64 {
        let (p, rep) = self.coords(r);
        run_seed(self.master_seed, p, u64::from(rep))
    }

    /// Whether metric column `name` holds values in [0, 1] (a model column declared as a
    /// share, or a contract share, Gini or HHI), so its interval must stay in that range.
    pub fn unit_interval(&self, name: &str) -> bool {
        if let Some(c) = self.observation.columns.iter().find(|c| c.name == name) {
            return c.unit_interval;
        }
        self.observation.concentration && crate::metrics::unit_interval(name)
    }

    /// All overrides of point `p`: the user's `--set`, then the point's values (the
    /// variant is not an override: it picks one of the scenario's `[[compare]]`).
    pub fn overrides(&self, p: usize) -> Vec<String> {
        let mut o = self.sets.clone();
        let v = self.spec.variant_axis();
        o.extend(
            self.spec
                .assignments(p)
                .into_iter()
                .enumerate()
                .filter(|(a, _)| Some(*a) != v)
                .map(|(_, s)| s),
        );
        o
    }

    /// What the sweep will take with `threads` worker threads ([`crate::estimate::sweep`]).
    pub fn estimate(&self, threads: usize) -> crate::estimate::Estimate {
        crate::estimate::sweep(
            self.points(),
            u64::from(self.replicates),
            &self.run_size,
            self.spec.axes.len() as u64,
            self.batch_size,
            threads,
        )
    }

    /// The `[[compare]]` variant of point `p` (`None` for a scenario without variants).
    pub fn variant(&self, p: usize) -> Option<String> {
        let a = self.spec.variant_axis()?;
        Some(self.spec.points[p][a].label())
    }

    /// The scenario of point `p` (its master seed and replicates still the base's).
    #[allow(clippy::result_large_err)]
    pub fn point_scenario(&self, p: usize) -> Result<Scenario, ScenarioError> {
        self.scenario_with(&self.overrides(p), self.variant(p).as_deref())
    }

    /// The scenario with `overrides`, as variant `label` (the first when `None`).
    #[allow(clippy::result_large_err)]
    fn scenario_with(
        &self,
        overrides: &[String],
        label: Option<&str>,
    ) -> Result<Scenario, ScenarioError> {
        let exp = scenario::parse_with(
            &self.registry,
            &self.source.text,
            &self.source.origin,
            self.source.base_dir.as_deref(),
            overrides,
        )?;
        let i = label
            .and_then(|l| exp.variants.iter().position(|v| v.label == l))
            .unwrap_or(0);
        Ok(exp
            .variants
            .into_iter()
            .nth(i)
            .expect("an experiment has a variant")
            .scenario)
    }

    /// The scenario of run `r`: its point's, with one replicate and the run's own seed.
    #[allow(clippy::result_large_err)]
    pub fn run_scenario(&self, r: u64) -> Result<Scenario, ScenarioError> {
        let (p, _) = self.coords(r);
        let mut sc = self.point_scenario(p as usize)?;
        sc.seed = self.seed(r);
        sc.replicates = 1;
        // A sweep keeps each run's metrics only: per-actor rows would be computed and dropped.
        sc.output.actors = scenario::ActorsOutput::None;
        Ok(sc)
    }
}

/// Runs per part file: about 100 parts per sweep, between 1 and 256 runs each. It depends
/// only on the number of runs, never on the threads, so a resumed sweep cuts the same parts.
pub fn batch_size(runs: u64) -> u64 {
    runs.div_ceil(100).clamp(1, 256)
}

/// Check everything and build the plan: the base scenario with `--set`, each varied key
/// alone (so an unknown key is named), then every point. Nothing runs.
pub fn prepare(
    source: Source,
    sets: Vec<String>,
    spec: SweepSpec,
    replicates: Option<u32>,
) -> Result<Plan, SweepError> {
    prepare_with(crate::model::builtin(), source, sets, spec, replicates)
}

/// [`prepare`] with the models of `registry`.
pub fn prepare_with(
    registry: &Registry,
    source: Source,
    sets: Vec<String>,
    spec: SweepSpec,
    replicates: Option<u32>,
) -> Result<Plan, SweepError> {
    prepare_observed(
        registry,
        source,
        sets,
        spec,
        replicates,
        &PrepareOptions::default(),
    )
}

/// Hooks for [`prepare_observed`], whose check of every point takes minutes for a sweep of
/// 10^6 points.
#[derive(Default, Clone, Copy)]
pub struct PrepareOptions<'a> {
    /// Called with the number of points checked so far (in chunks, up to all of them).
    pub progress: Option<&'a (dyn Fn(u64) + Sync)>,
    /// Set to stop checking: [`SweepError::Cancelled`].
    pub cancel: Option<&'a AtomicBool>,
}

/// [`prepare_with`], reporting progress over the points checked and stopping when the
/// cancel flag is set.
pub fn prepare_observed(
    registry: &Registry,
    source: Source,
    sets: Vec<String>,
    spec: SweepSpec,
    replicates: Option<u32>,
    opts: &PrepareOptions,
) -> Result<Plan, SweepError> {
    let base = scenario::parse_with(
        registry,
        &source.text,
        &source.origin,
        source.base_dir.as_deref(),
        &sets,
    )
    .map_err(|e| SweepError::Scenario(Box::new(e)))?;
    let mut spec = spec;
    let labels: Vec<String> = base.variants.iter().map(|v| v.label.clone()).collect();
    check_axes(&spec)?;
    match spec.variant_axis() {
        // `--vary variant=a,b`: those variants.
        Some(a) => {
            if base.variants.len() < 2 {
                return Err(SweepError::Spec(format!(
                    "--vary {}: {} has no [[compare]] variants to choose from",
                    spec::VARIANT_KEY,
                    source.origin
                )));
            }
            for v in &spec.axes[a].values {
                if !labels.contains(&v.label()) {
                    return Err(SweepError::Spec(format!(
                        "--vary {}: {} has no variant \"{}\"; its variants are: {}",
                        spec::VARIANT_KEY,
                        source.origin,
                        v.label(),
                        labels
                            .iter()
                            .map(|l| format!("\"{l}\""))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
            }
        }
        // Every variant, as the last (fastest) axis.
        None if base.variants.len() > 1 => {
            if spec.points.len().saturating_mul(labels.len()) > spec::MAX_POINTS {
                return Err(SweepError::Spec(format!(
                    "{} points × {} variants is more than {} points",
                    spec.points.len(),
                    labels.len(),
                    spec::MAX_POINTS
                )));
            }
            spec.cross_variants(&labels)
        }
        None => {}
    }
    let base_sc = &base.variants[0].scenario;
    let replicates = replicates.unwrap_or(base_sc.replicates);
    if replicates == 0 {
        return Err(SweepError::Spec("--replicates must be at least 1".into()));
    }
    let mut plan = Plan {
        registry: registry.clone(),
        observation: base_sc.model.setup().observation(),
        sets,
        replicates,
        master_seed: base_sc.seed,
        batch_size: 1,
        scenario_hash: fingerprint(base.resolved_toml.as_bytes()),
        name: base.name.clone(),
        model: base_sc.model.name().to_string(),
        resolved_toml: base.resolved_toml.clone(),
        metrics: Vec::new(),
        run_size: RunSize::of(base_sc),
        spec,
        source,
    };
    plan.batch_size = batch_size(plan.runs());

    // Each key alone, at each of its values: errors name the key and value.
    let variant_axis = plan.spec.variant_axis();
    for a in &plan.spec.axes {
        if a.key == spec::VARIANT_KEY {
            continue;
        }
        for v in &a.values {
            let mut o = plan.sets.clone();
            o.push(format!("{}={}", a.key, v.text));
            scenario::parse_with(
                &plan.registry,
                &plan.source.text,
                &plan.source.origin,
                plan.source.base_dir.as_deref(),
                &o,
            )
            .map_err(|e| vary_error(&plan, e))?;
        }
    }
    // A variant that sets a varied key itself would silently ignore the sweep there.
    if let Some(va) = variant_axis {
        for a in plan.spec.axes.iter().filter(|a| a.key != spec::VARIANT_KEY) {
            let (Some(v0), Some(v1)) = (
                a.values.first(),
                a.values.iter().find(|v| v.text != a.values[0].text),
            ) else {
                continue;
            };
            for label in plan.spec.axes[va].values.iter().map(|v| v.label()) {
                let at = |v: &spec::AxisValue| {
                    let mut o = plan.sets.clone();
                    o.push(format!("{}={}", a.key, v.text));
                    plan.scenario_with(&o, Some(&label))
                        .map_err(|e| vary_error(&plan, e))
                };
                if at(v0)? == at(v1)? {
                    return Err(SweepError::Spec(format!(
                        "--vary {}: the variant \"{label}\" of {} sets {} itself ([[compare]] set), so the sweep would not vary it there; vary another field, or choose variants with --vary {}=...",
                        a.key,
                        plan.source.origin,
                        a.key,
                        spec::VARIANT_KEY
                    )));
                }
            }
        }
    }
    // Every point, and the columns its runs will report: in parallel chunks (a sweep of
    // 10^6 points takes minutes on one thread), merged in point order so the first invalid
    // point is the one reported, whatever the threads.
    let n = plan.spec.points.len();
    let mut metrics: Vec<(String, Kind)> = Vec::new();
    let mut start = 0;
    while start < n {
        if opts.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Err(SweepError::Cancelled);
        }
        let end = (start + CHECK_CHUNK).min(n);
        let checked: Vec<Checked> = (start..end)
            .into_par_iter()
            .map(|p| {
                let sc = plan.point_scenario(p).map_err(Box::new)?;
                Ok((RunSize::of(&sc), metric_columns(&sc)))
            })
            .collect();
        for c in checked {
            let (size, columns) = c.map_err(|e| vary_error(&plan, *e))?;
            plan.run_size = largest(plan.run_size, size);
            for (name, kind) in columns {
                if !metrics.iter().any(|(n, _)| *n == name) {
                    metrics.push((name, kind));
                }
            }
        }
        start = end;
        if let Some(p) = opts.progress {
            p(start as u64);
        }
    }
    plan.metrics = metrics;
    Ok(plan)
}

/// A point checked: its run size and metric columns, or why it is invalid.
type Checked = Result<(RunSize, Vec<(String, Kind)>), Box<ScenarioError>>;

/// Points checked between two looks at the cancel flag and two progress reports.
const CHECK_CHUNK: usize = 1024;

/// Each figure of two run sizes, the larger.
fn largest(a: RunSize, b: RunSize) -> RunSize {
    RunSize {
        actors: a.actors.max(b.actors),
        replicates: a.replicates.max(b.replicates),
        state_bytes: a.state_bytes.max(b.state_bytes),
        rows_per_replicate: a.rows_per_replicate.max(b.rows_per_replicate),
        columns: a.columns.max(b.columns),
        actor_rows_per_replicate: a.actor_rows_per_replicate.max(b.actor_rows_per_replicate),
    }
}

fn check_axes(spec: &SweepSpec) -> Result<(), SweepError> {
    for a in &spec.axes {
        let k = a.key.as_str();
        if k == "seed" || k == "replicates" || k == "compare" || k.starts_with("compare[") {
            return Err(SweepError::Spec(format!(
                "--vary {k}: a sweep sets `seed` and `replicates` itself (use --seed and --replicates) and cannot vary [[compare]]"
            )));
        }
    }
    Ok(())
}

/// The master seed of the base scenario with `--set` (it keys a Latin hypercube's draws).
pub fn base_seed(registry: &Registry, source: &Source, sets: &[String]) -> Result<u64, SweepError> {
    base_scenario(registry, source, sets).map(|sc| sc.seed)
}

/// The base scenario with `--set` (its first variant), validated: its seed keys a Latin
/// hypercube's draws, and its size gives the first estimate of the sweep, before the
/// points are built.
pub fn base_scenario(
    registry: &Registry,
    source: &Source,
    sets: &[String],
) -> Result<Scenario, SweepError> {
    scenario::parse_with(
        registry,
        &source.text,
        &source.origin,
        source.base_dir.as_deref(),
        sets,
    )
    .map(|e| {
        e.variants
            .into_iter()
            .next()
            .expect("an experiment has a variant")
            .scenario
    })
    .map_err(|e| SweepError::Scenario(Box::new(e)))
}

/// Rename an override error after the `--vary` that caused it.
fn vary_error(plan: &Plan, mut e: ScenarioError) -> SweepError {
    if let Some(assign) = e.origin.strip_prefix("--set ")
        && let Some((key, value)) = assign.split_once('=')
        && let Some(axis) = plan.spec.axes.iter().find(|a| a.key == key)
    {
        e.origin = format!("--vary {}={} (at {key} = {value})", axis.key, axis.spec);
    } else {
        let at: Vec<String> = plan.spec.axes.iter().map(|a| a.key.clone()).collect();
        e.message = format!(
            "{} (while checking the values of {})",
            e.message,
            at.join(", ")
        );
    }
    SweepError::Scenario(Box::new(e))
}

/// The metric columns a run of `sc` reports: the names and types of its `metrics.csv`,
/// without `replicate`. Found by observing the initial state (no steps run).
pub fn metric_columns(sc: &Scenario) -> Vec<(String, Kind)> {
    let mut probe = sc.clone();
    probe.time.steps = 0;
    probe.replicates = 1;
    probe.output.actors = scenario::ActorsOutput::None;
    let table = match runner::run(&probe, &RunOptions::default()) {
        Ok(out) => out.metrics,
        // The initial state cannot be measured: fall back to the contract's columns.
        Err(_) => Table {
            names: crate::io::METRICS_CONTRACT
                .iter()
                .map(|s| s.to_string())
                .collect(),
            columns: crate::io::METRICS_CONTRACT
                .iter()
                .map(|s| {
                    if s.starts_with("nakamoto") || *s == "step" || *s == "replicate" {
                        Column::OptU64(vec![])
                    } else {
                        Column::F64(vec![])
                    }
                })
                .collect(),
        },
    };
    table
        .names
        .iter()
        .zip(&table.columns)
        .filter(|(n, _)| n.as_str() != "replicate")
        .filter_map(|(n, c)| match c {
            Column::F64(_) => Some((n.clone(), Kind::F64)),
            Column::U64(_) | Column::OptU64(_) => Some((n.clone(), Kind::OptU64)),
            Column::Str(_) => None,
        })
        .collect()
}
