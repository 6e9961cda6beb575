//! `[network]` in a scenario: which graph the actors sit on, validated with located
//! errors, and drawn per replicate.
//!
//! ```toml
//! [network]
//! kind = "watts_strogatz"   # complete | ring | erdos_renyi | barabasi_albert | watts_strogatz | sbm | edges
//! k = 10
//! rewire = 0.1
//! seed = 7                  # optional: one graph for every replicate
//! ```
//!
//! Parameters by kind: `ring` `k` (default 2); `erdos_renyi` `mean_degree`; `barabasi_albert` `m`;
//! `watts_strogatz` `k`, `rewire`; `sbm` `blocks` (sizes of consecutive blocks of actors,
//! summing to the number of actors), `p_in`, `p_out`; `edges` `file` (a CSV edge list,
//! path relative to the scenario, see [`super::edges`]). A parameter that does not apply
//! to the kind is an error. Without `seed` each replicate draws its own graph from its
//! replicate seed (a replicate then samples the graph as well as the dynamics); with
//! `seed` every replicate shares one graph. An edge list is read once, at validation.

use std::sync::Arc;

use serde::Deserialize;

use super::{Network, NetworkError, NetworkSpec};
use crate::registry::{Condition, ListItem, ParamInfo, ParamType, ValidateCx};
use crate::rng;
use crate::scenario::FieldError;
use crate::scenario::validate::check::err;

/// `[network]` as written in a scenario.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NetworkSection {
    /// `complete` (default), `ring`, `erdos_renyi`, `barabasi_albert`, `watts_strogatz`,
    /// `sbm` or `edges`.
    pub kind: Option<String>,
    /// `erdos_renyi`: expected degree, in `[0, n − 1]`.
    pub mean_degree: Option<f64>,
    /// `barabasi_albert`: edges per new node, >= 1.
    pub m: Option<u64>,
    /// `ring` (default 2) and `watts_strogatz`: neighbours per node, even, `2 <= k < n`.
    pub k: Option<u64>,
    /// `watts_strogatz`: rewiring probability, in `[0, 1]`.
    pub rewire: Option<f64>,
    /// `sbm`: block sizes of consecutive actors, each > 0, summing to the number of actors.
    pub blocks: Option<Vec<u64>>,
    /// `sbm`: edge probability inside a block, in `[0, 1]`.
    pub p_in: Option<f64>,
    /// `sbm`: edge probability across blocks, in `[0, 1]`.
    pub p_out: Option<f64>,
    /// `edges`: a CSV edge list, relative to the scenario file.
    pub file: Option<String>,
    /// Optional: one graph from this seed for every replicate (default: one per replicate).
    pub seed: Option<u64>,
}

/// A validated `[network]`: a graph to generate per replicate, or one fixed graph.
#[derive(Debug, Clone, PartialEq)]
pub enum NetworkSetup {
    /// Generated per replicate (seed `None`) or once from `seed`.
    Generated {
        /// What to generate.
        spec: NetworkSpec,
        /// `Some`: one graph from this seed for every replicate; `None`: one per replicate.
        seed: Option<u64>,
    },
    /// Read from an edge list (or generated once from a fixed seed).
    Fixed(Arc<Network>),
}

/// The random stream (of the replicate seed) a per-replicate graph is drawn from.
const GRAPH_STREAM: u64 = (1 << 62) - 3;

impl NetworkSetup {
    /// The graph of replicate `replicate_seed` for `n` actors.
    pub fn network_for(&self, n: usize, replicate_seed: u64) -> Arc<Network> {
        match self {
            NetworkSetup::Fixed(g) => Arc::clone(g),
            NetworkSetup::Generated { spec, seed } => {
                let s = seed.unwrap_or_else(|| rng::derive_seed(replicate_seed, &[GRAPH_STREAM]));
                Arc::new(spec.generate(n, s).expect("checked at validation"))
            }
        }
    }

    /// This setup, or an error at `network.file` when it is a weighted edge list: for a
    /// model (`model`, its scenario name) that gives every edge the same weight;
    /// `edges_mean` says what an unweighted edge means to it.
    pub fn unweighted(self, model: &str, edges_mean: &str) -> Result<NetworkSetup, FieldError> {
        if let NetworkSetup::Fixed(g) = &self
            && let Network::Sparse(csr) = g.as_ref()
            && csr.is_weighted()
        {
            return Err(err(
                "network.file",
                format!(
                    "the {model} model does not use edge weights, but the edge list has a weight column"
                ),
                format!("an edge list with columns source,target ({edges_mean})"),
            ));
        }
        Ok(self)
    }

    /// The complete graph (no `[network]`).
    pub fn complete() -> NetworkSetup {
        NetworkSetup::Generated {
            spec: NetworkSpec::Complete,
            seed: None,
        }
    }
}

/// The declared parameters of `[network]` (for models that accept it).
pub fn params() -> Vec<ParamInfo> {
    const SBM: &[Condition] = &[Condition::new("network.kind", &["sbm"])];
    let r = ParamInfo::real;
    let int = |path: &'static str, min: f64, unit: &'static str, doc: &'static str| ParamInfo {
        kind: ParamType::Integer,
        ..r(path, "", Some(min), None, unit, doc)
    };
    vec![
        ParamInfo::choice(
            "network.kind",
            "\"complete\"",
            &[
                "complete",
                "ring",
                "erdos_renyi",
                "barabasi_albert",
                "watts_strogatz",
                "sbm",
                "edges",
            ],
            "the graph the actors sit on",
        ),
        r(
            "network.mean_degree",
            "",
            Some(0.0),
            None,
            "edges per actor",
            "erdos_renyi: expected degree (n − 1)p",
        )
        .when(&[Condition::new("network.kind", &["erdos_renyi"])])
        .with_example("4.0"),
        int(
            "network.m",
            1.0,
            "edges",
            "barabasi_albert: edges each new node brings",
        )
        .when(&[Condition::new("network.kind", &["barabasi_albert"])])
        .with_example("2"),
        int(
            "network.k",
            2.0,
            "neighbours",
            "ring, watts_strogatz: nearest neighbours (even)",
        )
        .when(&[Condition::new("network.kind", &["ring", "watts_strogatz"])])
        .with_example("4"),
        r(
            "network.rewire",
            "",
            Some(0.0),
            Some(1.0),
            "",
            "watts_strogatz: probability of rewiring an edge",
        )
        .when(&[Condition::new("network.kind", &["watts_strogatz"])])
        .with_example("0.1"),
        r(
            "network.p_in",
            "",
            Some(0.0),
            Some(1.0),
            "",
            "sbm: edge probability inside a block",
        )
        .when(SBM)
        .with_example("0.5"),
        // No example: the sizes must sum to the scenario's number of actors.
        ParamInfo::list(
            "network.blocks",
            ListItem::Integer,
            Some(1.0),
            None,
            "actors",
            "sbm: sizes of consecutive blocks of actors, summing to the number of actors",
        )
        .when(SBM),
        r(
            "network.p_out",
            "",
            Some(0.0),
            Some(1.0),
            "",
            "sbm: edge probability across blocks",
        )
        .when(SBM)
        .with_example("0.05"),
    ]
}

/// Validate `[network]` (absent: the complete graph) for the actors of `cx`.
pub fn validate(cx: &ValidateCx<'_>) -> Result<NetworkSetup, FieldError> {
    let Some(s) = cx.section::<NetworkSection>("network")? else {
        return Ok(NetworkSetup::complete());
    };
    let n = cx.actor_count();
    let kind = s.kind.as_deref().unwrap_or("complete");
    let given = [
        ("mean_degree", s.mean_degree.is_some()),
        ("m", s.m.is_some()),
        ("k", s.k.is_some()),
        ("rewire", s.rewire.is_some()),
        ("blocks", s.blocks.is_some()),
        ("p_in", s.p_in.is_some()),
        ("p_out", s.p_out.is_some()),
        ("file", s.file.is_some()),
    ];
    let takes: &[&str] = match kind {
        "complete" => &[],
        "ring" => &["k"],
        "erdos_renyi" => &["mean_degree"],
        "barabasi_albert" => &["m"],
        "watts_strogatz" => &["k", "rewire"],
        "sbm" => &["blocks", "p_in", "p_out"],
        "edges" => &["file"],
        other => {
            return Err(err(
                "network.kind",
                format!("unknown network kind \"{other}\""),
                "one of \"complete\", \"ring\", \"erdos_renyi\", \"barabasi_albert\", \
                 \"watts_strogatz\", \"sbm\", \"edges\"",
            ));
        }
    };
    for (name, set) in given {
        if set && !takes.contains(&name) {
            let valid = if takes.is_empty() {
                "no parameters".to_string()
            } else {
                takes.join(", ")
            };
            return Err(err(
                format!("network.{name}"),
                format!("`{name}` does not apply to kind = \"{kind}\""),
                format!("kind = \"{kind}\" takes {valid}"),
            ));
        }
    }
    let need = |name: &str, v: Option<f64>| {
        v.ok_or_else(|| {
            err(
                format!("network.{name}"),
                format!("kind = \"{kind}\" needs `{name}`"),
                format!("{name} = ... (see docs/networks.md)"),
            )
        })
    };
    let spec = match kind {
        "complete" => NetworkSpec::Complete,
        "ring" => NetworkSpec::Ring {
            k: s.k.unwrap_or(2) as usize,
        },
        "erdos_renyi" => NetworkSpec::ErdosRenyi {
            mean_degree: need("mean_degree", s.mean_degree)?,
        },
        "barabasi_albert" => NetworkSpec::BarabasiAlbert {
            m: need("m", s.m.map(|v| v as f64))? as usize,
        },
        "watts_strogatz" => NetworkSpec::WattsStrogatz {
            k: need("k", s.k.map(|v| v as f64))? as usize,
            rewire: need("rewire", s.rewire)?,
        },
        "sbm" => NetworkSpec::Sbm {
            blocks: s
                .blocks
                .clone()
                .ok_or_else(|| {
                    err(
                        "network.blocks",
                        "kind = \"sbm\" needs `blocks`",
                        format!("block sizes summing to the number of actors, {n}"),
                    )
                })?
                .into_iter()
                .map(|b| b as usize)
                .collect(),
            p_in: need("p_in", s.p_in)?,
            p_out: need("p_out", s.p_out)?,
        },
        "edges" => {
            let file = s.file.as_deref().ok_or_else(|| {
                err(
                    "network.file",
                    "kind = \"edges\" needs `file`",
                    "file = \"edges.csv\" (columns source,target[,weight]; path relative to the scenario)",
                )
            })?;
            let path = match cx.base_dir {
                Some(d) => d.join(file),
                None => file.into(),
            };
            let g = super::read_edge_list(&path, n).map_err(located)?;
            if s.seed.is_some() {
                return Err(err(
                    "network.seed",
                    "`seed` does not apply to kind = \"edges\"",
                    "leave `seed` out: an edge list is one fixed graph",
                ));
            }
            return Ok(NetworkSetup::Fixed(Arc::new(Network::Sparse(g))));
        }
        _ => unreachable!("kinds checked above"),
    };
    spec.check(n).map_err(located)?;
    Ok(match s.seed {
        Some(seed) => NetworkSetup::Fixed(Arc::new(spec.generate(n, seed).map_err(located)?)),
        None => NetworkSetup::Generated { spec, seed: None },
    })
}

/// A network error as a field error: parameters under `network.*`, edge-list lines at
/// `file:line:col`.
fn located(e: NetworkError) -> FieldError {
    match &e {
        NetworkError::Parameter {
            field,
            message,
            valid,
        } => err(format!("network.{field}"), message.clone(), valid.clone()),
        NetworkError::EdgeList { valid, .. } => err("network.file", e.to_string(), valid.clone()),
        NetworkError::Edge { .. } => err("network", e.to_string(), "a valid edge"),
    }
}
