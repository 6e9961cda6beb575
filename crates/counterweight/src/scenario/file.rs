//! The TOML scenario format as written by users (DESIGN.md §3). Field names are a
//! public contract; unknown fields are errors so that typos fail fast.
//! [`super::validate`] turns this into typed, checked parameters.
//!
//! The common fields are typed here; every other top-level key is kept as a *section*
//! ([`ScenarioFile::sections`]) for the model that owns it (see [`crate::registry`]),
//! which reads it with [`section_from_text`] so that its errors still point into the
//! text. A key that no model owns is an error at validation.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use super::FieldError;

/// A scenario file, as parsed: the common fields, and the model's sections.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioFile {
    /// `name`: the scenario's name, used for the run directory (required).
    pub name: String,
    /// `description`: free text shown in reports (default empty).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// `model`: the registered model that runs the scenario (default `"growth"`).
    pub model: String,
    /// `seed`: the master seed (default 1); every replicate derives its own stream.
    pub seed: u64,
    /// `time`: the time grid; required unless the model has its own clock.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<TimeSpec>,
    /// `replicates`: independent runs, 1 to 1,000,000 (default 1).
    pub replicates: i64,
    /// Every other top-level key: the model's own sections (e.g. `[growth]`), in order.
    #[serde(flatten)]
    pub sections: toml::Table,
    /// `[[actors]]`: the actor groups (required by models with actors).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub actors: Vec<ActorGroupSpec>,
    /// `[[policy]]`: interventions in time, each validated by the model.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub policy: Vec<PolicySpec>,
    /// `[output]`: what to record.
    pub output: OutputSpec,
    /// Variants run side by side: each applies `set` overrides to this scenario.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub compare: Vec<CompareSpec>,
}

/// The common top-level fields of a scenario (every other key is a model's section).
pub const COMMON_FIELDS: [&str; 10] = [
    "name",
    "description",
    "model",
    "seed",
    "time",
    "replicates",
    "actors",
    "policy",
    "output",
    "compare",
];

impl<'de> Deserialize<'de> for ScenarioFile {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ScenarioFile;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a scenario table")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ScenarioFile, A::Error> {
                let mut name = None;
                let mut file = ScenarioFile {
                    name: String::new(),
                    description: String::new(),
                    model: crate::model::DEFAULT.into(),
                    seed: 1,
                    time: None,
                    replicates: 1,
                    sections: toml::Table::new(),
                    actors: Vec::new(),
                    policy: Vec::new(),
                    output: OutputSpec::default(),
                    compare: Vec::new(),
                };
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "name" => name = Some(map.next_value()?),
                        "description" => file.description = map.next_value()?,
                        "model" => file.model = map.next_value()?,
                        "seed" => file.seed = map.next_value()?,
                        "time" => file.time = Some(map.next_value()?),
                        "replicates" => file.replicates = map.next_value()?,
                        "actors" => file.actors = map.next_value()?,
                        "policy" => file.policy = map.next_value()?,
                        "output" => file.output = map.next_value()?,
                        "compare" => file.compare = map.next_value()?,
                        _ => {
                            let v: toml::Value = map.next_value()?;
                            file.sections.insert(key, v);
                        }
                    }
                }
                file.name = name.ok_or_else(|| de::Error::missing_field("name"))?;
                Ok(file)
            }
        }
        d.deserialize_map(V)
    }
}

/// Deserialize the top-level key `key` of TOML `text` as `T`, skipping every other key,
/// so that errors carry the field path of the problem. `Ok(None)` when absent.
pub fn section_from_text<T: DeserializeOwned>(
    text: &str,
    key: &str,
) -> Result<Option<T>, FieldError> {
    struct Only<'k, T>(&'k str, PhantomData<T>);
    impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for Only<'_, T> {
        type Value = Option<T>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
            d.deserialize_map(self)
        }
    }
    impl<'de, T: DeserializeOwned> Visitor<'de> for Only<'_, T> {
        type Value = Option<T>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a table")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<T>, A::Error> {
            let mut out = None;
            while let Some(k) = map.next_key::<String>()? {
                if k == self.0 {
                    out = Some(map.next_value::<T>()?);
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(out)
        }
    }
    let located = |e: toml::de::Error| {
        let field = e
            .span()
            .and_then(|s| super::overrides::path_at(text, s.start))
            .unwrap_or_else(|| key.to_string());
        FieldError {
            field,
            message: super::words(e.message().trim()),
            help: Some("see docs/scenarios.md for every field, its type and range".into()),
        }
    };
    let de = toml::Deserializer::parse(text).map_err(located)?;
    Only::<T>(key, PhantomData).deserialize(de).map_err(located)
}

/// `time = { end, dt }`, in model time units (years for most models).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TimeSpec {
    /// End of the run (> 0).
    pub end: f64,
    /// Step length (> 0); `ceil(end / dt)` steps, 1 to 10^9.
    pub dt: f64,
}

/// `[[actors]]`: a group of actors sharing a kind, an openness and an initial law.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ActorGroupSpec {
    /// Group name: unique, non-empty, without `.`, `,` or `"` (it becomes a column suffix).
    pub group: String,
    /// `"state"`, `"firm"` (default) or `"civic"`.
    #[serde(default = "default_kind")]
    pub kind: String,
    /// Number of actors, >= 1 (default 1; with `values` or `csv`, the number of values).
    pub count: Option<i64>,
    /// The initial law of each actor's value.
    pub initial: InitialSpec,
    /// Openness o in `[0, 1]` (default 0): 0 fully proprietary, 1 fully open (DESIGN §4.1).
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
    /// Every actor starts at this value (> 0).
    Constant(f64),
    /// Uniform on `[low, high]`.
    Uniform {
        /// Lower bound (> 0).
        low: f64,
        /// Upper bound (>= low).
        high: f64,
    },
    /// Of ln R: R = exp(mu + sigma Z).
    Lognormal {
        /// Mean of ln R (finite).
        mu: f64,
        /// Standard deviation of ln R (>= 0).
        sigma: f64,
    },
    /// P(R > x) = (scale/x)^alpha for x >= scale.
    Pareto {
        /// Smallest value x_m (> 0).
        scale: f64,
        /// Tail exponent alpha (> 0).
        alpha: f64,
    },
    /// One value per actor (> 0, or >= 0 for models whose values may be 0).
    Values(Vec<f64>),
    /// A CSV file (path relative to the scenario file) with a `value` column or one column.
    Csv(String),
}

/// `[[policy]]`: one intervention (DESIGN.md §5). The common fields are typed here;
/// the kind's own fields (`rate`, `value`, ...) are kept for the model that accepts the
/// kind, which reads them through [`crate::policy::PolicyCx`] (fields it does not read
/// are rejected).
#[derive(Debug, Clone, Serialize, Default)]
pub struct PolicySpec {
    /// The policy kind, e.g. `"wealth_tax"` (which kinds a model accepts: its registry entry).
    pub kind: String,
    /// Model time at which it starts (default 0).
    pub from: f64,
    /// Model time at which it ends (default: never).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<f64>,
    /// Actor groups it applies to (default: all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
    /// The kind's own fields.
    #[serde(flatten)]
    pub fields: toml::Table,
}

impl<'de> Deserialize<'de> for PolicySpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PolicySpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a policy table")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PolicySpec, A::Error> {
                let mut kind = None;
                let mut p = PolicySpec::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "kind" => kind = Some(map.next_value()?),
                        "from" => p.from = map.next_value()?,
                        "until" => p.until = Some(map.next_value()?),
                        "groups" => p.groups = Some(map.next_value()?),
                        _ => {
                            let v: toml::Value = map.next_value()?;
                            p.fields.insert(key, v);
                        }
                    }
                }
                p.kind = kind.ok_or_else(|| de::Error::missing_field("kind"))?;
                Ok(p)
            }
        }
        d.deserialize_map(V)
    }
}

/// `[output]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutputSpec {
    /// Record every k steps (default: the model's, 1 for most).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub every: Option<i64>,
    /// k of the `top{k}_share` column (>= 1, default 3).
    pub top_k: i64,
    /// Order statistics for the Hill estimator (1 to n−1; default round(sqrt(n))).
    pub hill_k: Option<i64>,
    /// `none`, `final` or `all`.
    pub actors: String,
}

impl Default for OutputSpec {
    fn default() -> Self {
        OutputSpec {
            every: None,
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
    /// The variant's name (the `variant` column of the outputs).
    pub label: String,
    /// Overrides, as `--set` would apply them (`"growth.spillover" = 0.5`).
    #[serde(default)]
    pub set: toml::Table,
}
