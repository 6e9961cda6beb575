//! What every model stands on: the time grid, actor groups and their initial laws, the
//! seeds and random streams of a replicate, and numerical helpers. Validated by
//! [`crate::scenario`], used by all models alike; no model is privileged.

pub mod numerics;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::rng;

/// Random stream numbers at and above this are used for initial values, one per group
/// (`rng::stream(replicate_seed, INIT_STREAM + group)`); a model's own streams use
/// numbers below it.
pub const INIT_STREAM: u64 = 1 << 62;

/// The time grid: `steps` steps of `dt`; step k starts at `k * dt`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeGrid {
    pub end: f64,
    pub dt: f64,
    pub steps: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorKind {
    State,
    Firm,
    Civic,
}

impl ActorKind {
    pub fn name(self) -> &'static str {
        match self {
            ActorKind::State => "state",
            ActorKind::Firm => "firm",
            ActorKind::Civic => "civic",
        }
    }
}

/// A group of actors.
#[derive(Debug, Clone, PartialEq)]
pub struct ActorGroup {
    pub name: String,
    pub kind: ActorKind,
    pub count: usize,
    pub initial: Initial,
    pub openness: f64,
}

/// A validated initial distribution (CSV files are read into `Values`).
#[derive(Debug, Clone, PartialEq)]
pub enum Initial {
    Constant(f64),
    Uniform { low: f64, high: f64 },
    Lognormal { mu: f64, sigma: f64 },
    Pareto { scale: f64, alpha: f64 },
    Values(Vec<f64>),
}

/// The seed of one replicate of a scenario: every stream of replicate `r` derives from it.
pub fn replicate_seed(seed: u64, replicate: u32) -> u64 {
    rng::derive_seed(seed, &[u64::from(replicate)])
}

/// Draw `count` initial values of a law and append them to `out`.
pub fn draw_initial(init: &Initial, count: usize, rng: &mut ChaCha8Rng, out: &mut Vec<f64>) {
    match init {
        Initial::Constant(v) => out.extend(std::iter::repeat_n(*v, count)),
        Initial::Values(v) => out.extend_from_slice(v),
        Initial::Uniform { low, high } => {
            out.extend((0..count).map(|_| low + (high - low) * rng.random::<f64>()));
        }
        Initial::Lognormal { mu, sigma } => {
            out.extend((0..count).map(|_| {
                let z: f64 = StandardNormal.sample(rng);
                (mu + sigma * z).exp()
            }));
        }
        Initial::Pareto { scale, alpha } => {
            // Inverse CDF: x = scale * U^(-1/alpha), U in (0, 1].
            out.extend((0..count).map(|_| {
                let u = 1.0 - rng.random::<f64>();
                scale * u.powf(-1.0 / alpha)
            }));
        }
    }
}

/// The initial values of every actor of one replicate, group after group, each group from
/// its own stream (so adding a group never changes another group's draws).
pub fn initial_values(groups: &[ActorGroup], seed: u64, replicate: u32) -> Vec<f64> {
    let seed = replicate_seed(seed, replicate);
    let n = groups.iter().map(|g| g.count).sum();
    let mut out = Vec::with_capacity(n);
    for (g, spec) in groups.iter().enumerate() {
        let mut init_rng = rng::stream(seed, INIT_STREAM + g as u64);
        draw_initial(&spec.initial, spec.count, &mut init_rng, &mut out);
    }
    out
}
