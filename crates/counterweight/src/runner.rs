//! The runner: the time loop, recording, replicates and variants.
//!
//! It owns the loop skeleton (step, observe every `output.every` steps, stop rules,
//! progress, cancellation); models own only their step. Replicates run in parallel with
//! rayon and are collected in order, and every replicate draws from its own streams, so
//! the output is identical for any number of threads.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rayon::prelude::*;
use thiserror::Error;

use crate::metrics::{self, MetricColumns, MetricOptions, MetricsError};
use crate::registry::{ColumnDef, Model, ModelError};
use crate::scenario::{ActorsOutput, Experiment, Scenario};
use crate::table::{Column, Table};

/// Why a run did not complete.
#[derive(Debug, Error)]
pub enum RunError {
    /// The model failed at a step (a non-finite or non-positive value, ...).
    #[error("{}replicate {replicate}: {source}", variant_prefix(.variant))]
    Model {
        /// The `[[compare]]` variant's label, if the scenario has variants.
        variant: Option<String>,
        /// The replicate (0-based).
        replicate: u32,
        /// What the model reported.
        source: ModelError,
    },
    /// A metric could not be computed from the model's values at a recorded step.
    #[error("{}replicate {replicate}, step {step}: metrics: {source}", variant_prefix(.variant))]
    Metrics {
        /// The `[[compare]]` variant's label, if the scenario has variants.
        variant: Option<String>,
        /// The replicate (0-based).
        replicate: u32,
        /// The step (1-based).
        step: u64,
        /// Why the metric failed.
        source: MetricsError,
    },
    /// The caller's cancel flag was set; nothing is returned.
    #[error("interrupted")]
    Cancelled,
    /// The [`ActorSink`] could not take a replicate's per-actor rows (e.g. the disk is full).
    #[error("{}replicate {replicate}: per-actor rows: {source}", variant_prefix(.variant))]
    Output {
        /// The `[[compare]]` variant's label, if the scenario has variants.
        variant: Option<String>,
        /// The replicate (0-based).
        replicate: u32,
        /// What the sink reported.
        source: SinkError,
    },
}

/// An error of an [`ActorSink`] (its own type, boxed: the runner only passes it on).
pub type SinkError = Box<dyn std::error::Error + Send + Sync>;

/// A batch of per-actor rows of one replicate (`output.actors`): recorded steps in order,
/// and within a step the actors in group order. `group` indexes the scenario's groups.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActorBatch {
    /// The step (0 = the initial state).
    pub step: Vec<u64>,
    /// Model time at that step.
    pub time: Vec<f64>,
    /// The actor's index (0-based, across groups).
    pub actor: Vec<u64>,
    /// The actor's group, as an index into `Scenario::groups`.
    pub group: Vec<u32>,
    /// The actor's value.
    pub value: Vec<f64>,
}

impl ActorBatch {
    /// The number of rows.
    pub fn len(&self) -> usize {
        self.step.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.step.is_empty()
    }

    fn clear(&mut self) {
        self.step.clear();
        self.time.clear();
        self.actor.clear();
        self.group.clear();
        self.value.clear();
    }
}

/// Where per-actor rows go while a run produces them, instead of into memory: a run of
/// 10^6 actors × 1,000 recorded steps has 10^9 of them. The runner hands each replicate's
/// rows over in batches of at most [`ACTOR_BATCH_ROWS`], in step order, from the worker
/// thread running it; replicates of one variant run in parallel, variants one after
/// another. The sink puts them in order (the output must not depend on the threads).
/// `crate::io::actors::ActorFiles` writes them to `actors.csv` and `actors.parquet`.
pub trait ActorSink: Sync {
    /// Rows of replicate `replicate` of variant `variant` (both 0-based, variants in the
    /// experiment's order), following the rows it was given before.
    fn rows(&self, variant: usize, replicate: u32, batch: &ActorBatch) -> Result<(), SinkError>;
    /// Replicate `replicate` of variant `variant` has handed over all its rows.
    fn replicate_done(&self, variant: usize, replicate: u32) -> Result<(), SinkError>;
}

/// Rows of a replicate the runner holds before handing them to an [`ActorSink`] (about
/// 2.4 MB at 36 bytes a row): every batch but a replicate's last has exactly this many.
pub const ACTOR_BATCH_ROWS: usize = 1 << 16;

impl RunError {
    /// The same error, naming the `[[compare]]` variant it happened in (`None` when the
    /// experiment has one variant): the runner of one scenario does not know its label.
    pub fn in_variant(self, label: &Option<String>) -> RunError {
        match self {
            RunError::Model {
                replicate, source, ..
            } => RunError::Model {
                variant: label.clone(),
                replicate,
                source,
            },
            RunError::Metrics {
                replicate,
                step,
                source,
                ..
            } => RunError::Metrics {
                variant: label.clone(),
                replicate,
                step,
                source,
            },
            RunError::Output {
                replicate, source, ..
            } => RunError::Output {
                variant: label.clone(),
                replicate,
                source,
            },
            other => other,
        }
    }
}

fn variant_prefix(v: &Option<String>) -> String {
    v.as_ref()
        .map_or(String::new(), |v| format!("variant \"{v}\", "))
}

/// Hooks for whoever drives the run. Observers never touch the model's random streams.
#[derive(Default, Clone, Copy)]
pub struct RunOptions<'a> {
    /// Called from worker threads with the number of steps completed so far, summed over
    /// all replicates and variants.
    pub progress: Option<&'a (dyn Fn(u64) + Sync)>,
    /// Set to stop the run at the next step boundary.
    pub cancel: Option<&'a AtomicBool>,
}

/// Why a replicate ended before `time.end`.
#[derive(Debug, Clone, PartialEq)]
pub struct EarlyStop {
    /// The replicate (0-based).
    pub replicate: u32,
    /// The last step run (1-based).
    pub step: u64,
    /// Model time at that step (`step · dt`).
    pub time: f64,
    /// The largest actor's share then, at or above `stop_at_share`.
    pub top1_share: f64,
}

/// The result of one scenario (all its replicates).
#[derive(Debug, Clone)]
pub struct ScenarioOutput {
    /// One row per recorded step and replicate: `replicate, step, time`, the metrics of all
    /// actors, then per group `share.{g}` and the metrics with suffix `.{g}`.
    pub metrics: Table,
    /// `replicate, step, time, actor, group, value` when asked for.
    pub actors: Option<Table>,
    /// The final value of every actor, per replicate.
    pub final_values: Vec<Vec<f64>>,
    /// Replicate 0's final values in ascending `f64::total_cmp` order, when the metrics of
    /// its last recorded step sorted them (the model records concentration metrics and
    /// every value is finite and >= 0): the run's Lorenz curve and distribution chart
    /// reuse that sort instead of sorting 10^6 values again. `None` otherwise.
    pub final_sorted: Option<Vec<f64>>,
    /// Replicates that stopped before `time.end` because one actor reached
    /// `stop_at_share`, in replicate order.
    pub early_stops: Vec<EarlyStop>,
}

impl ScenarioOutput {
    /// The final values the run's charts are drawn from: replicate 0's, sorted when
    /// [`ScenarioOutput::final_sorted`] has them (the Lorenz curve and the distribution do
    /// not depend on the order), else in actor order; empty without replicates.
    pub fn chart_final_values(&self) -> &[f64] {
        self.final_sorted
            .as_deref()
            .or(self.final_values.first().map(Vec::as_slice))
            .unwrap_or(&[])
    }

    /// [`ScenarioOutput::chart_final_values`] as an owned vector: the sort moved out of
    /// [`ScenarioOutput::final_sorted`] (left `None`) when there is one, else a copy.
    pub fn take_chart_final_values(&mut self) -> Vec<f64> {
        match self.final_sorted.take() {
            Some(sorted) => sorted,
            None => self.chart_final_values().to_vec(),
        }
    }
}

/// The result of an experiment: one output per variant, in order.
#[derive(Debug, Clone)]
pub struct ExperimentOutput {
    /// `(label, output)` per variant, in file order (without `[[compare]]`, one entry
    /// labelled with the scenario's name).
    pub variants: Vec<(String, ScenarioOutput)>,
}

impl ExperimentOutput {
    /// All variants' metrics in one table, with a leading `variant` column when there is
    /// more than one variant.
    pub fn metrics_table(&self) -> Table {
        combine(
            self.variants.iter().map(|(l, o)| (l.as_str(), &o.metrics)),
            self.variants.len() > 1,
        )
    }

    /// All variants' actor tables, if recorded.
    pub fn actors_table(&self) -> Option<Table> {
        if self.variants.iter().any(|(_, o)| o.actors.is_none()) {
            return None;
        }
        Some(combine(
            self.variants
                .iter()
                .map(|(l, o)| (l.as_str(), o.actors.as_ref().expect("checked"))),
            self.variants.len() > 1,
        ))
    }
}

/// Total number of steps an experiment will take (for progress bars).
pub fn total_steps(exp: &Experiment) -> u64 {
    exp.variants
        .iter()
        .map(|v| v.scenario.time.steps * u64::from(v.scenario.replicates))
        .sum()
}

/// Run every variant of an experiment, one after another.
pub fn run_experiment(exp: &Experiment, opts: &RunOptions) -> Result<ExperimentOutput, RunError> {
    run_experiment_with(exp, opts, None)
}

/// Run every variant of an experiment, one after another, handing the per-actor rows
/// (`output.actors`) to `sink` as they are produced: the outputs' `actors` are `None`,
/// and memory does not grow with the number of per-actor rows.
pub fn run_experiment_into(
    exp: &Experiment,
    opts: &RunOptions,
    sink: &dyn ActorSink,
) -> Result<ExperimentOutput, RunError> {
    run_experiment_with(exp, opts, Some(sink))
}

fn run_experiment_with(
    exp: &Experiment,
    opts: &RunOptions,
    sink: Option<&dyn ActorSink>,
) -> Result<ExperimentOutput, RunError> {
    let done = AtomicU64::new(0);
    let mut variants = Vec::with_capacity(exp.variants.len());
    for (i, v) in exp.variants.iter().enumerate() {
        let label = (exp.variants.len() > 1).then(|| v.label.clone());
        let out = run_counted(&v.scenario, opts, &done, sink.map(|s| (s, i)))
            .map_err(|e| e.in_variant(&label))?;
        variants.push((v.label.clone(), out));
    }
    Ok(ExperimentOutput { variants })
}

/// Run one scenario: all replicates, in parallel.
pub fn run(sc: &Scenario, opts: &RunOptions) -> Result<ScenarioOutput, RunError> {
    run_counted(sc, opts, &AtomicU64::new(0), None)
}

/// A sink and the index of the variant being run.
type Sink<'s> = Option<(&'s dyn ActorSink, usize)>;

fn run_counted(
    sc: &Scenario,
    opts: &RunOptions,
    done: &AtomicU64,
    sink: Sink,
) -> Result<ScenarioOutput, RunError> {
    let reps: Vec<Result<Replicate, RunError>> = (0..sc.replicates)
        .into_par_iter()
        .map(|r| run_replicate(sc, r, opts, done, sink))
        .collect();
    let mut reps = reps.into_iter().collect::<Result<Vec<_>, _>>()?;
    let mut tables = Vec::with_capacity(reps.len());
    let mut actor_tables = Vec::new();
    let mut final_values = Vec::with_capacity(reps.len());
    let mut early_stops = Vec::new();
    // Only replicate 0 (the first) keeps its sort.
    let final_sorted = reps.first_mut().and_then(|r| r.final_sorted.take());
    for rep in reps {
        tables.push(rep.metrics);
        if let Some(a) = rep.actors {
            actor_tables.push(a);
        }
        final_values.push(rep.final_values);
        early_stops.extend(rep.early_stop);
    }
    let metrics = combine(tables.iter().map(|t| ("", t)), false);
    let actors = (sc.output.actors != ActorsOutput::None && sink.is_none())
        .then(|| combine(actor_tables.iter().map(|t| ("", t)), false));
    Ok(ScenarioOutput {
        metrics,
        actors,
        final_values,
        final_sorted,
        early_stops,
    })
}

struct Replicate {
    metrics: Table,
    actors: Option<Table>,
    final_values: Vec<f64>,
    /// See [`ScenarioOutput::final_sorted`] (kept for replicate 0 only).
    final_sorted: Option<Vec<f64>>,
    early_stop: Option<EarlyStop>,
}

/// Collects one replicate's observations, column by column: the concentration metrics
/// of the actors' values when the model's observation asks for them (all actors, then
/// per group), then the model's own columns.
struct Recorder<'a> {
    sc: &'a Scenario,
    replicate: u32,
    opts: MetricOptions,
    concentration: bool,
    ranges: Vec<std::ops::Range<usize>>,
    steps: Vec<u64>,
    times: Vec<f64>,
    all: MetricColumns,
    group_shares: Vec<Vec<f64>>,
    groups: Vec<MetricColumns>,
    own: Vec<ColumnDef>,
    own_values: Vec<Vec<f64>>,
    row: Vec<f64>,
    actors: Option<ActorBatch>,
    /// The sorted values of the last observation made with `keep_sorted`.
    sorted: Option<Vec<f64>>,
}

impl<'a> Recorder<'a> {
    fn new(sc: &'a Scenario, replicate: u32) -> Self {
        let mut start = 0;
        let ranges = sc
            .groups
            .iter()
            .map(|g| {
                let r = start..start + g.count;
                start += g.count;
                r
            })
            .collect::<Vec<_>>();
        let top_k = sc.output.top_k;
        let observation = sc.model.setup().observation();
        let groups = if observation.concentration {
            ranges.len()
        } else {
            0
        };
        Recorder {
            sc,
            replicate,
            opts: MetricOptions {
                top_k,
                hill_k: sc.output.hill_k,
            },
            concentration: observation.concentration,
            group_shares: vec![Vec::new(); groups],
            groups: (0..groups).map(|_| MetricColumns::new(top_k)).collect(),
            ranges,
            steps: Vec::new(),
            times: Vec::new(),
            all: MetricColumns::new(top_k),
            own_values: vec![Vec::new(); observation.columns.len()],
            own: observation.columns,
            row: Vec::new(),
            actors: (sc.output.actors != ActorsOutput::None).then(ActorBatch::default),
            sorted: None,
        }
    }

    /// Record the metrics of the model's current state. With `keep_sorted` (replicate 0's
    /// final state) the sorted values the metrics were computed from are kept in
    /// `self.sorted` for the outputs.
    fn observe(
        &mut self,
        model: &dyn Model,
        step: u64,
        time: f64,
        keep_sorted: bool,
    ) -> Result<(), MetricsError> {
        let values = model.values();
        self.steps.push(step);
        self.times.push(time);
        if self.concentration {
            let all = if keep_sorted {
                let (c, sorted) = metrics::concentration_and_sorted(values, &self.opts)?;
                self.sorted = Some(sorted);
                c
            } else {
                metrics::concentration(values, &self.opts)?
            };
            self.all.push(&all);
            let total = model.total();
            for (g, range) in self.ranges.iter().enumerate() {
                let slice = &values[range.clone()];
                let opts = MetricOptions {
                    hill_k: self.opts.hill_k.filter(|&k| k < slice.len()),
                    ..self.opts
                };
                // A group holding every actor has the metrics of all actors: no second sort.
                // A group holding nothing (e.g. firms priced out of a market, or actors who
                // sold every asset) has share 0 and undefined concentration (NaN).
                let c = if slice.len() == values.len() && opts == self.opts {
                    all
                } else {
                    match metrics::concentration(slice, &opts) {
                        Err(MetricsError::ZeroTotal) => {
                            self.group_shares[g].push(0.0);
                            self.groups[g].push_undefined(0.0);
                            continue;
                        }
                        c => c?,
                    }
                };
                self.group_shares[g].push(c.total / total);
                self.groups[g].push(&c);
            }
        }
        if !self.own.is_empty() {
            self.row.clear();
            model.observe(&mut self.row);
            for (i, col) in self.own_values.iter_mut().enumerate() {
                col.push(self.row.get(i).copied().unwrap_or(f64::NAN));
            }
        }
        Ok(())
    }

    /// Record the actors' values at this step (every recorded step with `output.actors =
    /// "all"`, the last with `"final"`). With a sink, a full batch of
    /// [`ACTOR_BATCH_ROWS`] rows is handed over at once, so no more are ever held.
    fn record_actors(
        &mut self,
        model: &dyn Model,
        step: u64,
        time: f64,
        last: bool,
        sink: Sink,
    ) -> Result<(), SinkError> {
        let Some(rows) = &mut self.actors else {
            return Ok(());
        };
        if !(last || self.sc.output.actors == ActorsOutput::All) {
            return Ok(());
        }
        let values = model.values();
        for (g, range) in self.ranges.iter().enumerate() {
            for i in range.clone().take(values.len().saturating_sub(range.start)) {
                rows.step.push(step);
                rows.time.push(time);
                rows.actor.push(i as u64);
                rows.group.push(g as u32);
                rows.value.push(values[i]);
                if let Some((sink, variant)) = sink
                    && rows.len() == ACTOR_BATCH_ROWS
                {
                    sink.rows(variant, self.replicate, rows)?;
                    rows.clear();
                }
            }
        }
        Ok(())
    }

    /// Hand the per-actor rows still held to `sink`, if any.
    fn flush_actors(&mut self, sink: Sink) -> Result<(), SinkError> {
        if let (Some((sink, variant)), Some(rows)) = (sink, &mut self.actors)
            && !rows.is_empty()
        {
            sink.rows(variant, self.replicate, rows)?;
            rows.clear();
        }
        Ok(())
    }

    fn finish(self) -> (Table, Option<Table>) {
        let n = self.steps.len();
        let mut t = Table::new();
        t.push("replicate", Column::U64(vec![u64::from(self.replicate); n]));
        t.push("step", Column::U64(self.steps));
        t.push("time", Column::F64(self.times));
        if self.concentration {
            for (name, col) in self.all.into_columns("") {
                t.push(name, col);
            }
            for ((g, shares), cols) in self
                .sc
                .groups
                .iter()
                .zip(self.group_shares)
                .zip(self.groups)
            {
                t.push(format!("share.{}", g.name), Column::F64(shares));
                for (name, col) in cols.into_columns(&format!(".{}", g.name)) {
                    t.push(name, col);
                }
            }
        }
        for (def, values) in self.own.iter().zip(self.own_values) {
            let col = if def.integer {
                Column::OptU64(
                    values
                        .into_iter()
                        .map(|x| (x.is_finite() && x >= 0.0).then_some(x as u64))
                        .collect(),
                )
            } else {
                Column::F64(values)
            };
            t.push(def.name, col);
        }
        let actors = self.actors.map(|rows| {
            let n = rows.step.len();
            let mut a = Table::new();
            a.push("replicate", Column::U64(vec![u64::from(self.replicate); n]));
            a.push("step", Column::U64(rows.step));
            a.push("time", Column::F64(rows.time));
            a.push("actor", Column::U64(rows.actor));
            let names: Vec<&str> = self.sc.groups.iter().map(|g| g.name.as_str()).collect();
            a.push(
                "group",
                Column::Str(
                    rows.group
                        .into_iter()
                        .map(|g| names[g as usize].to_string())
                        .collect(),
                ),
            );
            a.push("value", Column::F64(rows.value));
            a
        });
        (t, actors)
    }
}

fn run_replicate(
    sc: &Scenario,
    replicate: u32,
    opts: &RunOptions,
    done: &AtomicU64,
    sink: Sink,
) -> Result<Replicate, RunError> {
    let mut model = sc.model.setup().build(sc, replicate);
    let stop_at_share = sc.model.setup().stop_at_share();
    let mut rec = Recorder::new(sc, replicate);
    let every = sc.output.every;
    let steps = sc.time.steps;
    let dt = sc.time.dt;
    let metrics_err = |step, source| RunError::Metrics {
        variant: None,
        replicate,
        step,
        source,
    };
    let sink_err = |source| RunError::Output {
        variant: None,
        replicate,
        source,
    };
    // Replicate 0 keeps the sort of its final state for the outputs' charts.
    let keep = replicate == 0;
    rec.observe(model.as_ref(), 0, 0.0, keep && steps == 0)
        .map_err(|e| metrics_err(0, e))?;
    rec.record_actors(model.as_ref(), 0, 0.0, steps == 0, sink)
        .map_err(sink_err)?;
    let report_every = (steps / 500).max(1);
    let mut pending = 0u64;
    let mut early_stop = None;
    for step in 1..=steps {
        if opts.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Err(RunError::Cancelled);
        }
        let t0 = (step - 1) as f64 * dt;
        model.step(step, t0).map_err(|source| RunError::Model {
            variant: None,
            replicate,
            source,
        })?;
        let time = step as f64 * dt;
        // A share that rounds to 1.0 (a leader ~1e16 times the rest, e.g. just before a
        // blow-up) ends the run only if the threshold is below 1.
        let top1 = match stop_at_share {
            Some(_) => model.max() / model.total(),
            None => f64::NAN,
        };
        let stop = stop_at_share.is_some_and(|s| s < 1.0 && top1 >= s);
        let last = step == steps || stop;
        if step % every == 0 || last {
            rec.observe(model.as_ref(), step, time, keep && last)
                .map_err(|e| metrics_err(step, e))?;
            rec.record_actors(model.as_ref(), step, time, last, sink)
                .map_err(sink_err)?;
        }
        pending += 1;
        if pending == report_every || last {
            let total = done.fetch_add(pending, Ordering::Relaxed) + pending;
            pending = 0;
            if let Some(p) = opts.progress {
                p(total);
            }
        }
        if stop {
            early_stop = Some(EarlyStop {
                replicate,
                step,
                time,
                top1_share: top1,
            });
            // Count the steps that will not run, so progress still reaches 100%.
            let skipped = steps - step;
            let total = done.fetch_add(skipped, Ordering::Relaxed) + skipped;
            if let Some(p) = opts.progress {
                p(total);
            }
            break;
        }
    }
    let final_values = model.into_values();
    let final_sorted = rec.sorted.take();
    rec.flush_actors(sink).map_err(sink_err)?;
    if let Some((sink, variant)) = sink
        && rec.actors.is_some()
    {
        sink.replicate_done(variant, replicate).map_err(sink_err)?;
    }
    let (metrics, actors) = rec.finish();
    Ok(Replicate {
        metrics,
        actors,
        final_values,
        final_sorted,
        early_stop,
    })
}

/// Concatenate tables row-wise. Columns are matched by name in first-seen order; a column
/// missing from one table is filled with NaN (floats) or null (integers). With
/// `label_column`, a leading `variant` column holds each table's label.
fn combine<'t>(tables: impl Iterator<Item = (&'t str, &'t Table)>, label_column: bool) -> Table {
    let tables: Vec<(&str, &Table)> = tables.collect();
    let mut names: Vec<String> = Vec::new();
    for (_, t) in &tables {
        for n in &t.names {
            if !names.contains(n) {
                names.push(n.clone());
            }
        }
    }
    let mut out = Table::new();
    if label_column {
        let labels = tables
            .iter()
            .flat_map(|(l, t)| std::iter::repeat_n(l.to_string(), t.rows()))
            .collect();
        out.push("variant", Column::Str(labels));
    }
    for name in names {
        let mut col: Option<Column> = None;
        for (_, t) in &tables {
            let rows = t.rows();
            let part = t.column(&name).cloned().unwrap_or_else(|| {
                let template = tables
                    .iter()
                    .find_map(|(_, t)| t.column(&name))
                    .expect("name came from a table");
                match template {
                    Column::F64(_) => Column::F64(vec![f64::NAN; rows]),
                    Column::U64(_) | Column::OptU64(_) => Column::OptU64(vec![None; rows]),
                    Column::Str(_) => Column::Str(vec![String::new(); rows]),
                }
            });
            col = Some(match (col, part) {
                (None, p) => p,
                (Some(Column::F64(mut a)), Column::F64(b)) => {
                    a.extend(b);
                    Column::F64(a)
                }
                (Some(Column::U64(mut a)), Column::U64(b)) => {
                    a.extend(b);
                    Column::U64(a)
                }
                (Some(Column::Str(mut a)), Column::Str(b)) => {
                    a.extend(b);
                    Column::Str(a)
                }
                (Some(a), b) => {
                    let mut a = to_opt(a);
                    a.extend(to_opt(b));
                    Column::OptU64(a)
                }
            });
        }
        out.push(name, col.unwrap_or(Column::F64(Vec::new())));
    }
    out
}

fn to_opt(c: Column) -> Vec<Option<u64>> {
    match c {
        Column::U64(v) => v.into_iter().map(Some).collect(),
        Column::OptU64(v) => v,
        Column::F64(v) => v
            .into_iter()
            .map(|x| (x.is_finite() && x >= 0.0).then_some(x as u64))
            .collect(),
        Column::Str(v) => vec![None; v.len()],
    }
}
