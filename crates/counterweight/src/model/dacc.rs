//! The d/acc model: offence, defence and the fragile world. Full derivation in
//! `docs/dacc.md`.
//!
//! N actors, each with an offensive capability a_i >= 0 and a defensive technology level
//! d_i >= 0, growing exponentially at rates g_a (`offence_growth`) and g_d
//! (`defence_growth`): `a_i(t) = a_i(0) e^(g_a t)`, `d_i(t) = d_i(0) e^(g_d t)`.
//!
//! * **Defence available to targets.** A fraction θ (`diffusion`) of every actor's defence
//!   is openly diffused (the d/acc proposal: open, non-rival defensive technology protects
//!   everyone), so target j is protected by `e_j = (1 − θ) d_j + θ Σ_k d_k`. θ = 0 is
//!   private defence, θ = 1 fully open defence.
//! * **Catastrophe.** Each actor attempts a catastrophic use (malice, error) at rate q
//!   (`attempt_rate`, per unit time); an attempt by i strikes its weakest target, defended
//!   by `D_i = min_{j ≠ i} e_j`, and succeeds with the contest success function
//!   (Tullock 1980; Hirshleifer 1989) `s_i = a_i^κ / (a_i^κ + D_i^κ)`, κ = `decisiveness`
//!   (s = 0 when a_i = 0, 1 when a_i > 0 and D_i = 0). Successful attempts are a Poisson
//!   process of rate `h_i = q s_i`, so in a step of length dt actor i causes a catastrophe
//!   with probability `p_i = 1 − exp(−dt h_i)`, evaluated at the start of the step.
//! * **Hegemon** (`hegemon = true`): one actor holds all offence `A = Σ a_i` and all
//!   defence `D = Σ d_i`; it is the only possible attacker, at rate q_H
//!   (`hegemon_attempt_rate`, default q), and its targets are defended by D.
//! * **On a network** (`[network]`, not with the hegemon): an actor's targets are its
//!   neighbours, and openly diffused defence reaches a target from its closed
//!   neighbourhood (itself and its neighbours): `e_j = (1 − θ) d_j + θ Σ_{k ∈ N[j]} d_k`,
//!   `D_i = min_{j ∈ N(i)} e_j` (an isolated actor has no target: h_i = 0). On the
//!   complete graph these are the formulas above, and `kind = "complete"` (or no
//!   `[network]`) computes them as above, bit for bit. The closed form of the survival
//!   probability holds unchanged with these hazards.
//!
//! Recorded: `survival` S(t) = Π_steps Π_i (1 − p_i) = exp(−Σ_steps dt Σ_i h_i), the
//! probability of no catastrophe so far (the closed form, computed along the run);
//! `alive` (1 until this replicate's first catastrophe, drawn with one uniform per actor
//! per step); `catastrophes` (how many occurred, counting on after the first, as if the
//! world continued); `expected_harm`, Σ_steps Σ_i p_i w_i, and `harm`, the realised sum,
//! where a catastrophe caused by i destroys the fraction `w_i = a_i / Σ_j a_j` of the world
//! (its share of offence: the hegemon's is 1); `hazard` Σ_i h_i; and the concentration of
//! capability (the offence values; the hegemon holds them all).

use std::sync::Arc;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use thiserror::Error;

use crate::network::Network;
use crate::network::section::{self, NetworkSetup};

use serde::Deserialize;

use crate::registry::{
    ChartDef, ColumnDef, Condition, Model, ModelDef, ModelError, ModelSetup, Observation, PanelDef,
    ParamInfo, ParamType, ValidateCx,
};
use crate::rng;
use crate::scenario::validate::check::{err, finite, non_negative, positive, unit_interval};
use crate::scenario::{FieldError, Scenario};
use crate::setup::{Initial, initial_values, replicate_seed};

/// Validated parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct DaccParams {
    /// a_i(0) >= 0, one per actor.
    pub offence: Vec<f64>,
    /// d_i(0) >= 0, one per actor.
    pub defence: Vec<f64>,
    /// q >= 0, per unit time.
    pub attempt_rate: f64,
    /// κ > 0.
    pub decisiveness: f64,
    /// θ in [0, 1].
    pub diffusion: f64,
    /// g_a, per unit time.
    pub offence_growth: f64,
    /// g_d, per unit time.
    pub defence_growth: f64,
    /// Whether one actor holds all offence and defence (`hegemon = true`; default false).
    pub hegemon: bool,
    /// q_H >= 0 (hegemon only).
    pub hegemon_attempt_rate: f64,
}

/// Why a d/acc model cannot be built.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum DaccError {
    /// A `[dacc]` parameter is out of range.
    #[error("dacc.{field} = {value}: valid is {valid}")]
    Parameter {
        /// The field.
        field: &'static str,
        /// The value given.
        value: f64,
        /// What would be valid.
        valid: &'static str,
    },
    /// An actor's offence or defence is negative or not finite.
    #[error("actor {actor}: {what} {value} is not a number >= 0")]
    Capability {
        /// 0-based actor index.
        actor: usize,
        /// `"offence"` or `"defence"`.
        what: &'static str,
        /// The value given.
        value: f64,
    },
    /// Offence and defence lengths differ, there is no actor, or a single actor without
    /// `hegemon = true`.
    #[error(
        "{offence} offence values and {defence} defence values; the model needs one of each per actor, and at least 2 actors unless hegemon = true"
    )]
    Actors {
        /// Offence values given.
        offence: usize,
        /// Defence values given.
        defence: usize,
    },
}

impl DaccParams {
    /// Check every range.
    pub fn check(&self) -> Result<(), DaccError> {
        let n = self.offence.len();
        if n != self.defence.len() || n == 0 || (n < 2 && !self.hegemon) {
            return Err(DaccError::Actors {
                offence: n,
                defence: self.defence.len(),
            });
        }
        for (what, v) in [("offence", &self.offence), ("defence", &self.defence)] {
            if let Some((actor, &value)) = v
                .iter()
                .enumerate()
                .find(|(_, x)| !(x.is_finite() && **x >= 0.0))
            {
                return Err(DaccError::Capability { actor, what, value });
            }
        }
        let bad = |field, value, valid| {
            Err(DaccError::Parameter {
                field,
                value,
                valid,
            })
        };
        if !(self.attempt_rate.is_finite() && self.attempt_rate >= 0.0) {
            return bad("attempt_rate", self.attempt_rate, "a number >= 0");
        }
        if !(self.hegemon_attempt_rate.is_finite() && self.hegemon_attempt_rate >= 0.0) {
            return bad(
                "hegemon_attempt_rate",
                self.hegemon_attempt_rate,
                "a number >= 0",
            );
        }
        if !(self.decisiveness.is_finite() && self.decisiveness > 0.0) {
            return bad("decisiveness", self.decisiveness, "a number > 0");
        }
        if !(0.0..=1.0).contains(&self.diffusion) {
            return bad("diffusion", self.diffusion, "a number in [0, 1]");
        }
        for (field, v) in [
            ("offence_growth", self.offence_growth),
            ("defence_growth", self.defence_growth),
        ] {
            if !v.is_finite() {
                return bad(field, v, "a finite number");
            }
        }
        Ok(())
    }

    /// The success probability of an attack with offence `a` on a target defended by `d`:
    /// `a^κ / (a^κ + d^κ)`, written `1 / (1 + (d/a)^κ)` to avoid overflow.
    pub fn success(&self, a: f64, d: f64) -> f64 {
        if a <= 0.0 {
            0.0
        } else {
            1.0 / (1.0 + (d / a).powf(self.decisiveness))
        }
    }

    /// The hazard rate h_i of every potential attacker at time `t` into `out` (one entry
    /// per actor; under the hegemon, entry 0 is the hegemon and the rest are 0), and the
    /// offence values (the hegemon holds them all) into `offence`.
    pub fn hazards(&self, t: f64, out: &mut Vec<f64>, offence: &mut Vec<f64>) {
        self.hazards_on(None, t, out, offence);
    }

    /// [`DaccParams::hazards`] with the actors on `network` (`None` or the complete graph:
    /// the mean field): targets are neighbours, diffused defence comes from the target's
    /// closed neighbourhood (module doc).
    pub fn hazards_on(
        &self,
        network: Option<&Network>,
        t: f64,
        out: &mut Vec<f64>,
        offence: &mut Vec<f64>,
    ) {
        let n = self.offence.len();
        let ga = (self.offence_growth * t).exp();
        let gd = (self.defence_growth * t).exp();
        out.clear();
        out.resize(n, 0.0);
        offence.clear();
        offence.extend(self.offence.iter().map(|a| a * ga));
        if self.hegemon {
            let a: f64 = offence.iter().sum();
            let d: f64 = self.defence.iter().sum::<f64>() * gd;
            out[0] = self.hegemon_attempt_rate * self.success(a, d);
            offence.iter_mut().for_each(|x| *x = 0.0);
            offence[0] = a;
            return;
        }
        let theta = self.diffusion;
        if let Some(Network::Sparse(g)) = network {
            let e: Vec<f64> = (0..n)
                .map(|j| {
                    let near: f64 = g
                        .neighbours(j)
                        .iter()
                        .map(|&k| self.defence[k as usize])
                        .sum();
                    gd * ((1.0 - theta) * self.defence[j] + theta * (self.defence[j] + near))
                })
                .collect();
            for (i, h) in out.iter_mut().enumerate() {
                let target = g
                    .neighbours(i)
                    .iter()
                    .map(|&j| e[j as usize])
                    .fold(f64::INFINITY, f64::min);
                *h = if target.is_finite() {
                    self.attempt_rate * self.success(offence[i], target)
                } else {
                    0.0 // no neighbour: no target
                };
            }
            return;
        }
        let pool: f64 = self.defence.iter().sum::<f64>() * gd;
        // The two smallest effective defences: min over j ≠ i is the smallest unless i
        // holds it, then the second smallest.
        let (mut lo, mut lo_at, mut second) = (f64::INFINITY, usize::MAX, f64::INFINITY);
        for (j, d) in self.defence.iter().enumerate() {
            let e = (1.0 - theta) * d * gd + theta * pool;
            if e < lo {
                second = lo;
                lo = e;
                lo_at = j;
            } else if e < second {
                second = e;
            }
        }
        for (i, h) in out.iter_mut().enumerate() {
            let target = if i == lo_at { second } else { lo };
            *h = self.attempt_rate * self.success(offence[i], target);
        }
    }

    /// The closed form of the survival probability after `steps` steps of length dt:
    /// `Π_{k < steps} Π_i (1 − p_i(k dt))` with `p_i = 1 − exp(−dt h_i)`, multiplied out
    /// factor by factor (independent of the model's running sum of hazards).
    pub fn survival_product(&self, steps: u64, dt: f64) -> f64 {
        self.survival_product_on(None, steps, dt)
    }

    /// [`DaccParams::survival_product`] with the actors on `network`.
    pub fn survival_product_on(&self, network: Option<&Network>, steps: u64, dt: f64) -> f64 {
        let (mut h, mut a) = (Vec::new(), Vec::new());
        let mut s = 1.0;
        for k in 0..steps {
            self.hazards_on(network, k as f64 * dt, &mut h, &mut a);
            for hi in &h {
                s *= 1.0 - (1.0 - (-dt * hi).exp());
            }
        }
        s
    }
}

/// What is recorded at a step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DaccStats {
    /// S(t): probability of no catastrophe so far, `exp(−Σ dt Σ_i h_i)` (closed form).
    pub survival: f64,
    /// Whether this replicate has had no catastrophe yet.
    pub alive: bool,
    /// Catastrophes drawn so far (counting on after the first).
    pub catastrophes: u64,
    /// Expected harm so far, `Σ_steps Σ_i p_i w_i`, in fractions of the world.
    pub expected_harm: f64,
    /// Realised harm so far: the sum of `w_i` over catastrophes drawn.
    pub harm: f64,
    /// Σ_i h_i at the last step's start (per unit time).
    pub hazard: f64,
}

/// One replicate.
#[derive(Debug, Clone)]
pub struct DaccModel {
    params: DaccParams,
    /// A sparse `[network]` (`None`: the mean field).
    network: Option<Arc<Network>>,
    /// Offence values now (the hegemon holds them all).
    offence: Vec<f64>,
    h: Vec<f64>,
    cum_hazard: f64,
    alive: bool,
    catastrophes: u64,
    expected_harm: f64,
    harm: f64,
    hazard: f64,
    rng: ChaCha8Rng,
}

impl DaccModel {
    /// A replicate drawing catastrophes from the streams of `seed`.
    pub fn new(params: DaccParams, seed: u64) -> Result<DaccModel, DaccError> {
        params.check()?;
        let (mut h, mut offence) = (Vec::new(), Vec::new());
        params.hazards(0.0, &mut h, &mut offence);
        Ok(DaccModel {
            params,
            network: None,
            offence,
            h,
            cum_hazard: 0.0,
            alive: true,
            catastrophes: 0,
            expected_harm: 0.0,
            harm: 0.0,
            hazard: 0.0,
            rng: rng::stream(seed, 0),
        })
    }

    /// The validated parameters.
    pub fn params(&self) -> &DaccParams {
        &self.params
    }

    /// This replicate with its actors on `network` (the complete graph: the mean field,
    /// unchanged). Panics if the network's size is not the number of actors.
    pub fn on_network(mut self, network: Arc<Network>) -> DaccModel {
        assert_eq!(network.n(), self.params.offence.len(), "one node per actor");
        if !network.is_complete() {
            self.network = Some(network);
            let net = self.network.as_deref();
            self.params
                .hazards_on(net, 0.0, &mut self.h, &mut self.offence);
        }
        self
    }

    /// Offensive capability per actor now (the hegemon, actor 0, holds all of it).
    pub fn offence(&self) -> &[f64] {
        &self.offence
    }

    /// Advance one step of length `dt` from time `t`.
    pub fn step(&mut self, t: f64, dt: f64) {
        self.params
            .hazards_on(self.network.as_deref(), t, &mut self.h, &mut self.offence);
        let total_a: f64 = self.offence.iter().sum();
        let mut sum_h = 0.0;
        for (i, &h) in self.h.iter().enumerate() {
            sum_h += h;
            let p = -(-dt * h).exp_m1();
            let w = if total_a > 0.0 {
                self.offence[i] / total_a
            } else {
                0.0
            };
            self.expected_harm += p * w;
            // One uniform per actor per step, drawn whatever happens (fixed stream use).
            let u: f64 = self.rng.random();
            if u < p {
                self.catastrophes += 1;
                self.harm += w;
                self.alive = false;
            }
        }
        self.hazard = sum_h;
        self.cum_hazard += dt * sum_h;
    }

    /// The recorded statistics now.
    pub fn stats(&self) -> DaccStats {
        DaccStats {
            survival: (-self.cum_hazard).exp(),
            alive: self.alive,
            catastrophes: self.catastrophes,
            expected_harm: self.expected_harm,
            harm: self.harm,
            hazard: self.hazard,
        }
    }
}

// --- the registered model ----------------------------------------------------------------

/// `[dacc]` as written in a scenario. The actors' `initial` values are their offensive
/// capabilities a_i(0).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DaccSpec {
    /// d_i(0): one number for every actor, or one per actor (scenario order).
    pub defence: DefenceSpec,
    /// q >= 0: attempts per actor per unit time (required).
    pub attempt_rate: f64,
    /// κ > 0: decisiveness of the contest (default 1).
    pub decisiveness: Option<f64>,
    /// θ in `[0, 1]`: openly diffused share of defence (default 0).
    pub diffusion: Option<f64>,
    /// g_a per unit time, any sign (default 0).
    pub offence_growth: Option<f64>,
    /// g_d per unit time, any sign (default 0).
    pub defence_growth: Option<f64>,
    /// One actor holds everything (default false).
    pub hegemon: Option<bool>,
    /// q_H >= 0: the hegemon's attempt rate (default `attempt_rate`).
    pub hegemon_attempt_rate: Option<f64>,
}

/// Defence levels: one for all, or one per actor.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum DefenceSpec {
    /// The same defence for every actor.
    All(f64),
    /// One defence per actor, in scenario order.
    Each(Vec<f64>),
}

/// The d/acc model's validated setup: everything but the offence values, which are the
/// actors' initial values of each replicate.
#[derive(Debug, Clone, PartialEq)]
pub struct DaccSetup {
    /// The validated `[dacc]` parameters (offence values are drawn per replicate).
    pub params: DaccParams,
    /// `[network]`: who can strike whom and whose open defence reaches whom.
    pub network: NetworkSetup,
}

/// The d/acc model, as registered (`model = "dacc"`).
pub struct Dacc;

/// The columns the d/acc model records, in order (after the concentration of offence).
pub const COLUMNS: [ColumnDef; 6] = [
    ColumnDef::share("survival", "P(no catastrophe so far)"),
    ColumnDef::share("alive", "no catastrophe yet (this replicate)"),
    ColumnDef::count("catastrophes", "catastrophes"),
    ColumnDef::real("expected_harm", "expected harm"),
    ColumnDef::real("harm", "realised harm"),
    ColumnDef::real("hazard", "hazard rate"),
];

impl ModelDef for Dacc {
    fn name(&self) -> &'static str {
        "dacc"
    }
    fn about(&self) -> &'static str {
        "offence and defence: catastrophe risk with private or openly diffused defence, or a hegemon"
    }
    fn keys(&self) -> &'static [&'static str] {
        &["dacc", "network"]
    }
    fn initial_may_be_zero(&self) -> bool {
        true
    }
    fn params(&self) -> Vec<ParamInfo> {
        let r = ParamInfo::real;
        vec![
            r(
                "dacc.attempt_rate",
                "",
                Some(0.0),
                None,
                "per unit time",
                "q: rate at which each actor attempts a catastrophic use",
            )
            .with_example("0.01"),
            r(
                "dacc.decisiveness",
                "1.0",
                Some(0.0),
                None,
                "",
                "kappa: success = a^kappa / (a^kappa + D^kappa)",
            ),
            r(
                "dacc.diffusion",
                "0.0",
                Some(0.0),
                Some(1.0),
                "",
                "theta: share of every actor's defence openly diffused to all",
            ),
            r(
                "dacc.offence_growth",
                "0.0",
                None,
                None,
                "per unit time",
                "g_a: growth rate of offence",
            ),
            r(
                "dacc.defence_growth",
                "0.0",
                None,
                None,
                "per unit time",
                "g_d: growth rate of defence (defensive progress)",
            ),
            ParamInfo {
                kind: ParamType::Bool,
                ..ParamInfo::choice(
                    "dacc.hegemon",
                    "false",
                    &[],
                    "one actor holds all offence and all defence",
                )
            },
            r(
                "dacc.hegemon_attempt_rate",
                "",
                Some(0.0),
                None,
                "per unit time",
                "q_H: the hegemon's attempt rate (default q)",
            )
            .when(&[Condition::new("dacc.hegemon", &["true"])]),
        ]
        .into_iter()
        .chain(
            section::params()
                .into_iter()
                .map(|p| p.in_optional_table("network")),
        )
        .collect()
    }
    fn validate(&self, cx: &mut ValidateCx<'_>) -> Result<Box<dyn ModelSetup>, FieldError> {
        cx.time()?;
        let spec: DaccSpec = cx.require_section("dacc")?;
        let n = cx.actor_count();
        let defence = match &spec.defence {
            DefenceSpec::All(d) => vec![non_negative("dacc.defence", *d)?; n],
            DefenceSpec::Each(v) => {
                if v.len() != n {
                    return Err(err(
                        "dacc.defence",
                        format!("{} defence levels for {n} actors", v.len()),
                        format!("one number for all, or {n} numbers (one per actor)"),
                    ));
                }
                for (i, d) in v.iter().enumerate() {
                    non_negative(&format!("dacc.defence[{i}]"), *d)?;
                }
                v.clone()
            }
        };
        for (i, g) in cx.groups.iter().enumerate() {
            let ok = match &g.initial {
                Initial::Constant(v) => *v >= 0.0,
                Initial::Uniform { low, .. } => *low >= 0.0,
                Initial::Values(vs) => vs.iter().all(|v| *v >= 0.0),
                Initial::Lognormal { .. } | Initial::Pareto { .. } => true,
            };
            if !ok {
                return Err(err(
                    format!("actors[{i}].initial"),
                    format!("group \"{}\": offence must be >= 0", g.name),
                    "initial offence capabilities >= 0",
                ));
            }
        }
        let attempt_rate = non_negative("dacc.attempt_rate", spec.attempt_rate)?;
        let params = DaccParams {
            // Placeholder of the right length for the range checks; each replicate draws
            // its own offence values.
            offence: vec![0.0; n],
            defence,
            attempt_rate,
            decisiveness: positive("dacc.decisiveness", spec.decisiveness.unwrap_or(1.0))?,
            diffusion: unit_interval("dacc.diffusion", spec.diffusion.unwrap_or(0.0))?,
            offence_growth: finite("dacc.offence_growth", spec.offence_growth.unwrap_or(0.0))?,
            defence_growth: finite("dacc.defence_growth", spec.defence_growth.unwrap_or(0.0))?,
            hegemon: spec.hegemon.unwrap_or(false),
            hegemon_attempt_rate: non_negative(
                "dacc.hegemon_attempt_rate",
                spec.hegemon_attempt_rate.unwrap_or(attempt_rate),
            )?,
        };
        if spec.hegemon_attempt_rate.is_some() && !params.hegemon {
            return Err(err(
                "dacc.hegemon_attempt_rate",
                "`hegemon_attempt_rate` applies only with hegemon = true",
                "hegemon = true, or leave it out",
            ));
        }
        params
            .check()
            .map_err(|e| err("dacc", e.to_string(), "see docs/dacc.md"))?;
        let network = section::validate(cx)?.unweighted("dacc", "who can strike whom")?;
        if params.hegemon && cx.section::<toml::Value>("network")?.is_some() {
            return Err(err(
                "network",
                "a [network] does not apply with dacc.hegemon = true (the hegemon's targets are everyone)",
                "hegemon = false, or remove [network]",
            ));
        }
        Ok(Box::new(DaccSetup { params, network }))
    }
}

impl ModelSetup for DaccSetup {
    fn build(&self, sc: &Scenario, replicate: u32) -> Box<dyn Model> {
        let mut params = self.params.clone();
        params.offence = initial_values(&sc.groups, sc.seed, replicate);
        let seed = replicate_seed(sc.seed, replicate);
        let net = self.network.network_for(params.offence.len(), seed);
        Box::new(DaccRun {
            model: DaccModel::new(params, seed)
                .expect("validated parameters")
                .on_network(net),
            dt: sc.time.dt,
        })
    }
    fn observation(&self) -> Observation {
        Observation {
            concentration: true,
            columns: COLUMNS.to_vec(),
            key: vec!["survival", "alive", "expected_harm", "top1_share"],
        }
    }
    /// Survival, expected harm, the hazard and realised harm over time, one column per
    /// panel (so `[[compare]]` variants share each panel).
    fn charts(&self) -> Vec<ChartDef> {
        vec![
            ChartDef::new(
                "survival",
                "Survival and harm over time",
                "The probability of no catastrophe so far (the product over steps and actors of \
                 1 − p_i), the expected harm so far, the hazard rate of the step, and the harm \
                 realised in the simulated catastrophes.",
            )
            .panel(
                PanelDef::lines("survival", "P(no catastrophe so far)")
                    .series("survival", "survival")
                    .range(0.0, 1.0),
            )
            .panel(
                PanelDef::lines("expected harm", "harm so far")
                    .series("expected_harm", "expected harm"),
            )
            .panel(PanelDef::lines("hazard", "rate per unit time").series("hazard", "hazard"))
            .panel(PanelDef::lines("realised harm", "harm so far").series("harm", "realised harm")),
        ]
    }
}

/// One replicate as the runner sees it: the values are the offensive capabilities.
struct DaccRun {
    model: DaccModel,
    dt: f64,
}

impl Model for DaccRun {
    fn step(&mut self, _step: u64, t: f64) -> Result<(), ModelError> {
        self.model.step(t, self.dt);
        Ok(())
    }
    fn values(&self) -> &[f64] {
        self.model.offence()
    }
    fn observe(&self, out: &mut Vec<f64>) {
        let s = self.model.stats();
        out.extend([
            s.survival,
            f64::from(u8::from(s.alive)),
            s.catastrophes as f64,
            s.expected_harm,
            s.harm,
            s.hazard,
        ]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(n: usize) -> DaccParams {
        DaccParams {
            offence: vec![1.0; n],
            defence: vec![1.0; n],
            attempt_rate: 0.01,
            decisiveness: 1.0,
            diffusion: 0.0,
            offence_growth: 0.0,
            defence_growth: 0.0,
            hegemon: false,
            hegemon_attempt_rate: 0.01,
        }
    }

    #[test]
    fn hazards_for_equal_actors() {
        // Private defence: s = 1/(1+1) = ½ for everyone. Open (θ = 1): D = 4, s = 1/5.
        // Hegemon: A = D = 4: s = ½, one attacker.
        let mut p = params(4);
        let (mut h, mut a) = (Vec::new(), Vec::new());
        p.hazards(0.0, &mut h, &mut a);
        assert_eq!(h, vec![0.005; 4]);
        p.diffusion = 1.0;
        p.hazards(0.0, &mut h, &mut a);
        assert!(h.iter().all(|x| (x - 0.002).abs() < 1e-18));
        p.hegemon = true;
        p.hazards(0.0, &mut h, &mut a);
        assert_eq!(h, vec![0.005, 0.0, 0.0, 0.0]);
        assert_eq!(a, vec![4.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn weakest_target_excludes_the_attacker() {
        let mut p = params(3);
        p.defence = vec![0.0, 1.0, 3.0];
        p.offence = vec![1.0, 1.0, 0.0];
        let (mut h, mut a) = (Vec::new(), Vec::new());
        p.hazards(0.0, &mut h, &mut a);
        // Actor 0's weakest target is actor 1 (d = 1): s = ½. Actor 1 targets actor 0
        // (d = 0): s = 1. Actor 2 has no offence.
        assert_eq!(h, vec![0.005, 0.01, 0.0]);
    }

    #[test]
    fn parameters_are_checked() {
        let mut p = params(1);
        assert!(matches!(p.check(), Err(DaccError::Actors { .. })));
        p.hegemon = true;
        assert!(p.check().is_ok());
        p.diffusion = 2.0;
        assert!(p.check().is_err());
        let mut p = params(2);
        p.defence[1] = -1.0;
        assert!(matches!(
            p.check(),
            Err(DaccError::Capability { actor: 1, .. })
        ));
    }
}
