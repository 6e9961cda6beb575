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
    /// The end time (`time.end`), in the model's time unit.
    pub end: f64,
    /// The step length (`time.dt`), in the same unit.
    pub dt: f64,
    /// The number of steps, `ceil(end / dt)` up to a 1e-9 rounding tolerance
    /// ([`crate::scenario::validate::time_grid`]); so the last step may end after `end`.
    pub steps: u64,
}

/// What the actors of a group are (`kind` in `[[actors]]`). A label: no built-in model's
/// dynamics depend on it; policies target groups by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorKind {
    /// A state or public body (`"state"`).
    State,
    /// A firm (`"firm"`, the default).
    Firm,
    /// A civic group (`"civic"`).
    Civic,
}

impl ActorKind {
    /// The word used in scenario files.
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
    /// The group's name (`group`), unique; per-group metric columns end in `.{name}`.
    pub name: String,
    /// What the actors are.
    pub kind: ActorKind,
    /// The number of actors, >= 1 (equal to the number of values for
    /// [`Initial::Values`]).
    pub count: usize,
    /// The law of the actors' initial values.
    pub initial: Initial,
    /// In `[0, 1]`: 0 = fully proprietary, 1 = fully open (how much of an actor's lead
    /// spills over to others in the growth model).
    pub openness: f64,
}

/// A validated initial distribution (CSV files are read into `Values`).
#[derive(Debug, Clone, PartialEq)]
pub enum Initial {
    /// Every actor starts at this value.
    Constant(f64),
    /// Uniform on `[low, high]`.
    Uniform {
        /// The lower bound.
        low: f64,
        /// The upper bound (>= `low`).
        high: f64,
    },
    /// `exp(mu + sigma·Z)` with `Z` standard normal.
    Lognormal {
        /// The mean of the logarithm.
        mu: f64,
        /// The standard deviation of the logarithm (>= 0).
        sigma: f64,
    },
    /// Pareto: `P(X > x) = (scale / x)^alpha` for `x >= scale`, drawn by inverse CDF.
    Pareto {
        /// The minimum value.
        scale: f64,
        /// The tail exponent.
        alpha: f64,
    },
    /// One given value per actor, in order (from `values` or a `csv` file).
    Values(Vec<f64>),
}

/// The seed of one replicate of a scenario: every stream of replicate `r` derives from it.
pub fn replicate_seed(seed: u64, replicate: u32) -> u64 {
    rng::derive_seed(seed, &[u64::from(replicate)])
}

/// Draw `count` initial values of a law and append them to `out`.
pub fn draw_initial(init: &Initial, count: usize, rng: &mut ChaCha8Rng, out: &mut Vec<f64>) {
    match init {
        // A large constant group is written on the pool: its pages are first touched (and
        // faulted in) by all threads instead of one, 2–3 ms of start-up at 10^6 actors.
        Initial::Constant(v) if count >= PARALLEL_INIT => {
            use rayon::iter::ParallelExtend;
            out.par_extend(rayon::iter::repeat_n(*v, count));
        }
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

/// From this many actors a constant group's initial values are written in parallel.
const PARALLEL_INIT: usize = 1 << 16;

#[cfg(test)]
mod tests {
    use super::*;

    fn group(name: &str, count: usize, initial: Initial) -> ActorGroup {
        ActorGroup {
            name: name.into(),
            kind: ActorKind::Firm,
            count,
            initial,
            openness: 0.0,
        }
    }

    #[test]
    fn a_large_constant_group_is_its_value_and_leaves_the_other_groups_draws_alone() {
        let law = Initial::Lognormal {
            mu: 0.0,
            sigma: 1.0,
        };
        let groups = [
            group("small", 3, Initial::Constant(0.5)),
            group("large", PARALLEL_INIT + 5, Initial::Constant(2.0)),
            group("drawn", 100, law.clone()),
        ];
        let v = initial_values(&groups, 9, 1);
        assert_eq!(v.len(), PARALLEL_INIT + 108);
        assert!(v[..3].iter().all(|&x| x == 0.5));
        assert!(v[3..PARALLEL_INIT + 8].iter().all(|&x| x == 2.0));
        // The third group's values come from its own stream, as if drawn alone.
        let mut want = Vec::new();
        let mut rng = rng::stream(replicate_seed(9, 1), INIT_STREAM + 2);
        draw_initial(&law, 100, &mut rng, &mut want);
        assert_eq!(&v[PARALLEL_INIT + 8..], &want[..]);
    }
}
