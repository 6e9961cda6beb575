//! The TOML scenario format as written by users (DESIGN.md §3). Field names are a
//! public contract; unknown fields are errors so that typos fail fast.
//! [`super::validate`] turns this into typed, checked parameters.

use serde::{Deserialize, Serialize};

/// A scenario file, as parsed.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "default_model")]
    pub model: String,
    #[serde(default = "default_seed")]
    pub seed: u64,
    pub time: TimeSpec,
    #[serde(default = "default_replicates")]
    pub replicates: i64,
    #[serde(default)]
    pub growth: GrowthSpec,
    /// `[exchange]`, for `model = "exchange"`.
    pub exchange: Option<crate::model::exchange::ExchangeSpec>,
    /// `[adoption]`, for `model = "adoption"`.
    pub adoption: Option<crate::model::adoption::AdoptionSpec>,
    #[serde(default)]
    pub actors: Vec<ActorGroupSpec>,
    #[serde(default)]
    pub policy: Vec<PolicySpec>,
    #[serde(default)]
    pub output: OutputSpec,
    /// Variants run side by side: each applies `set` overrides to this scenario.
    #[serde(default)]
    pub compare: Vec<CompareSpec>,
}

fn default_model() -> String {
    "growth".into()
}
fn default_seed() -> u64 {
    1
}
fn default_replicates() -> i64 {
    1
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TimeSpec {
    pub end: f64,
    pub dt: f64,
}

/// `[growth]`: DESIGN.md §4.1.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct GrowthSpec {
    pub returns_to_scale: f64,
    pub base_rate: f64,
    pub reference_scale: Option<f64>,
    pub diseconomy_rate: f64,
    pub diseconomy_exponent: f64,
    pub spillover: f64,
    pub exchange: f64,
    pub volatility: f64,
    pub diffusion_scaling: String,
    pub stop_at_share: f64,
}

impl Default for GrowthSpec {
    fn default() -> Self {
        GrowthSpec {
            returns_to_scale: 1.0,
            base_rate: 0.0,
            reference_scale: None,
            diseconomy_rate: 0.0,
            diseconomy_exponent: 2.0,
            spillover: 0.0,
            exchange: 0.0,
            volatility: 0.0,
            diffusion_scaling: "constant".into(),
            stop_at_share: 1.0,
        }
    }
}

/// `[[actors]]`: a group of actors sharing a kind, an openness and an initial law.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ActorGroupSpec {
    pub group: String,
    #[serde(default = "default_kind")]
    pub kind: String,
    pub count: Option<i64>,
    pub initial: InitialSpec,
    #[serde(default)]
    pub openness: f64,
}

fn default_kind() -> String {
    "firm".into()
}

/// The initial distribution of a group's resources.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum InitialSpec {
    Constant(f64),
    Uniform {
        low: f64,
        high: f64,
    },
    /// Of ln R: R = exp(mu + sigma Z).
    Lognormal {
        mu: f64,
        sigma: f64,
    },
    /// P(R > x) = (scale/x)^alpha for x >= scale.
    Pareto {
        scale: f64,
        alpha: f64,
    },
    Values(Vec<f64>),
    /// A CSV file (path relative to the scenario file) with a `value` column or one column.
    Csv(String),
}

/// `[[policy]]`: one intervention (DESIGN.md §5). One flat table; which fields apply
/// depends on `kind`, and fields that do not apply are rejected.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PolicySpec {
    pub kind: String,
    #[serde(default)]
    pub from: f64,
    pub until: Option<f64>,
    pub groups: Option<Vec<String>>,
    /// `set`: the parameter path, e.g. `growth.spillover`.
    pub param: Option<String>,
    /// `set`: the new value; `interoperability`: the floor on theta.
    pub value: Option<f64>,
    /// `openness_mandate`: the floor on openness.
    pub openness: Option<f64>,
    /// `spillover_boost`: multiplier on the spillover rate the groups receive.
    pub factor: Option<f64>,
    /// `wealth_tax`, `proprietary_tax`: the tax rate.
    pub rate: Option<f64>,
    /// `wealth_tax`: taxed above this multiple of the mean.
    pub threshold: Option<f64>,
    /// `proprietary_tax`: `equal` (default) or `open`.
    pub rebate: Option<String>,
}

/// `[output]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutputSpec {
    pub every: i64,
    pub top_k: i64,
    pub hill_k: Option<i64>,
    /// `none`, `final` or `all`.
    pub actors: String,
}

impl Default for OutputSpec {
    fn default() -> Self {
        OutputSpec {
            every: 1,
            top_k: 3,
            hill_k: None,
            actors: "none".into(),
        }
    }
}

/// `[[compare]]`: a labelled variant of the scenario.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CompareSpec {
    pub label: String,
    #[serde(default)]
    pub set: toml::Table,
}
