//! The veto simulation (`counterweight govern simulate`): agents on top of the shell.
//!
//! A population of stETH holders (explicit stakes, or Pareto/lognormal with a count and a
//! total share), a Poisson stream of DAO proposals (honest or harmful), holders who detect a
//! harmful proposal with some probability and lock their whole stake after a lognormal
//! reaction time, and holders who oppose honest proposals anyway. The DAO submits every
//! proposal on arrival (retrying while submission is blocked), schedules and executes as
//! early as the rules allow, and — once a veto signal has lasted `cancel_after` with a harmful
//! proposal pending — cancels all pending proposals with probability `cancel_probability`
//! (honest ones are resubmitted). Opponents stay locked while a proposal they oppose is
//! unresolved and unlock afterwards. A rage quit takes every holder locked in the escrow out
//! of the population ("stake that left"); the exogenous withdrawal process takes
//! `withdrawals_duration`, after which the extension starts.
//!
//! Time advances in ticks of `tick` seconds, with an activation every tick. Each replicate
//! draws from its own ChaCha8 stream `rng::stream(seed, replicate)`, so results do not depend
//! on thread count. Pure: no printing, no files (the CLI writes outputs via `io`).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rand::RngExt;
use rand_distr::{Distribution, Exp, LogNormal, Pareto};
use rayon::prelude::*;
use serde::Deserialize;
use toml::Spanned;

use super::config::Config;
use super::state_machine::State;
use super::system::DualGovernance;
use super::timeline::{
    RawConfig, T0, TimelineError, duration_value, parse_config, parse_percent_d16,
};
use super::types::{PercentD16, Timestamp};
use crate::registry::{
    ChartDef, ColumnDef, Model, ModelDef, ModelError, ModelSetup, Observation, PanelDef, ParamInfo,
    ValidateCx,
};
use crate::scenario::{FieldError, Scenario};
use crate::setup::TimeGrid;

/// How a group's stakes are given.
#[derive(Debug, Clone, PartialEq)]
pub enum Stakes {
    /// Shares of the total supply, one per holder.
    Explicit(Vec<f64>),
    /// `count` holders with Pareto(alpha) stakes scaled to `total` share, each at most
    /// `max` (excess redistributed pro rata to the others).
    Pareto {
        /// Number of holders, 1 to 10,000,000.
        count: usize,
        /// Pareto tail exponent (> 0; default 1.5): smaller is more unequal.
        alpha: f64,
        /// Share of the supply the group holds together, in `[0, 1]`.
        total: f64,
        /// Cap on one holder's share; `count * max` must exceed `total`.
        max: Option<f64>,
    },
    /// `count` holders with lognormal(sigma) stakes scaled to `total` share.
    Lognormal {
        /// Number of holders, 1 to 10,000,000.
        count: usize,
        /// Standard deviation of ln(stake) (> 0; default 1.5).
        sigma: f64,
        /// Share of the supply the group holds together, in `[0, 1]`.
        total: f64,
        /// Cap on one holder's share; `count * max` must exceed `total`.
        max: Option<f64>,
    },
}

/// One group of holders with common behaviour.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The group's name (`[[group]] name`), used in outputs.
    pub name: String,
    /// How many holders and what they hold.
    pub stakes: Stakes,
    /// Probability a holder detects (and opposes) a harmful proposal.
    pub detect_probability: f64,
    /// Probability a holder opposes an honest proposal anyway.
    pub oppose_honest_probability: f64,
    /// Reaction time (seconds from submission to lock): lognormal with this median ...
    pub reaction_median: u64,
    /// ... and this sigma of ln(time).
    pub reaction_sigma: f64,
}

/// A validated simulation scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct SimScenario {
    /// Scenario name (default `"veto"`).
    pub name: String,
    /// Free text shown in reports.
    pub description: String,
    /// Master seed (default 1); replicate r draws from `rng::stream(seed, r)`.
    pub seed: u64,
    /// Number of replicates, 1 to 1,000,000 (default 100).
    pub replicates: u32,
    /// Seconds during which proposals arrive and state time is measured.
    pub horizon: u64,
    /// Extra seconds after the horizon for pending proposals to resolve.
    pub drain: u64,
    /// Seconds between activations (> 0; default 1 h): the model's time step.
    pub tick: u64,
    /// Dual Governance parameters (`[config]`, mainnet by default).
    pub config: Config,
    /// stETH total supply at the start, in wei (default 9,000,000 stETH).
    pub total_supply: u128,
    /// Holder groups (`[[group]]`, at least one; together at most 100 % of the supply).
    pub groups: Vec<Group>,
    /// Poisson rate of DAO proposals per year of 365 days (> 0; default 24).
    pub proposals_per_year: f64,
    /// Probability that a proposal is harmful, in `[0, 1]` (default 0.1).
    pub harmful_share: f64,
    /// Probability that the DAO cancels all pending proposals once a veto signal against a
    /// harmful proposal has lasted `cancel_after`, in `[0, 1]` (default 0.5; decided once per
    /// veto signal).
    pub cancel_probability: f64,
    /// Seconds a veto signal must last before the DAO considers cancelling (default 1 d).
    pub cancel_after: u64,
    /// Seconds the exogenous withdrawals of a rage quit take before the extension starts
    /// (default 14 d).
    pub withdrawals_duration: u64,
}

/// The built-in default scenario (also shipped as scenarios/governance/simulate/default.toml).
pub const DEFAULT_SCENARIO: &str =
    include_str!("../../../../../scenarios/governance/simulate/default.toml");

// ---------------------------------------------------------------------------- format

type V = Option<Spanned<toml::Value>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSim {
    name: Option<String>,
    /// `"veto"` when the file is a scenario of the registered model.
    #[allow(dead_code)]
    model: Option<String>,
    description: Option<String>,
    seed: Option<u64>,
    replicates: Option<Spanned<i64>>,
    horizon: V,
    drain: V,
    tick: V,
    config: Option<RawConfig>,
    proposals: Option<RawProposals>,
    dao: Option<RawDao>,
    rage_quit: Option<RawRageQuit>,
    #[serde(default)]
    group: Vec<RawGroup>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProposals {
    per_year: Option<Spanned<f64>>,
    harmful_share: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDao {
    cancel_probability: Option<Spanned<f64>>,
    cancel_after: V,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRageQuit {
    withdrawals_duration: V,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    name: Spanned<String>,
    stakes: Option<Vec<Spanned<String>>>,
    distribution: Option<Spanned<String>>,
    count: Option<Spanned<i64>>,
    total: Option<Spanned<String>>,
    max: Option<Spanned<String>>,
    alpha: Option<Spanned<f64>>,
    sigma: Option<Spanned<f64>>,
    detect_probability: Option<Spanned<f64>>,
    oppose_honest_probability: Option<Spanned<f64>>,
    reaction_median: V,
    reaction_sigma: Option<Spanned<f64>>,
}

fn share(s: &Spanned<String>) -> Result<f64, TimelineError> {
    let p = parse_percent_d16(s.get_ref()).map_err(|m| TimelineError {
        message: m,
        span: Some(s.span()),
    })?;
    if p > PercentD16::HUNDRED {
        return Err(TimelineError {
            message: "a share cannot exceed 100%".into(),
            span: Some(s.span()),
        });
    }
    Ok(p.0 as f64 / PercentD16::HUNDRED.0 as f64)
}

fn prob(v: &Option<Spanned<f64>>, default: f64) -> Result<f64, TimelineError> {
    match v {
        None => Ok(default),
        Some(p) if (0.0..=1.0).contains(p.get_ref()) => Ok(*p.get_ref()),
        Some(p) => Err(TimelineError {
            message: format!("a probability is in [0, 1], got {}", p.get_ref()),
            span: Some(p.span()),
        }),
    }
}

fn positive(v: &Option<Spanned<f64>>, default: f64, what: &str) -> Result<f64, TimelineError> {
    match v {
        None => Ok(default),
        Some(p) if *p.get_ref() > 0.0 && p.get_ref().is_finite() => Ok(*p.get_ref()),
        Some(p) => Err(TimelineError {
            message: format!("{what} must be positive, got {}", p.get_ref()),
            span: Some(p.span()),
        }),
    }
}

fn dur(v: &V, default: u64) -> Result<u64, TimelineError> {
    v.as_ref().map_or(Ok(default), duration_value)
}

/// A duration in `[lo, hi]` seconds (e.g. a horizon of at least one second and at most
/// the timelines' `MAX_TIME`), located at the value when it is outside.
fn dur_in(v: &V, default: u64, lo: u64, hi: u64, what: &str) -> Result<u64, TimelineError> {
    let d = dur(v, default)?;
    if (lo..=hi).contains(&d) {
        return Ok(d);
    }
    Err(TimelineError {
        message: format!(
            "{what} must be between {} and {}, got {}",
            crate::governance::dual::types::human_seconds(lo),
            crate::governance::dual::types::human_seconds(hi),
            crate::governance::dual::types::human_seconds(d)
        ),
        span: v.as_ref().map(|s| s.span()),
    })
}

/// Parse and validate a simulation scenario.
pub fn parse(src: &str) -> Result<SimScenario, TimelineError> {
    let raw: RawSim = toml::from_str(src).map_err(|e| TimelineError {
        message: e.message().trim().to_string(),
        span: e.span(),
    })?;
    let (config, total_supply) = parse_config(raw.config.as_ref())?;
    let err = |span: std::ops::Range<usize>, m: &str| TimelineError {
        message: m.to_string(),
        span: Some(span),
    };
    let replicates = match &raw.replicates {
        None => 100,
        Some(r) if *r.get_ref() >= 1 && *r.get_ref() <= 1_000_000 => *r.get_ref() as u32,
        Some(r) => return Err(err(r.span(), "replicates must be between 1 and 1000000")),
    };
    let tick = dur(&raw.tick, 3600)?;
    if tick == 0 {
        return Err(err(
            raw.tick.as_ref().unwrap().span(),
            "tick must be positive",
        ));
    }
    let mut groups = Vec::new();
    for g in &raw.group {
        let stakes = match (&g.stakes, &g.distribution) {
            (Some(_), Some(d)) => {
                return Err(err(
                    d.span(),
                    "a group has `stakes` or `distribution`, not both",
                ));
            }
            (Some(list), None) => {
                Stakes::Explicit(list.iter().map(share).collect::<Result<_, _>>()?)
            }
            (None, Some(d)) => {
                let count = match &g.count {
                    Some(c) if *c.get_ref() >= 1 && *c.get_ref() <= 10_000_000 => {
                        *c.get_ref() as usize
                    }
                    Some(c) => return Err(err(c.span(), "count must be between 1 and 10000000")),
                    None => return Err(err(d.span(), "a distribution needs `count`")),
                };
                let total = match &g.total {
                    Some(t) => share(t)?,
                    None => {
                        return Err(err(
                            d.span(),
                            "a distribution needs `total` (a share, e.g. \"30%\")",
                        ));
                    }
                };
                let max = g.max.as_ref().map(share).transpose()?;
                if let (Some(m), Some(span)) = (max, g.max.as_ref().map(|m| m.span()))
                    && m * count as f64 <= total
                {
                    return Err(err(span, "count * max must exceed total"));
                }
                match d.get_ref().as_str() {
                    "pareto" => Stakes::Pareto {
                        count,
                        alpha: positive(&g.alpha, 1.5, "alpha")?,
                        total,
                        max,
                    },
                    "lognormal" => Stakes::Lognormal {
                        count,
                        sigma: positive(&g.sigma, 1.5, "sigma")?,
                        total,
                        max,
                    },
                    other => {
                        return Err(err(
                            d.span(),
                            &format!(
                                "unknown distribution {other:?}; use \"pareto\" or \"lognormal\""
                            ),
                        ));
                    }
                }
            }
            (None, None) => {
                return Err(err(
                    g.name.span(),
                    "a group needs `stakes` or `distribution`",
                ));
            }
        };
        groups.push(Group {
            name: g.name.get_ref().clone(),
            stakes,
            detect_probability: prob(&g.detect_probability, 0.5)?,
            oppose_honest_probability: prob(&g.oppose_honest_probability, 0.0)?,
            reaction_median: dur_in(
                &g.reaction_median,
                2 * 86_400,
                1,
                super::timeline::MAX_TIME,
                "reaction_median",
            )?,
            reaction_sigma: positive(&g.reaction_sigma, 1.0, "reaction_sigma")?,
        });
    }
    let total_share: f64 = groups
        .iter()
        .map(|g| match &g.stakes {
            Stakes::Explicit(v) => v.iter().sum(),
            Stakes::Pareto { total, .. } | Stakes::Lognormal { total, .. } => *total,
        })
        .sum();
    if total_share > 1.0 + 1e-12 {
        return Err(TimelineError {
            message: format!(
                "the groups hold {:.4}% of the supply, more than 100%",
                total_share * 100.0
            ),
            span: raw.group.first().map(|g| g.name.span()),
        });
    }
    if groups.is_empty() {
        return Err(TimelineError {
            message: "no [[group]] of holders".into(),
            span: None,
        });
    }
    let (per_year, harmful_share) = match &raw.proposals {
        None => (24.0, 0.1),
        Some(p) => (
            positive(&p.per_year, 24.0, "per_year")?,
            prob(&p.harmful_share, 0.1)?,
        ),
    };
    let (cancel_probability, cancel_after) = match &raw.dao {
        None => (0.5, 86_400),
        Some(d) => (
            prob(&d.cancel_probability, 0.5)?,
            dur(&d.cancel_after, 86_400)?,
        ),
    };
    let withdrawals_duration = match &raw.rage_quit {
        None => 14 * 86_400,
        Some(r) => dur(&r.withdrawals_duration, 14 * 86_400)?,
    };
    Ok(SimScenario {
        name: raw.name.unwrap_or_else(|| "veto".into()),
        description: raw.description.unwrap_or_default(),
        seed: raw.seed.unwrap_or(1),
        replicates,
        horizon: dur_in(
            &raw.horizon,
            730 * 86_400,
            1,
            super::timeline::MAX_TIME,
            "horizon",
        )?,
        drain: dur_in(
            &raw.drain,
            365 * 86_400,
            0,
            super::timeline::MAX_TIME,
            "drain",
        )?,
        tick,
        config,
        total_supply,
        groups,
        proposals_per_year: per_year,
        harmful_share,
        cancel_probability,
        cancel_after,
        withdrawals_duration,
    })
}

// ---------------------------------------------------------------------------- results

/// Outcomes of one replicate.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReplicateResult {
    /// Replicate number (0-based), which also keys its random stream.
    pub replicate: u32,
    /// Harmful proposals that arrived during the horizon.
    pub harmful: u32,
    /// Harmful proposals executed.
    pub harmful_executed: u32,
    /// Never executed (cancelled, or still pending at the end of the drain period).
    pub harmful_blocked: u32,
    /// Executed after a rage quit that started after its submission (opponents had exited).
    pub harmful_executed_after_rage_quit: u32,
    /// Honest proposals that arrived during the horizon.
    pub honest: u32,
    /// Honest proposals executed.
    pub honest_executed: u32,
    /// Arrival -> execution, seconds, per executed honest proposal (in arrival order).
    pub honest_delays: Vec<u64>,
    /// Seconds in each state (order of `State::ALL`) during the horizon.
    pub state_time: [u64; 5],
    /// Entries into VetoSignalling from Normal/VetoCooldown/RageQuit.
    pub veto_signals: u32,
    /// Entries into RageQuit.
    pub rage_quits: u32,
    /// Stake that left by rage quit, as a share of the initial supply.
    pub stake_left: f64,
    /// Times the DAO cancelled all pending proposals.
    pub cancellations: u32,
}

/// All replicates, in replicate order.
#[derive(Debug, Clone, PartialEq)]
pub struct SimResult {
    /// One result per replicate, replicate 0 first.
    pub replicates: Vec<ReplicateResult>,
}

/// Aggregates over replicates.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Number of replicates.
    pub replicates: usize,
    /// Harmful proposals over all replicates.
    pub harmful: u64,
    /// Share of harmful proposals never executed (NaN without harmful proposals).
    pub harmful_blocked_share: f64,
    /// Share of harmful proposals executed after a rage quit (NaN without harmful proposals).
    pub harmful_executed_after_rage_quit_share: f64,
    /// Honest proposals over all replicates.
    pub honest: u64,
    /// Share of honest proposals executed (NaN without honest proposals).
    pub honest_executed_share: f64,
    /// Honest delay quantiles in days: mean, p50, p90, p99, max.
    pub honest_delay_days: [f64; 5],
    /// Mean share of the horizon in each state.
    pub state_share: [f64; 5],
    /// Mean entries into VetoSignalling per replicate.
    pub veto_signals_per_replicate: f64,
    /// Mean rage quits per replicate.
    pub rage_quits_per_replicate: f64,
    /// Mean share of the initial supply that left by rage quit.
    pub stake_left_mean: f64,
    /// Mean cancellations per replicate.
    pub cancellations_per_replicate: f64,
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i]
}

impl SimResult {
    /// Aggregate the replicates: totals, shares over all proposals pooled, delay quantiles
    /// (nearest rank) over all honest delays pooled, means per replicate.
    pub fn summary(&self) -> Summary {
        let n = self.replicates.len().max(1) as f64;
        let sum =
            |f: &dyn Fn(&ReplicateResult) -> u64| -> u64 { self.replicates.iter().map(f).sum() };
        let harmful = sum(&|r| r.harmful as u64);
        let honest = sum(&|r| r.honest as u64);
        let mut delays: Vec<f64> = self
            .replicates
            .iter()
            .flat_map(|r| r.honest_delays.iter().map(|&d| d as f64 / 86_400.0))
            .collect();
        delays.sort_by(|a, b| a.total_cmp(b));
        let mean = if delays.is_empty() {
            f64::NAN
        } else {
            delays.iter().sum::<f64>() / delays.len() as f64
        };
        let mut state_share = [0.0; 5];
        for r in &self.replicates {
            let total: u64 = r.state_time.iter().sum();
            for (s, t) in state_share.iter_mut().zip(r.state_time) {
                *s += t as f64 / total.max(1) as f64 / n;
            }
        }
        let ratio = |a: u64, b: u64| {
            if b == 0 {
                f64::NAN
            } else {
                a as f64 / b as f64
            }
        };
        Summary {
            replicates: self.replicates.len(),
            harmful,
            harmful_blocked_share: ratio(sum(&|r| r.harmful_blocked as u64), harmful),
            harmful_executed_after_rage_quit_share: ratio(
                sum(&|r| r.harmful_executed_after_rage_quit as u64),
                harmful,
            ),
            honest,
            honest_executed_share: ratio(sum(&|r| r.honest_executed as u64), honest),
            honest_delay_days: [
                mean,
                quantile(&delays, 0.5),
                quantile(&delays, 0.9),
                quantile(&delays, 0.99),
                delays.last().copied().unwrap_or(f64::NAN),
            ],
            state_share,
            veto_signals_per_replicate: sum(&|r| r.veto_signals as u64) as f64 / n,
            rage_quits_per_replicate: sum(&|r| r.rage_quits as u64) as f64 / n,
            stake_left_mean: self.replicates.iter().map(|r| r.stake_left).sum::<f64>() / n,
            cancellations_per_replicate: sum(&|r| r.cancellations as u64) as f64 / n,
        }
    }
}

// ---------------------------------------------------------------------------- engine

struct HolderState {
    stake: u128,
    group: usize,
    locked: bool,
    /// Unresolved proposals this holder opposes.
    opposing: u32,
    gone: bool,
}

struct Prop {
    harmful: bool,
    arrival: u64,
    /// Current timelock id (None: waiting to be (re)submitted).
    id: Option<u64>,
    scheduled: bool,
    executed: bool,
    /// Harmful and cancelled: never resubmitted.
    dropped: bool,
    opponents: Vec<u32>,
    rage_quits_at_submission: u32,
}

impl Prop {
    fn resolved(&self) -> bool {
        self.executed || self.dropped
    }
}

/// Scale `xs` to sum to `total` with every value at most `max`: capped values are fixed
/// at `max` and the rest rescaled, until nothing exceeds the cap.
fn scale_capped(mut xs: Vec<f64>, total: f64, max: Option<f64>) -> Vec<f64> {
    let sum: f64 = xs.iter().sum();
    xs.iter_mut().for_each(|x| *x *= total / sum);
    if let Some(m) = max {
        for _ in 0..100 {
            let over: f64 = xs.iter().filter(|&&x| x >= m).count() as f64 * m;
            let free: f64 = xs.iter().filter(|&&x| x < m).sum();
            if xs.iter().all(|&x| x < m) || free <= 0.0 {
                break;
            }
            let k = (total - over) / free;
            let mut changed = false;
            for x in xs.iter_mut() {
                if *x >= m {
                    changed |= *x != m;
                    *x = m;
                } else {
                    *x *= k;
                }
            }
            if !changed && xs.iter().all(|&x| x <= m) {
                break;
            }
        }
        xs.iter_mut().for_each(|x| *x = x.min(m));
    }
    xs
}

/// Realise the holders' stakes (shares of the supply) for one replicate.
fn realise_stakes(sc: &SimScenario, rng: &mut impl rand::Rng) -> Vec<(f64, usize)> {
    let mut out = Vec::new();
    for (gi, g) in sc.groups.iter().enumerate() {
        match &g.stakes {
            Stakes::Explicit(v) => out.extend(v.iter().map(|&s| (s, gi))),
            Stakes::Pareto {
                count,
                alpha,
                total,
                max,
            } => {
                let d = Pareto::new(1.0, *alpha).expect("alpha > 0");
                let xs: Vec<f64> = (0..*count).map(|_| d.sample(rng)).collect();
                out.extend(scale_capped(xs, *total, *max).into_iter().map(|x| (x, gi)));
            }
            Stakes::Lognormal {
                count,
                sigma,
                total,
                max,
            } => {
                let d = LogNormal::new(0.0, *sigma).expect("sigma > 0");
                let xs: Vec<f64> = (0..*count).map(|_| d.sample(rng)).collect();
                out.extend(scale_capped(xs, *total, *max).into_iter().map(|x| (x, gi)));
            }
        }
    }
    out
}

/// One replicate of the veto simulation as a stepped model: each step is one tick (one
/// activation of the state machine and the agents' decisions at time `t`).
pub struct VetoRun {
    sc: SimScenario,
    rng: rand_chacha::ChaCha8Rng,
    dg: DualGovernance,
    supply0: f64,
    holders: Vec<HolderState>,
    reaction: Vec<LogNormal<f64>>,
    arrivals: Exp<f64>,
    res: ReplicateResult,
    props: Vec<Prop>,
    /// (time, holder, proposal) reactions, earliest first.
    reactions: BinaryHeap<Reverse<(u64, u32, u32)>>,
    next_arrival: u64,
    rq_withdrawals_at: Option<u64>,
    cancel_decided_for: Option<Timestamp>,
    last_rq_escrow: Option<usize>,
    last_t_act: Timestamp,
    stake_left: u128,
    /// Seconds since the start of the simulation of the next tick.
    t: u64,
}

impl VetoRun {
    /// Replicate `replicate`: its own stream `rng::stream(seed, replicate)`.
    pub fn new(sc: &SimScenario, replicate: u32) -> VetoRun {
        let mut rng = crate::rng::stream(sc.seed, replicate as u64);
        let dg = DualGovernance::new(sc.config, sc.total_supply, T0).expect("validated config");
        let supply0 = sc.total_supply as f64;
        let holders: Vec<HolderState> = realise_stakes(sc, &mut rng)
            .into_iter()
            .map(|(s, g)| HolderState {
                stake: ((s * supply0) as u128).max(1),
                group: g,
                locked: false,
                opposing: 0,
                gone: false,
            })
            .collect();
        let reaction: Vec<LogNormal<f64>> = sc
            .groups
            .iter()
            .map(|g| {
                LogNormal::new((g.reaction_median as f64).ln(), g.reaction_sigma)
                    .expect("sigma > 0")
            })
            .collect();
        let arrivals = Exp::new(sc.proposals_per_year / (365.0 * 86_400.0)).expect("rate > 0");
        let next_arrival = arrivals.sample(&mut rng) as u64;
        VetoRun {
            last_rq_escrow: dg.rage_quit_escrow,
            last_t_act: dg.ctx.veto_signalling_activated_at,
            sc: sc.clone(),
            rng,
            dg,
            supply0,
            holders,
            reaction,
            arrivals,
            res: ReplicateResult {
                replicate,
                ..Default::default()
            },
            props: Vec::new(),
            reactions: BinaryHeap::new(),
            next_arrival,
            rq_withdrawals_at: None,
            cancel_decided_for: None,
            stake_left: 0,
            t: 0,
        }
    }

    /// The number of ticks in a run: every `tick` from 0 to `horizon + drain`.
    pub fn ticks(sc: &SimScenario) -> u64 {
        (sc.horizon + sc.drain) / sc.tick + 1
    }

    /// Bookkeeping after any call: rage-quit entry (exits), veto-signal count.
    fn observe_dg(&mut self, t: u64) {
        if self.dg.rage_quit_escrow != self.last_rq_escrow {
            self.last_rq_escrow = self.dg.rage_quit_escrow;
            self.res.rage_quits += 1;
            let esc = &self.dg.escrows[self.last_rq_escrow.expect("just entered")];
            for (h, hs) in self.holders.iter_mut().enumerate() {
                if hs.locked && esc.holds_stake_of(h as u32) {
                    hs.gone = true;
                    hs.locked = false;
                    self.stake_left += hs.stake;
                }
            }
            self.rq_withdrawals_at = Some(t + self.sc.withdrawals_duration);
        }
        if self.dg.ctx.veto_signalling_activated_at != self.last_t_act {
            self.last_t_act = self.dg.ctx.veto_signalling_activated_at;
            self.res.veto_signals += 1;
        }
    }

    /// One tick at time `self.t`, then advance the clock.
    pub fn tick(&mut self) {
        let t = self.t;
        let now = Timestamp(T0.0 + t);
        self.dg.activate_next_state(now);
        self.observe_dg(t);

        // exogenous rage-quit withdrawals, then the extension
        if let Some(at) = self.rq_withdrawals_at
            && t >= at
        {
            let _ = self.dg.withdrawals_done(now);
            let _ = self.dg.start_extension(now);
            self.rq_withdrawals_at = None;
        }

        // proposal arrivals
        while t < self.sc.horizon && self.next_arrival <= t {
            let harmful = self.rng.random_bool(self.sc.harmful_share);
            let pi = self.props.len() as u32;
            for (h, hs) in self.holders.iter().enumerate() {
                if hs.gone {
                    continue;
                }
                let g = &self.sc.groups[hs.group];
                let p = if harmful {
                    g.detect_probability
                } else {
                    g.oppose_honest_probability
                };
                if p > 0.0 && self.rng.random_bool(p) {
                    let delay = self.reaction[hs.group].sample(&mut self.rng).min(1e12) as u64;
                    self.reactions
                        .push(Reverse((self.next_arrival + delay, h as u32, pi)));
                }
            }
            if harmful {
                self.res.harmful += 1;
            } else {
                self.res.honest += 1;
            }
            self.props.push(Prop {
                harmful,
                arrival: self.next_arrival,
                id: None,
                scheduled: false,
                executed: false,
                dropped: false,
                opponents: Vec::new(),
                rage_quits_at_submission: self.res.rage_quits,
            });
            self.next_arrival += (self.arrivals.sample(&mut self.rng) as u64).max(1);
        }

        // holders react
        while let Some(Reverse((at, h, p))) = self.reactions.peek().copied() {
            if at > t {
                break;
            }
            self.reactions.pop();
            let (hu, pu) = (h as usize, p as usize);
            if self.holders[hu].gone || self.props[pu].resolved() {
                continue;
            }
            self.holders[hu].opposing += 1;
            self.props[pu].opponents.push(h);
            if !self.holders[hu].locked {
                let e = self.dg.signalling_escrow;
                if self.dg.lock(e, h, self.holders[hu].stake, now).is_ok() {
                    self.holders[hu].locked = true;
                }
                self.observe_dg(t);
            }
        }

        // the DAO: submit, schedule, execute
        for i in 0..self.props.len() {
            let p = &self.props[i];
            if p.resolved() || p.arrival > t {
                continue;
            }
            match (p.id, p.scheduled) {
                (None, _) => {
                    if let Ok(id) = self.dg.submit(now) {
                        self.props[i].id = Some(id);
                        self.props[i].rage_quits_at_submission = self.res.rage_quits;
                    }
                }
                (Some(id), false) => {
                    if self.dg.schedule(id, now).is_ok() {
                        self.props[i].scheduled = true;
                    }
                }
                (Some(id), true) => {
                    if self.dg.execute(id, now).is_ok() {
                        let p = &mut self.props[i];
                        p.executed = true;
                        if p.harmful {
                            self.res.harmful_executed += 1;
                            if self.res.rage_quits > p.rage_quits_at_submission {
                                self.res.harmful_executed_after_rage_quit += 1;
                            }
                        } else {
                            self.res.honest_executed += 1;
                            self.res.honest_delays.push(t - p.arrival);
                        }
                        for &h in &p.opponents {
                            let hs = &mut self.holders[h as usize];
                            hs.opposing = hs.opposing.saturating_sub(1);
                        }
                    }
                }
            }
            self.observe_dg(t);
        }

        // the DAO cancels when a veto against a harmful proposal has lasted long enough
        let st = self.dg.persisted_state();
        let activated = self.dg.ctx.veto_signalling_activated_at;
        if matches!(
            st,
            State::VetoSignalling | State::VetoSignallingDeactivation
        ) && self.cancel_decided_for != Some(activated)
            && now.0 >= activated.0 + self.sc.cancel_after
            && self
                .props
                .iter()
                .any(|p| p.harmful && !p.resolved() && p.id.is_some())
        {
            self.cancel_decided_for = Some(activated);
            if self.rng.random_bool(self.sc.cancel_probability)
                && self.dg.cancel_all(now) == Ok(true)
            {
                self.res.cancellations += 1;
                for p in self.props.iter_mut() {
                    if p.resolved() || p.id.is_none() {
                        continue;
                    }
                    if p.harmful {
                        p.dropped = true;
                        for &h in &p.opponents {
                            let hs = &mut self.holders[h as usize];
                            hs.opposing = hs.opposing.saturating_sub(1);
                        }
                    } else {
                        p.id = None;
                        p.scheduled = false;
                    }
                }
            }
            self.observe_dg(t);
        }

        // holders with nothing left to oppose unlock (retry until the min lock passed)
        for h in 0..self.holders.len() {
            let hs = &self.holders[h];
            if hs.locked && hs.opposing == 0 && !hs.gone {
                let e = self.dg.signalling_escrow;
                if self.dg.unlock(e, h as u32, now).is_ok() {
                    self.holders[h].locked = false;
                }
                self.observe_dg(t);
            }
        }

        if t < self.sc.horizon {
            self.res.state_time[self.dg.persisted_state().index()] +=
                self.sc.tick.min(self.sc.horizon - t);
        }
        self.t += self.sc.tick;
    }

    /// The outcomes so far (final after the last tick).
    pub fn result(&self) -> ReplicateResult {
        let mut res = self.res.clone();
        res.harmful_blocked = res.harmful - res.harmful_executed;
        res.stake_left = self.stake_left as f64 / self.supply0;
        res
    }

    /// The persisted state now.
    pub fn state(&self) -> State {
        self.dg.persisted_state()
    }
}

/// Run one replicate.
pub fn run_replicate(sc: &SimScenario, replicate: u32) -> ReplicateResult {
    let mut run = VetoRun::new(sc, replicate);
    for _ in 0..VetoRun::ticks(sc) {
        run.tick();
    }
    run.result()
}

/// Run every replicate (in parallel; results in replicate order, independent of threads).
pub fn simulate(sc: &SimScenario) -> SimResult {
    SimResult {
        replicates: (0..sc.replicates)
            .into_par_iter()
            .map(|r| run_replicate(sc, r))
            .collect(),
    }
}

/// Apply `key=value` overrides (dotted keys, e.g. `config.first_seal=0.5%`,
/// `proposals.harmful_share=0.2`, `replicates=50`) to scenario TOML and return the new text.
/// A value that is valid TOML (`0.2`, `50`, `"1%"`) is used as is; anything else is taken as
/// a string (so `config.first_seal=0.5%` works unquoted).
pub fn apply_overrides(src: &str, sets: &[String]) -> Result<String, TimelineError> {
    let mut doc: toml::Table = toml::from_str(src).map_err(|e| TimelineError {
        message: e.message().trim().to_string(),
        span: e.span(),
    })?;
    for s in sets {
        let (key, value) = s.split_once('=').ok_or_else(|| TimelineError {
            message: format!("--set {s:?}: expected key=value"),
            span: None,
        })?;
        let value: toml::Value =
            match toml::from_str::<toml::Table>(&format!("v = {}", value.trim())) {
                Ok(mut t) => t.remove("v").expect("v"),
                Err(_) => toml::Value::String(value.trim().to_string()),
            };
        let parts: Vec<&str> = key.trim().split('.').collect();
        let mut table = &mut doc;
        for p in &parts[..parts.len() - 1] {
            table = table
                .entry(p.to_string())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()))
                .as_table_mut()
                .ok_or_else(|| TimelineError {
                    message: format!("--set {s:?}: {p} is not a table"),
                    span: None,
                })?;
        }
        table.insert(parts[parts.len() - 1].to_string(), value);
    }
    toml::to_string(&doc).map_err(|e| TimelineError {
        message: e.to_string(),
        span: None,
    })
}

// ---------------------------------------------------------------------------- the model

/// The veto simulation as a registered model (`model = "veto"`): one step is one tick;
/// model time is in days. Its sections are those of `govern simulate` files: `horizon`,
/// `drain`, `tick`, `[config]`, `[proposals]`, `[dao]`, `[rage_quit]`, `[[group]]`.
pub struct Veto;

/// The veto model's name (`model = "veto"`), which `counterweight govern simulate` sets.
pub const MODEL: &str = "veto";
/// The embedded example `govern simulate` runs when given no file.
pub const DEFAULT_EXAMPLE: &str = "veto-default";

/// The keys of a veto simulation scenario besides the common ones.
const VETO_KEYS: &[&str] = &[
    "horizon",
    "drain",
    "tick",
    "config",
    "proposals",
    "dao",
    "rage_quit",
    "group",
];

/// The columns a veto simulation records: outcomes so far (final at the last step), then
/// the share of the horizon spent in each state so far and the state now.
fn veto_columns() -> Vec<ColumnDef> {
    let mut c = vec![
        ColumnDef::count("harmful", "harmful proposals"),
        ColumnDef::count("harmful_executed", "harmful proposals executed"),
        ColumnDef::count("harmful_blocked", "harmful proposals blocked"),
        ColumnDef::count(
            "harmful_executed_after_rage_quit",
            "harmful executed after a rage quit",
        ),
        ColumnDef::share(
            "harmful_blocked_share",
            "share of harmful proposals blocked",
        ),
        ColumnDef::count("honest", "honest proposals"),
        ColumnDef::count("honest_executed", "honest proposals executed"),
        ColumnDef::share(
            "honest_executed_share",
            "share of honest proposals executed",
        ),
        ColumnDef::real(
            "honest_delay_mean_days",
            "mean delay of honest proposals (days)",
        ),
        ColumnDef::real(
            "honest_delay_max_days",
            "longest delay of an honest proposal (days)",
        ),
        ColumnDef::count("veto_signals", "veto signals"),
        ColumnDef::count("rage_quits", "rage quits"),
        ColumnDef::count("cancellations", "cancellations by the DAO"),
        ColumnDef::share(
            "stake_left",
            "stake that left by rage quit (share of supply)",
        ),
    ];
    const TIME_SHARE: [&str; 5] = [
        "time_share.Normal",
        "time_share.VetoSignalling",
        "time_share.VetoSignallingDeactivation",
        "time_share.VetoCooldown",
        "time_share.RageQuit",
    ];
    debug_assert!(
        State::ALL
            .iter()
            .zip(TIME_SHARE)
            .all(|(s, n)| n == format!("time_share.{}", s.name()))
    );
    c.extend(
        TIME_SHARE
            .iter()
            .map(|&n| ColumnDef::share(n, "share of the horizon in this state")),
    );
    c.push(ColumnDef::count(
        "state",
        "persisted state now (0 Normal, 1 VetoSignalling, 2 Deactivation, 3 VetoCooldown, 4 RageQuit)",
    ));
    c
}

/// The final metrics of one replicate, in the order of the veto model's columns (without
/// `state`).
pub fn finals(r: &ReplicateResult) -> Vec<f64> {
    let ratio = |a: u32, b: u32| {
        if b == 0 {
            f64::NAN
        } else {
            f64::from(a) / f64::from(b)
        }
    };
    let days: Vec<f64> = r
        .honest_delays
        .iter()
        .map(|&d| d as f64 / 86_400.0)
        .collect();
    let mean = if days.is_empty() {
        f64::NAN
    } else {
        days.iter().sum::<f64>() / days.len() as f64
    };
    let max = days.iter().copied().fold(f64::NAN, f64::max);
    let total: u64 = r.state_time.iter().sum();
    let mut v = vec![
        f64::from(r.harmful),
        f64::from(r.harmful_executed),
        f64::from(r.harmful_blocked),
        f64::from(r.harmful_executed_after_rage_quit),
        ratio(r.harmful_blocked, r.harmful),
        f64::from(r.honest),
        f64::from(r.honest_executed),
        ratio(r.honest_executed, r.honest),
        mean,
        max,
        f64::from(r.veto_signals),
        f64::from(r.rage_quits),
        f64::from(r.cancellations),
        r.stake_left,
    ];
    v.extend(r.state_time.iter().map(|&t| t as f64 / total.max(1) as f64));
    v
}

/// The veto model's validated setup.
#[derive(Debug, Clone, PartialEq)]
pub struct VetoSetup {
    /// The parsed simulation scenario; the replicate's seed comes from the scenario's `seed`.
    pub sim: SimScenario,
}

impl ModelDef for Veto {
    fn name(&self) -> &'static str {
        MODEL
    }
    fn about(&self) -> &'static str {
        "Dual Governance veto simulation: holders, harmful and honest proposals, veto signals and rage quits"
    }
    fn keys(&self) -> &'static [&'static str] {
        VETO_KEYS
    }
    fn uses_actors(&self) -> bool {
        false
    }
    fn params(&self) -> Vec<ParamInfo> {
        let r = ParamInfo::real;
        vec![
            r(
                "proposals.per_year",
                "24",
                Some(0.0),
                None,
                "per year",
                "Poisson rate of DAO proposals",
            ),
            r(
                "proposals.harmful_share",
                "0.1",
                Some(0.0),
                Some(1.0),
                "",
                "share of proposals that are harmful",
            ),
            r(
                "dao.cancel_probability",
                "0.5",
                Some(0.0),
                Some(1.0),
                "",
                "probability the DAO cancels once a veto lasted cancel_after",
            ),
            r(
                "config.first_seal",
                "1%",
                Some(0.0),
                Some(1.0),
                "share of supply",
                "rage-quit support that starts a veto signal",
            ),
            r(
                "config.second_seal",
                "10%",
                Some(0.0),
                Some(1.0),
                "share of supply",
                "rage-quit support that leads to rage quit",
            ),
        ]
    }
    fn validate(&self, cx: &mut ValidateCx<'_>) -> Result<Box<dyn ModelSetup>, FieldError> {
        if !cx.groups.is_empty() {
            return Err(FieldError {
                field: "actors".into(),
                message: "model = \"veto\" takes no [[actors]]: holders are [[group]] tables"
                    .into(),
                help: Some("[[group]] tables (docs/governance.md)".into()),
            });
        }
        if cx.time.is_some() {
            return Err(FieldError {
                field: "time".into(),
                message: "model = \"veto\" has its own clock: horizon, drain and tick".into(),
                help: Some(
                    "remove `time`; set horizon = \"730d\", drain = \"365d\", tick = \"1h\"".into(),
                ),
            });
        }
        // The simulation's own format: the model's keys, with the common seed and count.
        let mut t = toml::Table::new();
        t.insert("name".into(), cx.file.name.clone().into());
        t.insert("seed".into(), toml::Value::Integer(cx.file.seed as i64));
        t.insert(
            "replicates".into(),
            toml::Value::Integer(cx.file.replicates),
        );
        for (k, v) in &cx.file.sections {
            t.insert(k.clone(), v.clone());
        }
        let text = toml::to_string(&t).map_err(|e| FieldError {
            field: "model".into(),
            message: e.to_string(),
            help: None,
        })?;
        let sim = parse(&text).map_err(|e| FieldError {
            field: e
                .span
                .and_then(|s| crate::scenario::overrides::path_at(&text, s.start))
                .unwrap_or_else(|| "model".into()),
            message: e.message,
            help: Some("see docs/governance.md (veto simulation)".into()),
        })?;
        let ticks = VetoRun::ticks(&sim);
        let dt = sim.tick as f64 / 86_400.0;
        cx.time = Some(TimeGrid {
            end: ticks as f64 * dt,
            dt,
            steps: ticks,
        });
        Ok(Box::new(VetoSetup { sim }))
    }
}

impl ModelSetup for VetoSetup {
    fn build(&self, sc: &Scenario, replicate: u32) -> Box<dyn Model> {
        let mut sim = self.sim.clone();
        sim.seed = sc.seed;
        Box::new(VetoModel(VetoRun::new(&sim, replicate)))
    }
    fn observation(&self) -> Observation {
        Observation {
            concentration: false,
            columns: veto_columns(),
            key: vec![
                "harmful_blocked_share",
                "honest_executed_share",
                "honest_delay_mean_days",
            ],
        }
    }
    /// The share of the horizon spent in each state (bars over the state names, issue 15
    /// item 20), and the outcomes: proposals blocked and executed, stake that left, and
    /// the counts of vetoes, rage quits and cancellations.
    fn charts(&self) -> Vec<ChartDef> {
        let states = State::ALL.iter().fold(
            PanelDef::bars("", "share of the horizon in the state").share(),
            |p, s| p.series(&format!("time_share.{}", s.name()), s.name()),
        );
        vec![
            ChartDef::new(
                "time_in_state",
                "Time in each Dual Governance state",
                "The share of the horizon the persisted state spent in each state of the Dual \
                 Governance state machine.",
            )
            .panel(states),
            ChartDef::new(
                "veto_outcomes",
                "Veto outcomes",
                "What the vetoes achieved: the share of harmful proposals blocked, of honest \
                 proposals executed, and of the supply that left by rage quit; the number of \
                 veto signals, rage quits and cancellations by the DAO; and how long honest \
                 proposals waited.",
            )
            .panel(
                PanelDef::bars("outcomes", "share")
                    .series("harmful_blocked_share", "harmful blocked")
                    .series("honest_executed_share", "honest executed")
                    .series("stake_left", "stake that left")
                    .share(),
            )
            .panel(
                PanelDef::bars("events", "count over the run")
                    .series("veto_signals", "veto signals")
                    .series("rage_quits", "rage quits")
                    .series("cancellations", "cancellations"),
            )
            .panel(
                PanelDef::bars("honest proposals' delay", "days")
                    .series("honest_delay_mean_days", "mean delay")
                    .series("honest_delay_max_days", "longest delay"),
            ),
        ]
    }
    /// Outcomes are recorded at the start and the end only, unless `output.every` says
    /// otherwise (a run has one step per tick: tens of thousands).
    fn default_every(&self, steps: u64) -> u64 {
        steps
    }
    /// The holders of every group (a stake, a reaction time, locks in escrow each).
    fn state_bytes(&self, _sc: &Scenario) -> u64 {
        let holders: usize = self
            .sim
            .groups
            .iter()
            .map(|g| match &g.stakes {
                Stakes::Explicit(v) => v.len(),
                Stakes::Pareto { count, .. } | Stakes::Lognormal { count, .. } => *count,
            })
            .sum();
        (holders as u64).saturating_mul(crate::estimate::DEFAULT_BYTES_PER_ACTOR)
    }
}

/// One replicate of the veto simulation behind the runner's [`Model`] contract.
struct VetoModel(VetoRun);

impl Model for VetoModel {
    fn step(&mut self, _step: u64, _t: f64) -> Result<(), ModelError> {
        self.0.tick();
        Ok(())
    }
    fn values(&self) -> &[f64] {
        &[]
    }
    fn observe(&self, out: &mut Vec<f64>) {
        out.extend(finals(&self.0.result()));
        out.push(self.0.state().index() as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_scenario_parses_and_reflects_holder_concentration() {
        let sc = parse(DEFAULT_SCENARIO).unwrap();
        // §7: 3 entities can reach 10% on their own, 12 can reach 1%
        let stakes = realise_stakes(&sc, &mut crate::rng::stream(1, 0));
        assert_eq!(stakes.iter().filter(|s| s.0 >= 0.10).count(), 3);
        assert_eq!(stakes.iter().filter(|s| s.0 >= 0.01).count(), 12);
        let total: f64 = stakes.iter().map(|s| s.0).sum();
        assert!(total <= 1.0 + 1e-12);
        let tail: f64 = stakes.iter().filter(|s| s.1 == 1).map(|s| s.0).sum();
        assert!((tail - 0.30).abs() < 1e-3, "{tail}");
    }

    #[test]
    fn declared_defaults_are_the_parsed_defaults() {
        // A scenario without [proposals] and [dao] takes the defaults `params()` declares.
        let sc = parse("[[group]]\nname = \"a\"\nstakes = [\"20%\"]\n").unwrap();
        let params = Veto.params();
        let default = |name: &str| -> f64 {
            let p = params.iter().find(|p| p.path == name).unwrap();
            p.default.parse().unwrap()
        };
        assert_eq!(sc.proposals_per_year, default("proposals.per_year"));
        assert_eq!(sc.harmful_share, default("proposals.harmful_share"));
        assert_eq!(sc.cancel_probability, default("dao.cancel_probability"));
    }

    #[test]
    fn durations_out_of_range_are_refused_at_the_value() {
        for (src, what) in [
            ("horizon = \"0s\"\n", "horizon"),
            ("horizon = 9999999999999\n", "horizon"),
            ("drain = 9999999999999\n", "drain"),
        ] {
            let text = format!("{src}[[group]]\nname = \"a\"\nstakes = [\"20%\"]\n");
            let e = parse(&text).unwrap_err();
            assert!(e.message.starts_with(what), "{}", e.message);
            assert_eq!(e.span.unwrap().start, src.find('=').unwrap() + 2, "{src}");
        }
        let e = parse("[[group]]\nname = \"a\"\nstakes = [\"20%\"]\nreaction_median = \"0s\"\n")
            .unwrap_err();
        assert!(e.message.starts_with("reaction_median"), "{}", e.message);
    }

    #[test]
    fn reproducible_and_thread_independent() {
        let mut sc = parse(DEFAULT_SCENARIO).unwrap();
        sc.replicates = 4;
        sc.horizon = 200 * 86_400;
        sc.drain = 100 * 86_400;
        let a = simulate(&sc);
        let b: Vec<ReplicateResult> = (0..4).map(|r| run_replicate(&sc, r)).collect();
        assert_eq!(a.replicates, b);
        let s = a.summary();
        assert!(s.harmful + s.honest > 0);
        let shares: f64 = s.state_share.iter().sum();
        assert!((shares - 1.0).abs() < 1e-9);
    }
}
