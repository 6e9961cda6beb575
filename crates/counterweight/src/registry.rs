//! The registry of models: the one place where the engine learns which models exist.
//!
//! A model implements [`ModelDef`] once: its name (`model = "..."` in a scenario), the
//! top-level TOML keys it owns (its sections), its declared parameters (for docs, hints and
//! dashboards), the policy kinds it accepts, and [`ModelDef::validate`], which turns its
//! sections and `[[policy]]` tables into a [`ModelSetup`]: the validated parameters that
//! build replicate `r` ([`ModelSetup::build`]) and declare what a run records
//! ([`ModelSetup::observation`]). Scenario validation, the runner, sweeps, reports and
//! every shell iterate a [`Registry`]; nothing outside a model's module names the model.
//!
//! The built-in models are listed once, in [`crate::model::builtin`]. A downstream crate
//! registers its own with [`Registry::with`] (see `docs/extending.md`).

use std::any::Any;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::policy::{Policy, PolicyCx, PolicyFields};
use crate::scenario::{FieldError, Scenario, ScenarioFile};
use crate::setup::{ActorGroup, TimeGrid};

/// A model as registered: its name, sections, parameters and validation.
pub trait ModelDef: Send + Sync + 'static {
    /// The name used in scenario files (`model = "..."`).
    fn name(&self) -> &'static str;
    /// One line saying what the model is (listed by `counterweight scenarios`, the docs and
    /// dashboards).
    fn about(&self) -> &'static str;
    /// The top-level scenario keys this model owns, e.g. `["growth"]` for `[growth]`.
    /// Any other key that is not a common scenario field is an error.
    fn keys(&self) -> &'static [&'static str];
    /// The model's declared parameters (paths, types, units, defaults, ranges, doc lines).
    fn params(&self) -> Vec<ParamInfo> {
        Vec::new()
    }
    /// The `[[policy]]` kinds this model accepts, each with its own fields.
    fn policy_kinds(&self) -> &'static [PolicyFields] {
        &[]
    }
    /// The policy kinds with their fields declared (type, unit, default, range, doc line,
    /// an example value for required fields), for docs and dashboards; the same kinds and
    /// fields as [`ModelDef::policy_kinds`]. By default those, with fields of unknown type.
    fn policies(&self) -> Vec<PolicyInfo> {
        self.policy_kinds()
            .iter()
            .map(|(kind, fields)| PolicyInfo::untyped(kind, fields))
            .collect()
    }
    /// Whether scenarios of this model describe their actors with `[[actors]]`.
    fn uses_actors(&self) -> bool {
        true
    }
    /// Whether actors' initial values may be 0 (opinions, capabilities); otherwise they
    /// must be > 0 (resources).
    fn initial_may_be_zero(&self) -> bool {
        false
    }
    /// Validate the model's sections and policies (see [`ValidateCx`]).
    fn validate(&self, cx: &mut ValidateCx<'_>) -> Result<Box<dyn ModelSetup>, FieldError>;
}

/// A model's validated parameters: what builds a replicate and what a run records.
pub trait ModelSetup: SetupClone + fmt::Debug + Send + Sync + 'static {
    /// Build replicate `replicate` of the scenario `sc` (its streams derive from
    /// [`crate::setup::replicate_seed`]`(sc.seed, replicate)`).
    fn build(&self, sc: &Scenario, replicate: u32) -> Box<dyn Model>;
    /// What a run records each recorded step.
    fn observation(&self) -> Observation {
        Observation::default()
    }
    /// The charts of the model's own columns that a run directory, its report and the
    /// laboratory draw, besides the concentration charts (shares, concentration, Lorenz,
    /// distribution) every model with [`Observation::concentration`] gets. Pure data: the
    /// shells draw them ([`crate::io::run`], `counterweight-serve`). Every column a chart
    /// names must be one the run records (an own column, a concentration column or a
    /// group's `share.{g}`). None by default.
    fn charts(&self) -> Vec<ChartDef> {
        Vec::new()
    }
    /// End a replicate cleanly once one actor holds at least this share.
    fn stop_at_share(&self) -> Option<f64> {
        None
    }
    /// The default of `output.every` (record every k steps) for a run of `steps` steps.
    fn default_every(&self, _steps: u64) -> u64 {
        1
    }
    /// Bytes of one replicate's model state, for the estimate made before a run starts
    /// ([`crate::estimate`]). The default is
    /// [`DEFAULT_BYTES_PER_ACTOR`](crate::estimate::DEFAULT_BYTES_PER_ACTOR) per actor; a
    /// model whose state grows otherwise (holders outside the actor groups, a matrix per
    /// pair of groups) says so here.
    fn state_bytes(&self, sc: &Scenario) -> u64 {
        (sc.actor_count() as u64).saturating_mul(crate::estimate::DEFAULT_BYTES_PER_ACTOR)
    }
}

/// Cloning and downcasting of boxed setups, implemented for every `Clone` setup.
///
/// A supertrait of [`ModelSetup`] so that `Box<dyn ModelSetup>` (and so [`ModelSpec`]) can
/// be cloned and read back as its concrete type. A model never implements it by hand: the
/// blanket impl covers any `ModelSetup + Clone`.
pub trait SetupClone {
    /// A boxed copy of this setup (what `Clone for ModelSpec` calls).
    fn clone_box(&self) -> Box<dyn ModelSetup>;
    /// This setup as `Any`, for downcasting to its concrete type ([`ModelSpec::get`]).
    fn as_any(&self) -> &dyn Any;
    /// This setup as mutable `Any` ([`ModelSpec::get_mut`]).
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<T: ModelSetup + Clone> SetupClone for T {
    fn clone_box(&self) -> Box<dyn ModelSetup> {
        Box::new(self.clone())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// One replicate's state: the contract between a model and the runner. The runner owns
/// the loop, recording, progress and cancellation; the model owns only its step.
pub trait Model: Send {
    /// Advance one step; `step` is 1-based, `t` the time at the start of the step.
    fn step(&mut self, step: u64, t: f64) -> Result<(), ModelError>;
    /// The current value of every actor: non-negative for models whose observation
    /// records concentration; empty for models without per-actor values.
    fn values(&self) -> &[f64];
    /// The sum of [`Model::values`].
    fn total(&self) -> f64 {
        self.values().iter().sum()
    }
    /// The largest value.
    fn max(&self) -> f64 {
        self.values().iter().copied().fold(0.0, f64::max)
    }
    /// The current values of the model's own columns ([`Observation::columns`]), in
    /// order, appended to `out`.
    fn observe(&self, _out: &mut Vec<f64>) {}
    /// [`Model::values`] as an owned vector, the model being done with: a model that
    /// keeps them in a `Vec` hands it over instead of the copy this default makes.
    fn into_values(self: Box<Self>) -> Vec<f64> {
        self.values().to_vec()
    }
}

/// A step that cannot be completed: the state left the model's domain.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ModelError {
    /// A value became non-finite or non-positive (finite-time blow-up under increasing
    /// returns, or a step too large for a term).
    #[error(
        "numerical blow-up at step {step} (t = {}): actor {actor} (group \"{group}\") became {} in the {term} term{hint}",
        crate::fmt::sig(*.time, 6),
        crate::fmt::sig(*.value, 6)
    )]
    BlowUp {
        /// The 1-based step that failed.
        step: u64,
        /// The time at the start of that step (with growth's adaptive integrator: of
        /// the sub-step that could not be taken, which approaches the blow-up time).
        time: f64,
        /// The index of the actor (over all groups, in `[[actors]]` order).
        actor: usize,
        /// The name of the actor's group ("" when unknown).
        group: String,
        /// The value the actor's state became (non-finite or <= 0; with growth's
        /// adaptive integrator, the last value it could follow, finite but huge).
        value: f64,
        /// The model term that produced it (e.g. `returns_to_scale`, `diseconomies`).
        term: &'static str,
        /// Advice appended to the message, starting with "; " ("" when none).
        hint: String,
    },
    /// The step size is too large for a term (e.g. the exchange model's win probability
    /// would leave [0, 1]): names the largest safe dt at that state.
    #[error(
        "step {step} (t = {}): time.dt is too large for the {term} term: {detail}; \
         the largest safe dt at this state is {}, and dt <= {} never fails",
        crate::fmt::sig(*.time, 6),
        crate::fmt::sig(*.safe_dt, 4),
        crate::fmt::sig(*.never_dt, 4)
    )]
    StepTooLarge {
        /// The 1-based step that failed.
        step: u64,
        /// The time at the start of that step.
        time: f64,
        /// The model term that cannot take the step (e.g. `advantage`).
        term: &'static str,
        /// What went wrong, in words (which actors, which value left its range).
        detail: String,
        /// The largest `time.dt` that would have passed at this state (can be infinite).
        safe_dt: f64,
        /// Any `time.dt` at or below this never fails, whatever the state.
        never_dt: f64,
    },
    /// Any other failure of a step, in words.
    #[error("step {step} (t = {}): {message}", crate::fmt::sig(*.time, 6))]
    Other {
        /// The 1-based step that failed.
        step: u64,
        /// The time at the start of that step.
        time: f64,
        /// What went wrong, in words.
        message: String,
    },
}

/// What a run records at each recorded step, after `replicate, step, time`.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// Record the concentration metrics of the actors' values (DESIGN.md §6: `hhi`,
    /// `gini`, top shares, Nakamoto, ...) for all actors and per group. The default for
    /// models with one non-negative value per actor.
    pub concentration: bool,
    /// The model's own columns, filled by [`Model::observe`], after the concentration
    /// columns.
    pub columns: Vec<ColumnDef>,
    /// The columns a report or a sweep shows first (by name: concentration metrics or
    /// own columns). Empty: `top1_share`, `gini`, `effective_number`.
    pub key: Vec<&'static str>,
}

impl Default for Observation {
    fn default() -> Self {
        Observation {
            concentration: true,
            columns: Vec::new(),
            key: Vec::new(),
        }
    }
}

impl Observation {
    /// The key columns, with the concentration default.
    pub fn key_columns(&self) -> Vec<&'static str> {
        if !self.key.is_empty() {
            self.key.clone()
        } else if self.concentration {
            vec!["top1_share", "gini", "effective_number"]
        } else {
            self.columns.iter().take(3).map(|c| c.name).collect()
        }
    }
}

/// A column a model records.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDef {
    /// The column name in `metrics.csv` (a public contract once published).
    pub name: &'static str,
    /// A human label for tables and charts.
    pub label: &'static str,
    /// Integer-valued (written without a fractional part, nullable in Parquet).
    pub integer: bool,
    /// The column holds a share or probability in [0, 1] (charts use that range).
    pub unit_interval: bool,
}

impl ColumnDef {
    /// A real-valued column.
    pub const fn real(name: &'static str, label: &'static str) -> Self {
        ColumnDef {
            name,
            label,
            integer: false,
            unit_interval: false,
        }
    }
    /// A share or probability in [0, 1].
    pub const fn share(name: &'static str, label: &'static str) -> Self {
        ColumnDef {
            name,
            label,
            integer: false,
            unit_interval: true,
        }
    }
    /// An integer-valued column (a count).
    pub const fn count(name: &'static str, label: &'static str) -> Self {
        ColumnDef {
            name,
            label,
            integer: true,
            unit_interval: false,
        }
    }
}

/// A chart a model declares ([`ModelSetup::charts`]): what its run directory writes as
/// `{stem}.svg` and `{stem}.png`, its report shows with the caption, and the laboratory
/// draws. Pure data (no plotting types), serialisable for the laboratory's payload.
///
/// Built with [`ChartDef::new`] and [`ChartDef::panel`]; one panel is drawn as a single
/// chart, several as small multiples under the title.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChartDef {
    /// The file stem (`capability_vs_control`): a word of `[a-z0-9_]`, unique among the
    /// model's charts and distinct from the concentration charts' stems (`shares`,
    /// `concentration`, `lorenz`, `distribution`).
    pub stem: String,
    /// The chart's title (the run's name is appended when drawn).
    pub title: String,
    /// One or two sentences under the chart in the report: what is drawn and how to read
    /// it (the shells add how replicates and variants are shown).
    pub caption: String,
    /// The panels, in order.
    pub panels: Vec<PanelDef>,
}

impl ChartDef {
    /// A chart without panels yet.
    pub fn new(stem: &str, title: &str, caption: &str) -> Self {
        ChartDef {
            stem: stem.into(),
            title: title.into(),
            caption: caption.into(),
            panels: Vec::new(),
        }
    }

    /// This chart with `panel` added last.
    pub fn panel(mut self, panel: PanelDef) -> Self {
        self.panels.push(panel);
        self
    }

    /// Every column the chart reads, in order of appearance (repeats kept).
    pub fn columns(&self) -> impl Iterator<Item = &str> {
        self.panels
            .iter()
            .flat_map(|p| p.series.iter().map(|s| s.column.as_str()))
    }
}

/// One panel of a [`ChartDef`]: some columns drawn the same way on one pair of axes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PanelDef {
    /// The panel's title (with several panels) or nothing ("").
    pub title: String,
    /// The value axis label, with its unit.
    pub y_label: String,
    /// Lines over time or bars of final values.
    pub kind: PanelKind,
    /// The columns drawn, each with its legend label or bar name.
    pub series: Vec<SeriesDef>,
    /// The value axis range.
    pub y_range: YRange,
}

impl PanelDef {
    /// A panel of lines over time (the mean over replicates at each recorded step; one
    /// line per column and `[[compare]]` variant).
    pub fn lines(title: &str, y_label: &str) -> Self {
        PanelDef {
            title: title.into(),
            y_label: y_label.into(),
            kind: PanelKind::Lines,
            series: Vec::new(),
            y_range: YRange::Auto,
        }
    }

    /// A panel of bars over categories: one bar per column (and variant), its length the
    /// column's final value, the mean over replicates of each replicate's last finite
    /// value. For a final state over named categories (time spent in each state).
    pub fn bars(title: &str, y_label: &str) -> Self {
        PanelDef {
            kind: PanelKind::Bars,
            ..PanelDef::lines(title, y_label)
        }
    }

    /// This panel with the column `column` drawn and labelled `label`.
    pub fn series(mut self, column: &str, label: &str) -> Self {
        self.series.push(SeriesDef {
            column: column.into(),
            label: label.into(),
        });
        self
    }

    /// This panel with values that are shares or probabilities ([`YRange::Share`]).
    pub fn share(mut self) -> Self {
        self.y_range = YRange::Share;
        self
    }

    /// This panel with the value axis fixed to `[lo, hi]`.
    pub fn range(mut self, lo: f64, hi: f64) -> Self {
        self.y_range = YRange::Fixed { lo, hi };
        self
    }
}

/// How a [`PanelDef`] draws its columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PanelKind {
    /// Lines against time. A run with fewer than three recorded times draws them as bars
    /// of their final values instead.
    Lines,
    /// Horizontal bars of final values, one per column (and variant), named by the
    /// series labels: categorical data such as the share of time in each state.
    Bars,
}

/// The value axis range of a [`PanelDef`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum YRange {
    /// Fitted to the data.
    Auto,
    /// Shares or probabilities: from 0, to 1 when the data come near it (fitted when a
    /// value falls outside [0, 1]).
    Share,
    /// Fixed.
    Fixed {
        /// The bottom of the axis.
        lo: f64,
        /// The top of the axis.
        hi: f64,
    },
}

/// One column of a [`PanelDef`] and its label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesDef {
    /// The `metrics.csv` column.
    pub column: String,
    /// The legend label (lines) or the bar's name (bars).
    pub label: String,
}

/// The type of a declared parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    /// A TOML array of numbers (`blocks = [50, 50]`): each item of type `of`, within
    /// [`ParamInfo::min`] and [`ParamInfo::max`]; at least `min_len` items and at most
    /// `max_len` (`None`: no upper bound). A length or sum fixed by the rest of the
    /// scenario (one item per platform, blocks summing to the actor count) is said in the
    /// doc line and checked by validation.
    List {
        /// The type of every item.
        of: ListItem,
        /// The fewest items.
        min_len: usize,
        /// The most items (`None`: unbounded).
        max_len: Option<usize>,
    },
    /// A real number, within [`ParamInfo::min`] and [`ParamInfo::max`].
    Real,
    /// An integer.
    Integer,
    /// One of a set of words (see [`ParamInfo::choices`]).
    Choice,
    /// `true` or `false`.
    Bool,
    /// A quoted string that names something of the scenario (a provider, a force).
    Text,
}

/// The type of a [`ParamType::List`]'s items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListItem {
    /// Real numbers (written with a fraction, `[1.0, 2.5]`).
    Real,
    /// Integers.
    Integer,
}

/// Where the names a [`ParamType::Text`] parameter may take are defined in the scenario:
/// the `key` of every table of the array of tables `table` (`[[checks.forces]]` `name`).
/// A dashboard offers the names present in the scenario at hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameSource {
    /// The dotted path of the array of tables, e.g. `checks.forces` or `actors`.
    pub table: &'static str,
    /// The key that holds each table's name, e.g. `name`.
    pub key: &'static str,
}

impl NameSource {
    /// `key` of every table of `table`.
    pub const fn new(table: &'static str, key: &'static str) -> Self {
        NameSource { table, key }
    }

    /// The names defined in the scenario `root` (parsed TOML), in order, without repeats
    /// (none when the table is absent: names may come from elsewhere, e.g. a snapshot).
    pub fn names(&self, root: &toml::Table) -> Vec<String> {
        let mut parts = self.table.split('.');
        let Some(mut list) = parts.next().and_then(|k| root.get(k)) else {
            return Vec::new();
        };
        for k in parts {
            match list.get(k) {
                Some(v) => list = v,
                None => return Vec::new(),
            }
        }
        let mut out: Vec<String> = Vec::new();
        if let toml::Value::Array(a) = list {
            for t in a {
                if let Some(n) = t.get(self.key).and_then(toml::Value::as_str)
                    && !out.iter().any(|o| o == n)
                {
                    out.push(n.to_string());
                }
            }
        }
        out
    }

    /// In words, for tooltips and docs: `a name from [[checks.forces]] name`.
    pub fn describe(&self) -> String {
        format!("a name from [[{}]] {}", self.table, self.key)
    }
}

/// A declared model parameter: what docs, `--set` hints and dashboards show.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamInfo {
    /// The scenario path, e.g. `growth.returns_to_scale`.
    pub path: &'static str,
    /// What type of value it takes.
    pub kind: ParamType,
    /// The unit in words, e.g. "per unit time" ("" when unit-free).
    pub unit: &'static str,
    /// The default, as TOML text ("" when required).
    pub default: &'static str,
    /// The lower bound of the valid range, inclusive (`None` when unbounded below).
    pub min: Option<f64>,
    /// The upper bound of the valid range, inclusive (`None` when unbounded above).
    pub max: Option<f64>,
    /// For [`ParamType::Choice`]: the valid words.
    pub choices: &'static [&'static str],
    /// One line saying what it means.
    pub doc: &'static str,
    /// When it applies: every condition must hold (empty: always). A parameter that does
    /// not apply must be left out of the scenario (validation rejects it there, e.g.
    /// `market.scale` under linear demand); dashboards hide or disable its control.
    pub applies_when: Vec<Condition>,
    /// The optional top-level table it lives in, when the model works without that table
    /// (growth's `[market]`, `[network]`): the table is absent by default and writing it
    /// switches a feature on. `None` for the model's own sections.
    pub optional_table: Option<&'static str>,
    /// For a parameter without a default (required, or required once its table is
    /// written): a valid value to start from, as TOML text ("" when none can be given
    /// without knowing the scenario). What a dashboard writes when it adds an optional
    /// table or a policy.
    pub example: &'static str,
    /// For a [`ParamType::Text`] that names something of the scenario: where those names
    /// are defined (a dashboard offers them, and a policy added by
    /// [`PolicyInfo::template_in`] starts at one of them).
    pub names: Option<NameSource>,
    /// Whether leaving it out is valid although it has no default (the doc line says what
    /// absence means, e.g. "absent: every provider"): a dashboard does not fill it in.
    pub optional: bool,
}

/// A condition on another declared parameter of the same model: it holds when that
/// parameter's value (as written, else its declared default) is one of `values`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Condition {
    /// The other parameter's path, e.g. `market.demand`.
    pub param: &'static str,
    /// The values under which it holds: choice words (`"constant_elasticity"`, without
    /// quotes) or `true`/`false`.
    pub values: &'static [&'static str],
}

impl Condition {
    /// `param` is one of `values`.
    pub const fn new(param: &'static str, values: &'static [&'static str]) -> Self {
        Condition { param, values }
    }

    /// Whether the condition holds when the other parameter's value is `value` (a word,
    /// `true`/`false`, or TOML text such as `"linear"` with its quotes).
    pub fn holds(&self, value: &str) -> bool {
        let v = value.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(v);
        self.values.contains(&v)
    }

    /// In words, for tooltips and docs: `market.demand = "constant_elasticity"`.
    pub fn describe(&self) -> String {
        let quote = |v: &str| {
            if v == "true" || v == "false" || v.parse::<f64>().is_ok() {
                v.to_string()
            } else {
                format!("\"{v}\"")
            }
        };
        let values: Vec<String> = self.values.iter().map(|v| quote(v)).collect();
        format!("{} = {}", self.param, values.join(" or "))
    }
}

impl ParamInfo {
    /// This parameter, applying only when `conditions` all hold.
    pub fn when(mut self, conditions: &[Condition]) -> Self {
        self.applies_when.extend_from_slice(conditions);
        self
    }

    /// This parameter, living in the optional top-level table `table`.
    pub fn in_optional_table(mut self, table: &'static str) -> Self {
        self.optional_table = Some(table);
        self
    }

    /// This parameter, with `example` (TOML text) as the value to start from.
    pub fn with_example(mut self, example: &'static str) -> Self {
        self.example = example;
        self
    }

    /// This parameter, taking one of the names defined at `source` in the scenario.
    pub fn names_from(mut self, source: NameSource) -> Self {
        self.names = Some(source);
        self
    }

    /// This parameter, valid when left out although it has no default.
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    /// The value a dashboard writes for it when it starts a table or a policy: the
    /// example, else the default ("" when neither).
    pub fn start_value(&self) -> &'static str {
        if self.example.is_empty() {
            self.default
        } else {
            self.example
        }
    }

    /// Whether it applies, given how to read another parameter's value (as TOML text;
    /// `None` when the scenario leaves it out, and then its declared default in `params`
    /// counts).
    pub fn applies(&self, params: &[ParamInfo], value_of: impl Fn(&str) -> Option<String>) -> bool {
        self.applies_when.iter().all(|c| {
            let v = value_of(c.param).unwrap_or_else(|| {
                params
                    .iter()
                    .find(|p| p.path == c.param)
                    .map_or(String::new(), |p| p.default.to_string())
            });
            c.holds(&v)
        })
    }

    /// A real parameter in `[min, max]`.
    pub const fn real(
        path: &'static str,
        default: &'static str,
        min: Option<f64>,
        max: Option<f64>,
        unit: &'static str,
        doc: &'static str,
    ) -> Self {
        ParamInfo {
            path,
            kind: ParamType::Real,
            unit,
            default,
            min,
            max,
            choices: &[],
            doc,
            applies_when: Vec::new(),
            optional_table: None,
            example: "",
            names: None,
            optional: false,
        }
    }
    /// A list of numbers of type `of`, each in `[min, max]`, at least one item.
    pub fn list(
        path: &'static str,
        of: ListItem,
        min: Option<f64>,
        max: Option<f64>,
        unit: &'static str,
        doc: &'static str,
    ) -> Self {
        ParamInfo {
            kind: ParamType::List {
                of,
                min_len: 1,
                max_len: None,
            },
            ..ParamInfo::real(path, "", min, max, unit, doc)
        }
    }

    /// A quoted name of something the scenario defines at `source` (a force, a provider).
    pub fn name(path: &'static str, source: NameSource, doc: &'static str) -> Self {
        ParamInfo {
            kind: ParamType::Text,
            names: Some(source),
            ..ParamInfo::real(path, "", None, None, "", doc)
        }
    }

    /// A choice among words.
    pub const fn choice(
        path: &'static str,
        default: &'static str,
        choices: &'static [&'static str],
        doc: &'static str,
    ) -> Self {
        ParamInfo {
            path,
            kind: ParamType::Choice,
            unit: "",
            default,
            min: None,
            max: None,
            choices,
            doc,
            applies_when: Vec::new(),
            optional_table: None,
            example: "",
            names: None,
            optional: false,
        }
    }
}

/// A `[[policy]]` kind as declared: what docs list and what a dashboard adds.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyInfo {
    /// The `kind` word.
    pub kind: &'static str,
    /// One line saying what it does.
    pub doc: &'static str,
    /// The kind's own fields (besides `kind`, `from`, `until`, `groups`): each
    /// [`ParamInfo::path`] is the field's name (`rate`); `default` is what applies when it
    /// is left out ("" when required) and `example` a valid value to start from.
    pub fields: Vec<ParamInfo>,
    /// Whether it takes `groups` (false: it changes a model-wide parameter).
    pub groups: bool,
    /// Conditions on the model's parameters for the kind to apply (the exchange model's
    /// policies act on the yard-sale rule only).
    pub applies_when: Vec<Condition>,
}

impl PolicyInfo {
    /// A model-wide kind (no `groups`) with its declared fields.
    pub fn new(kind: &'static str, doc: &'static str, fields: Vec<ParamInfo>) -> Self {
        PolicyInfo {
            kind,
            doc,
            fields,
            groups: false,
            applies_when: Vec::new(),
        }
    }

    /// A kind known only by its field names ([`ModelDef::policy_kinds`]).
    pub fn untyped(kind: &'static str, fields: &[&'static str]) -> Self {
        let fields = fields
            .iter()
            .map(|f| ParamInfo {
                kind: ParamType::Text,
                ..ParamInfo::real(f, "", None, None, "", "")
            })
            .collect();
        PolicyInfo::new(kind, "", fields)
    }

    /// This kind, taking `groups`.
    pub fn with_groups(mut self) -> Self {
        self.groups = true;
        self
    }

    /// This kind, applying only when `conditions` all hold.
    pub fn when(mut self, conditions: &[Condition]) -> Self {
        self.applies_when.extend_from_slice(conditions);
        self
    }

    /// The `[[policy]]` table a dashboard adds for this kind: `kind`, `from = 0.0`, then
    /// every field that has an example or a default, with it. A required field without an
    /// example (a name from the scenario) is left for the user, and validation names it.
    pub fn template(&self) -> String {
        self.template_in(&toml::Table::new())
    }

    /// [`PolicyInfo::template`] for the scenario `root` (parsed TOML): besides, every
    /// required field that names something of the scenario ([`ParamInfo::names`], not
    /// [`ParamInfo::optional`]) starts at a name the scenario defines, distinct names for
    /// fields drawing on the same source while there are enough (`force` and `by` of a
    /// check: the first and the second force). Without names it is left out, as in
    /// [`PolicyInfo::template`].
    pub fn template_in(&self, root: &toml::Table) -> String {
        let mut t = format!("[[policy]]\nkind = \"{}\"\nfrom = 0.0\n", self.kind);
        let mut used: Vec<(NameSource, usize)> = Vec::new();
        for f in &self.fields {
            let mut v = f.start_value().to_string();
            if let Some(source) = f.names
                && v.is_empty()
                && !f.optional
            {
                let k = match used.iter_mut().find(|(s, _)| *s == source) {
                    Some((_, k)) => {
                        *k += 1;
                        *k
                    }
                    None => {
                        used.push((source, 0));
                        0
                    }
                };
                let names = source.names(root);
                if let Some(n) = names.get(k).or(names.first()) {
                    v = toml::Value::String(n.clone()).to_string();
                }
            }
            if !v.is_empty() {
                t.push_str(&format!("{} = {v}\n", f.path));
            }
        }
        t
    }
}

/// The model of a validated scenario: its name and its validated setup.
pub struct ModelSpec {
    name: &'static str,
    setup: Box<dyn ModelSetup>,
}

impl ModelSpec {
    /// The model `name` (its [`ModelDef::name`]) with the setup its
    /// [`ModelDef::validate`] returned.
    pub fn new(name: &'static str, setup: Box<dyn ModelSetup>) -> Self {
        ModelSpec { name, setup }
    }
    /// The name used in scenario files.
    pub fn name(&self) -> &'static str {
        self.name
    }
    /// The validated setup.
    pub fn setup(&self) -> &dyn ModelSetup {
        self.setup.as_ref()
    }
    /// The setup as its concrete type (for tests and tools that know the model).
    pub fn get<T: 'static>(&self) -> Option<&T> {
        self.setup.as_any().downcast_ref()
    }
    /// The setup as its concrete type, mutably.
    pub fn get_mut<T: 'static>(&mut self) -> Option<&mut T> {
        self.setup.as_any_mut().downcast_mut()
    }
}

impl Clone for ModelSpec {
    fn clone(&self) -> Self {
        ModelSpec {
            name: self.name,
            setup: self.setup.clone_box(),
        }
    }
}

impl fmt::Debug for ModelSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {:?}", self.name, self.setup)
    }
}

impl PartialEq for ModelSpec {
    /// Two specs are equal when they name the same model with the same parameters.
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && format!("{:?}", self.setup) == format!("{:?}", other.setup)
    }
}

/// What [`ModelDef::validate`] works with: the scenario's common part, already
/// validated, and typed access to the model's own sections and policies.
pub struct ValidateCx<'a> {
    /// The parsed scenario (common fields; the model's sections are read with
    /// [`ValidateCx::section`]).
    pub file: &'a ScenarioFile,
    /// Where relative paths in the scenario are resolved.
    pub base_dir: Option<&'a Path>,
    /// The validated `[[actors]]` groups. A model whose actors are not given by
    /// `[[actors]]` (e.g. platforms) may add or replace groups.
    pub groups: Vec<ActorGroup>,
    /// The validated `[time]` grid, if the scenario has one. A model that defines its
    /// own clock sets it.
    pub time: Option<TimeGrid>,
    text: &'a str,
}

impl<'a> ValidateCx<'a> {
    pub(crate) fn new(
        file: &'a ScenarioFile,
        text: &'a str,
        base_dir: Option<&'a Path>,
        groups: Vec<ActorGroup>,
        time: Option<TimeGrid>,
    ) -> Self {
        ValidateCx {
            file,
            base_dir,
            groups,
            time,
            text,
        }
    }

    /// The model's section `key`, deserialized as `T` (`None` when absent). Type errors
    /// and unknown fields name the field.
    pub fn section<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, FieldError> {
        if !self.file.sections.contains_key(key) {
            return Ok(None);
        }
        crate::scenario::file::section_from_text(self.text, key)
    }

    /// Like [`ValidateCx::section`], with `T::default()` when absent.
    pub fn section_or_default<T: DeserializeOwned + Default>(
        &self,
        key: &str,
    ) -> Result<T, FieldError> {
        Ok(self.section(key)?.unwrap_or_default())
    }

    /// The section `key`, which this model requires.
    pub fn require_section<T: DeserializeOwned>(&self, key: &str) -> Result<T, FieldError> {
        let model = &self.file.model;
        self.section(key)?.ok_or_else(|| FieldError {
            field: key.to_string(),
            message: format!("model = \"{model}\" needs a [{key}] table"),
            help: Some(format!("a [{key}] table (see docs/scenarios.md)")),
        })
    }

    /// The time grid, which this model requires.
    pub fn time(&self) -> Result<TimeGrid, FieldError> {
        self.time.ok_or_else(|| FieldError {
            field: "time".into(),
            message: format!(
                "model = \"{}\" needs a time grid: time = {{ end = ..., dt = ... }}",
                self.file.model
            ),
            help: Some("time = { end = 50.0, dt = 0.1 }".into()),
        })
    }

    /// The number of actors in all groups.
    pub fn actor_count(&self) -> usize {
        self.groups.iter().map(|g| g.count).sum()
    }

    /// Validate every `[[policy]]` with `kind_of`, which reads a policy's own fields from
    /// its [`PolicyCx`] and returns the model's typed policy. The window (`from`,
    /// `until`), the targeted `groups`, unknown kinds and fields a kind does not take are
    /// checked here.
    pub fn policies<K>(
        &self,
        kinds: &[PolicyFields],
        mut kind_of: impl FnMut(&PolicyCx<'_>) -> Result<K, FieldError>,
    ) -> Result<Vec<Policy<K>>, FieldError> {
        self.file
            .policy
            .iter()
            .enumerate()
            .map(|(i, spec)| {
                let cx = PolicyCx::new(i, spec, &self.groups, &self.file.model, kinds)?;
                Ok(cx.policy(kind_of(&cx)?))
            })
            .collect()
    }
}

/// A set of models: the built-in ones ([`crate::model::builtin`]) and any a downstream
/// crate adds.
#[derive(Clone, Default)]
pub struct Registry {
    models: Vec<Arc<dyn ModelDef>>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Registry::default()
    }

    /// This registry with `model` added (replacing a model of the same name).
    pub fn with(mut self, model: impl ModelDef) -> Self {
        self.models.retain(|m| m.name() != model.name());
        self.models.push(Arc::new(model));
        self
    }

    /// The model named `name`.
    pub fn get(&self, name: &str) -> Option<&dyn ModelDef> {
        self.models
            .iter()
            .find(|m| m.name() == name)
            .map(|m| m.as_ref())
    }

    /// Every model, in registration order.
    pub fn models(&self) -> impl Iterator<Item = &dyn ModelDef> {
        self.models.iter().map(|m| m.as_ref())
    }

    /// The names of every model.
    pub fn names(&self) -> Vec<&'static str> {
        self.models.iter().map(|m| m.name()).collect()
    }

    /// The model that owns the top-level scenario key `key`.
    pub fn owner_of(&self, key: &str) -> Option<&dyn ModelDef> {
        self.models().find(|m| m.keys().contains(&key))
    }

    /// Every declared parameter path of every model.
    pub fn param_paths(&self) -> Vec<&'static str> {
        self.models()
            .flat_map(|m| m.params().into_iter().map(|p| p.path))
            .collect()
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}
