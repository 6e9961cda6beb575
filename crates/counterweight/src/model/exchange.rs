//! The exchange model (DESIGN.md §4.2): pairwise exchange of a conserved wealth.
//!
//! Three rules (`[exchange] rule = ...`):
//!
//! * `"yard_sale"` (default): the extended yard-sale model with wealth-attained advantage
//!   and redistribution (Boghosian et al., "Oligarchy as a phase transition", Physica A
//!   476, 2017), in the scaling of `reference/validation.md` §2.1. Per step of length dt:
//!   1. a uniformly random perfect matching of the N actors (Fisher–Yates shuffle of a
//!      preallocated `u32` index array; pairs are consecutive entries; with odd N the
//!      last entry, a uniformly random actor, sits the step out);
//!   2. for each pair (i, j): stake `Δ = sqrt(γ dt) min(w_i, w_j)`;
//!      `P(i wins) = ½[1 + ζ sqrt(dt/γ) (N/W) (w_i − w_j)]`; the winner takes Δ;
//!   3. redistribution, exact for everyone: `w ← W/N + (w − W/N) exp(−χ dt)`;
//!   4. optional proportional growth of the total: `w ← w exp(g dt)` (shares unchanged).
//!
//!   γ = `stake_rate`, ζ = `advantage`, χ = `redistribution`, g = `growth_rate`. The
//!   total is conserved exactly up to rounding (g = 0). A win probability outside [0, 1]
//!   is never clipped: validation rejects a dt that clips at a known initial state, and a
//!   step that would clip stops the run with [`ModelError::StepTooLarge`] naming the
//!   largest safe dt. `dt <= γ / (ζ N)²` never clips (|w_i − w_j| < W).
//!   Oligarch share above the transition (ζ > χ): `1 − χ/ζ` (mean field),
//!   `≈ 1 − ((N−1)/N)² χ/ζ` at finite N.
//! * `"boltzmann"`: Mesa's Boltzmann wealth model (its introductory tutorial), followed
//!   exactly: integer wealth; each step every actor is activated once in a fresh random
//!   order (Mesa's `shuffle_do`); an actor with wealth > 0 gives one unit to an actor
//!   drawn uniformly from *all* actors, itself included (the tutorial's
//!   `self.random.choice(self.model.agents)`; a self-gift changes nothing). dt only labels
//!   time: one step is one Mesa step.
//! * `"fixed_amount"`: Drăgulescu–Yakovenko (2000): each step a random perfect matching;
//!   in each pair a fair coin picks the payer, who pays `amount` to the other if it holds
//!   at least `amount`; otherwise the trade does not happen (wealth never goes negative).
//!   The chain is symmetric, so its stationary law is uniform over the configurations
//!   reachable with the fixed total; with wealth on the lattice `amount · {0, 1, ...}` and
//!   mean `k · amount` each actor's law is the Bose–Einstein marginal, geometric as
//!   N → ∞, exponential (Boltzmann–Gibbs, Gini ½) as k → ∞. dt only labels time.
//!
//! Policies (see [`crate::policy`]): `redistribution` sets χ while active;
//! `advantage_cap` caps ζ while active.
//!
//! **On a network** (`[network]`, [`crate::network`]) trades happen only between
//! neighbours. Without `[network]`, or with `kind = "complete"`, the rules above run
//! unchanged (the same draws, so the same numbers bit for bit). On any other graph:
//! * `yard_sale` and `fixed_amount`: each step a random maximal matching of the graph's
//!   edges replaces the perfect matching: the edge list is shuffled (Fisher–Yates) and
//!   taken in that order, an edge joining the matching when neither end is matched yet.
//!   Actors left unmatched sit the step out. On the complete graph this gives a uniformly
//!   random perfect matching (the law is invariant under relabelling the actors, and all
//!   perfect matchings are one orbit), so the materialised complete graph and the mean
//!   field agree in law. The yard-sale's advantage keeps its normalisation N/W (all
//!   actors), and redistribution and growth stay global (a tax and rebate by the state,
//!   not a trade).
//! * `boltzmann`: an activated actor with wealth > 0 gives one unit to a uniformly random
//!   *neighbour* (Mesa's network version of the tutorial); an isolated actor gives nothing.
//!
//! Wealth moves only along edges, so every connected component's total is conserved
//! (exactly for `boltzmann` and `fixed_amount` on whole units; up to rounding for
//! `yard_sale` without redistribution or growth). The `fixed_amount` chain stays
//! symmetric on any graph, so on a connected graph its stationary law is still uniform
//! over the configurations with the given total (each actor's marginal the Bose–Einstein
//! law). Edge weights are not used: a weighted edge list is an error.
//!
//! A step does not allocate. One ChaCha8 stream per replicate (the replicates run in
//! parallel in the runner), so results do not depend on the number of threads.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use std::sync::Arc;

use crate::network::section::{self, NetworkSetup};
use crate::network::{Csr, Network};
use crate::policy::{Policy, PolicyCx, PolicyFields};
use crate::registry::{
    Condition, Model, ModelDef, ModelError, ModelSetup, ParamInfo, PolicyInfo, ValidateCx,
};
use crate::rng;
use crate::scenario::validate::check::{err, non_negative as nonneg};
use crate::scenario::{FieldError, Scenario};
use crate::setup::{ActorGroup, Initial, TimeGrid, initial_values, replicate_seed};

/// What an exchange policy does (DESIGN.md §5; both act on the yard-sale rule).
#[derive(Debug, Clone, PartialEq)]
pub enum ExchangePolicy {
    /// A wealth tax with an equal rebate, as a rate of redistribution. While active, sets
    /// the redistribution rate chi (`[exchange] redistribution`) to `rate`: everyone moves
    /// toward the mean as `w <- W/N + (w - W/N) exp(-rate dt)`, which is a flat tax on
    /// wealth at `rate` per unit time whose revenue is returned in equal shares. Essay
    /// lever: taxing fortunes and returning the proceeds.
    Redistribution {
        /// χ while active, per unit time (>= 0).
        rate: f64,
    },
    /// Antitrust as a cap on wealth-attained advantage. While active, the advantage zeta
    /// (`[exchange] advantage`) is at most `cap` (written `value` in the scenario): limits
    /// on what size alone buys in a trade (market power).
    AdvantageCap {
        /// The largest ζ while active, per unit time (>= 0).
        cap: f64,
    },
}

/// The policy kinds of the exchange model.
pub const POLICY_KINDS: &[PolicyFields] =
    &[("redistribution", &["rate"]), ("advantage_cap", &["value"])];

/// The exchange model's validated setup.
#[derive(Debug, Clone, PartialEq)]
pub struct ExchangeSetup {
    /// Validated `[exchange]` parameters.
    pub params: ExchangeParams,
    /// The validated `[[policy]]` tables (only with the yard-sale rule).
    pub policies: Vec<Policy<ExchangePolicy>>,
    /// `[network]`: who trades with whom (absent: everyone, the mean field).
    pub network: NetworkSetup,
}

/// The exchange model, as registered.
pub struct Exchange;

/// The fields and policies of the yard-sale rule.
const YARD_SALE: &[Condition] = &[Condition::new("exchange.rule", &["yard_sale"])];

impl ModelDef for Exchange {
    fn name(&self) -> &'static str {
        "exchange"
    }
    fn about(&self) -> &'static str {
        "pairwise exchange of a conserved wealth: yard-sale with advantage, Boltzmann, fixed amount (DESIGN.md §4.2)"
    }
    fn keys(&self) -> &'static [&'static str] {
        &["exchange", "network"]
    }
    fn params(&self) -> Vec<ParamInfo> {
        let r = ParamInfo::real;
        vec![
            ParamInfo::choice(
                "exchange.rule",
                "\"yard_sale\"",
                &["yard_sale", "boltzmann", "fixed_amount"],
                "the trading rule",
            ),
            r(
                "exchange.stake_rate",
                "",
                Some(0.0),
                None,
                "per unit time",
                "gamma: the stake per step is sqrt(gamma dt) of the poorer side's wealth",
            )
            .when(YARD_SALE),
            r(
                "exchange.advantage",
                "0.0",
                Some(0.0),
                None,
                "",
                "zeta: wealth-attained advantage",
            )
            .when(YARD_SALE),
            r(
                "exchange.redistribution",
                "0.0",
                Some(0.0),
                None,
                "per unit time",
                "chi: pull of every actor toward the mean",
            )
            .when(YARD_SALE),
            r(
                "exchange.growth_rate",
                "0.0",
                None,
                None,
                "per unit time",
                "common growth of all wealth",
            )
            .when(YARD_SALE),
            r(
                "exchange.amount",
                "",
                Some(0.0),
                None,
                "wealth units",
                "fixed_amount: the amount moved per trade",
            )
            .when(&[Condition::new("exchange.rule", &["fixed_amount"])]),
        ]
        .into_iter()
        .chain(
            section::params()
                .into_iter()
                .map(|p| p.in_optional_table("network")),
        )
        .collect()
    }
    fn policy_kinds(&self) -> &'static [PolicyFields] {
        POLICY_KINDS
    }
    fn policies(&self) -> Vec<PolicyInfo> {
        let r = ParamInfo::real;
        vec![
            PolicyInfo::new(
                "redistribution",
                "sets the redistribution rate chi while active (a wealth tax with an equal rebate)",
                vec![
                    r(
                        "rate",
                        "",
                        Some(0.0),
                        None,
                        "per unit time",
                        "chi while active",
                    )
                    .with_example("0.05"),
                ],
            )
            .when(YARD_SALE),
            PolicyInfo::new(
                "advantage_cap",
                "caps the wealth-attained advantage zeta while active (antitrust)",
                vec![r("value", "", Some(0.0), None, "", "the cap on zeta").with_example("0.0")],
            )
            .when(YARD_SALE),
        ]
    }
    fn validate(&self, cx: &mut ValidateCx<'_>) -> Result<Box<dyn ModelSetup>, FieldError> {
        let time = cx.time()?;
        let spec: ExchangeSpec = cx.require_section("exchange")?;
        let params = validate(&spec, &time, &cx.groups)?;
        let yard_sale = matches!(params.rule, Rule::YardSale { .. });
        let policies = cx.policies(POLICY_KINDS, |p| validate_policy(p, yard_sale, &params))?;
        let network =
            section::validate(cx)?.unweighted("exchange", "every trade partner equally likely")?;
        Ok(Box::new(ExchangeSetup {
            params,
            policies,
            network,
        }))
    }
}

fn validate_policy(
    p: &PolicyCx<'_>,
    yard_sale: bool,
    params: &ExchangeParams,
) -> Result<ExchangePolicy, FieldError> {
    if !yard_sale {
        return Err(err(
            p.field("kind"),
            format!(
                "policy \"{}\" acts on the yard-sale rule, but rule = \"{}\"",
                p.kind(),
                params.rule_name()
            ),
            "exchange.rule = \"yard_sale\", or remove the policy",
        ));
    }
    p.no_groups()?;
    Ok(match p.kind() {
        "redistribution" => ExchangePolicy::Redistribution {
            rate: nonneg(&p.field("rate"), p.require_f64("rate")?)?,
        },
        "advantage_cap" => ExchangePolicy::AdvantageCap {
            cap: nonneg(&p.field("value"), p.require_f64("value")?)?,
        },
        _ => unreachable!("kinds checked by the policy framework"),
    })
}

impl ModelSetup for ExchangeSetup {
    fn build(&self, sc: &Scenario, replicate: u32) -> Box<dyn Model> {
        Box::new(ExchangeModel::new(sc, self, replicate))
    }
}

/// `[exchange]` as written in a scenario. Every field is optional in the file; which
/// ones apply depends on `rule` (fields that do not apply are rejected).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExchangeSpec {
    /// `"yard_sale"` (default), `"boltzmann"` or `"fixed_amount"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// γ, per unit time: the stake per step is `sqrt(γ dt)` of the poorer side's wealth.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stake_rate: Option<f64>,
    /// ζ, per unit time: wealth-attained advantage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advantage: Option<f64>,
    /// χ, per unit time: redistribution toward the mean.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redistribution: Option<f64>,
    /// g, per unit time: proportional growth of everyone's wealth (and so of the total).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub growth_rate: Option<f64>,
    /// `fixed_amount`: the amount exchanged per trade, in wealth units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<f64>,
}

/// The exchange rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rule {
    /// The extended yard-sale (Boghosian et al. 2017; DESIGN §4.2), the default.
    YardSale {
        /// γ > 0 per unit time: the stake is `sqrt(γ dt)` of the poorer side's wealth;
        /// `γ dt < 1`.
        stake_rate: f64,
        /// ζ >= 0 per unit time: wealth-attained advantage (default 0).
        advantage: f64,
        /// χ >= 0 per unit time: redistribution toward the mean (default 0).
        redistribution: f64,
        /// g per unit time (finite, any sign): proportional growth of every wealth (default 0).
        growth_rate: f64,
    },
    /// Mesa's Boltzmann wealth model: one unit given per activated actor per step.
    Boltzmann,
    /// Drăgulescu–Yakovenko: a fair coin decides who pays `amount` in each matched pair.
    FixedAmount {
        /// Wealth exchanged per trade (> 0), in wealth units.
        amount: f64,
    },
}

/// Validated parameters of the exchange model.
#[derive(Debug, Clone, PartialEq)]
pub struct ExchangeParams {
    /// The exchange rule and its parameters.
    pub rule: Rule,
}

impl ExchangeParams {
    /// The rule's name as written in scenarios.
    pub fn rule_name(&self) -> &'static str {
        match self.rule {
            Rule::YardSale { .. } => "yard_sale",
            Rule::Boltzmann => "boltzmann",
            Rule::FixedAmount { .. } => "fixed_amount",
        }
    }
}

fn ferr(field: &str, message: String, help: impl Into<String>) -> FieldError {
    FieldError {
        field: format!("exchange.{field}"),
        message,
        help: Some(help.into()),
    }
}

fn non_negative(field: &str, v: f64) -> Result<f64, FieldError> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(ferr(
            field,
            format!("{v} is not a number >= 0"),
            "a number >= 0",
        ))
    }
}

/// The largest dt for which the win probability of a pair with normalised wealth gap
/// `gap = (N/W)|w_i − w_j|` stays inside [0, 1]: `ζ sqrt(dt/γ) gap <= 1`.
pub fn largest_safe_dt(stake_rate: f64, advantage: f64, gap: f64) -> f64 {
    if advantage * gap <= 0.0 {
        f64::INFINITY
    } else {
        stake_rate / (advantage * gap).powi(2)
    }
}

/// The dt that never clips, whatever the state: the normalised gap is below N.
pub fn never_clipping_dt(stake_rate: f64, advantage: f64, n: usize) -> f64 {
    largest_safe_dt(stake_rate, advantage, n as f64)
}

/// The (min, max, sum) of the initial values when they are known before the run
/// (constant and listed values); `None` if any group draws at random.
fn known_initial(groups: &[ActorGroup]) -> Option<(f64, f64, f64)> {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    let mut sum = 0.0;
    for g in groups {
        match &g.initial {
            Initial::Constant(v) => {
                lo = lo.min(*v);
                hi = hi.max(*v);
                sum += v * g.count as f64;
            }
            Initial::Values(vs) => {
                for &v in vs {
                    lo = lo.min(v);
                    hi = hi.max(v);
                    sum += v;
                }
            }
            _ => return None,
        }
    }
    Some((lo, hi, sum))
}

/// Validate `[exchange]` for a run on `time` with the actor `groups`.
pub fn validate(
    spec: &ExchangeSpec,
    time: &TimeGrid,
    groups: &[ActorGroup],
) -> Result<ExchangeParams, FieldError> {
    let n: usize = groups.iter().map(|g| g.count).sum();
    let rule = spec.rule.as_deref().unwrap_or("yard_sale");
    let present = [
        ("stake_rate", spec.stake_rate.is_some()),
        ("advantage", spec.advantage.is_some()),
        ("redistribution", spec.redistribution.is_some()),
        ("growth_rate", spec.growth_rate.is_some()),
        ("amount", spec.amount.is_some()),
    ];
    let allowed: &[&str] = match rule {
        "yard_sale" => &["stake_rate", "advantage", "redistribution", "growth_rate"],
        "boltzmann" => &[],
        "fixed_amount" => &["amount"],
        other => {
            return Err(ferr(
                "rule",
                format!("unknown rule \"{other}\""),
                "\"yard_sale\", \"boltzmann\" or \"fixed_amount\"",
            ));
        }
    };
    for (name, set) in present {
        if set && !allowed.contains(&name) {
            let valid = if allowed.is_empty() {
                "no other field".to_string()
            } else {
                allowed.join(", ")
            };
            return Err(ferr(
                name,
                format!("`{name}` does not apply to rule = \"{rule}\""),
                format!("for {rule}: {valid}"),
            ));
        }
    }
    if n < 2 {
        return Err(FieldError {
            field: "actors".into(),
            message: format!("the exchange model needs at least 2 actors, got {n}"),
            help: Some("count >= 2 in [[actors]]".into()),
        });
    }
    if n > u32::MAX as usize {
        return Err(FieldError {
            field: "actors".into(),
            message: format!("{n} actors"),
            help: Some(format!(
                "at most {} actors for the exchange model",
                u32::MAX
            )),
        });
    }
    let dt = time.dt;
    let rule = match rule {
        "yard_sale" => {
            let stake_rate = spec.stake_rate.ok_or_else(|| {
                ferr(
                    "stake_rate",
                    "`stake_rate` is required for rule = \"yard_sale\"".into(),
                    "e.g. stake_rate = 0.1 (per unit time)",
                )
            })?;
            if !(stake_rate.is_finite() && stake_rate > 0.0) {
                return Err(ferr(
                    "stake_rate",
                    format!("{stake_rate} is not a number > 0"),
                    "a number > 0 (per unit time)",
                ));
            }
            if stake_rate * dt >= 1.0 {
                return Err(FieldError {
                    field: "time.dt".into(),
                    message: format!(
                        "stake_rate * dt = {} >= 1: the loser of a trade would lose all of its wealth",
                        stake_rate * dt
                    ),
                    help: Some(format!("dt < 1/stake_rate = {}", 1.0 / stake_rate)),
                });
            }
            let advantage = non_negative("advantage", spec.advantage.unwrap_or(0.0))?;
            let redistribution =
                non_negative("redistribution", spec.redistribution.unwrap_or(0.0))?;
            let growth_rate = spec.growth_rate.unwrap_or(0.0);
            if !growth_rate.is_finite() {
                return Err(ferr(
                    "growth_rate",
                    format!("{growth_rate} is not finite"),
                    "a finite number (per unit time)",
                ));
            }
            if let Some((lo, hi, sum)) = known_initial(groups) {
                let gap = (hi - lo) * n as f64 / sum;
                let safe = largest_safe_dt(stake_rate, advantage, gap);
                if dt > safe {
                    return Err(FieldError {
                        field: "time.dt".into(),
                        message: format!(
                            "dt = {dt} would push the win probability outside [0, 1] at the initial state \
                             (advantage * sqrt(dt/stake_rate) * (N/W) * max|w_i - w_j| = {:.4} > 1)",
                            advantage * (dt / stake_rate).sqrt() * gap
                        ),
                        help: Some(format!(
                            "dt <= {safe:e} (the largest safe dt at the initial state); \
                             dt <= stake_rate/(advantage*N)^2 = {:e} never clips",
                            never_clipping_dt(stake_rate, advantage, n)
                        )),
                    });
                }
            }
            Rule::YardSale {
                stake_rate,
                advantage,
                redistribution,
                growth_rate,
            }
        }
        "boltzmann" => {
            for (gi, g) in groups.iter().enumerate() {
                let ok = match &g.initial {
                    Initial::Constant(v) => is_count(*v),
                    Initial::Values(vs) => vs.iter().all(|&v| is_count(v)),
                    _ => false,
                };
                if !ok {
                    return Err(FieldError {
                        field: format!("actors[{gi}].initial"),
                        message: "rule = \"boltzmann\" exchanges whole units: the initial wealth must be whole numbers".into(),
                        help: Some("initial = { constant = 1 } (Mesa's tutorial) or integer values".into()),
                    });
                }
            }
            Rule::Boltzmann
        }
        "fixed_amount" => {
            let amount = spec.amount.ok_or_else(|| {
                ferr(
                    "amount",
                    "`amount` is required for rule = \"fixed_amount\"".into(),
                    "e.g. amount = 1.0 (wealth units)",
                )
            })?;
            if !(amount.is_finite() && amount > 0.0) {
                return Err(ferr(
                    "amount",
                    format!("{amount} is not a number > 0"),
                    "a number > 0 (wealth units)",
                ));
            }
            Rule::FixedAmount { amount }
        }
        _ => unreachable!("rule checked above"),
    };
    Ok(ExchangeParams { rule })
}

/// A whole number of units, exactly representable.
fn is_count(v: f64) -> bool {
    v.fract() == 0.0 && (1.0..=9.0e15).contains(&v)
}

/// The exchange model's state for one replicate.
pub struct ExchangeModel {
    rule: Rule,
    dt: f64,
    w: Vec<f64>,
    /// The matching / activation order: a permutation of 0..N, reshuffled every step.
    perm: Vec<u32>,
    rng: ChaCha8Rng,
    policies: Vec<Policy<ExchangePolicy>>,
    total: f64,
    max: f64,
    /// A sparse `[network]`: trades only along its edges (`None`: the mean field).
    graph: Option<Graph>,
}

/// A sparse network's edges, reshuffled every step for the matching, and the scratch
/// the matching fills.
struct Graph {
    csr: Arc<Network>,
    edges: Vec<(u32, u32)>,
    /// The step (1-based) in which each actor was last matched.
    matched: Vec<u64>,
    stamp: u64,
}

impl Graph {
    fn csr(&self) -> &Csr {
        match self.csr.as_ref() {
            Network::Sparse(g) => g,
            Network::Complete { .. } => unreachable!("a complete graph runs the mean field"),
        }
    }

    /// A random maximal matching: the edges in a fresh random order, each taken when
    /// neither end is matched yet; the pairs are written to `pairs`, consecutively.
    fn matching(&mut self, rng: &mut ChaCha8Rng, pairs: &mut Vec<u32>) {
        for i in (1..self.edges.len()).rev() {
            let j = rng.random_range(0..=i as u32) as usize;
            self.edges.swap(i, j);
        }
        self.stamp += 1;
        pairs.clear();
        for &(a, b) in &self.edges {
            let (ua, ub) = (a as usize, b as usize);
            if self.matched[ua] != self.stamp && self.matched[ub] != self.stamp {
                self.matched[ua] = self.stamp;
                self.matched[ub] = self.stamp;
                pairs.push(a);
                pairs.push(b);
            }
        }
    }
}

impl ExchangeModel {
    /// Replicate `replicate`: initial wealth drawn from the scenario's groups, and the
    /// replicate's own stream (`replicate_seed(seed, replicate)`).
    pub fn new(sc: &Scenario, setup: &ExchangeSetup, replicate: u32) -> ExchangeModel {
        let seed = replicate_seed(sc.seed, replicate);
        let n = sc.actor_count();
        let w = initial_values(&sc.groups, sc.seed, replicate);
        let total = w.iter().sum();
        let max = w.iter().copied().fold(f64::MIN, f64::max);
        let net = setup.network.network_for(n, seed);
        let graph = match net.as_ref() {
            Network::Complete { .. } => None,
            Network::Sparse(g) => Some(Graph {
                edges: g.edge_list().iter().map(|&(a, b, _)| (a, b)).collect(),
                matched: vec![0; n],
                stamp: 0,
                csr: Arc::clone(&net),
            }),
        };
        ExchangeModel {
            graph,
            rule: setup.params.rule,
            dt: sc.time.dt,
            perm: (0..n as u32).collect(),
            rng: rng::stream(seed, 0),
            policies: setup.policies.clone(),
            total,
            max,
            w,
        }
    }

    /// (ζ, χ) in force for a step starting at `t`: `redistribution` policies set χ (the
    /// last active one listed wins), `advantage_cap` policies cap ζ (the lowest cap wins).
    pub fn effective(&self, t: f64) -> (f64, f64) {
        let Rule::YardSale {
            advantage,
            redistribution,
            ..
        } = self.rule
        else {
            return (0.0, 0.0);
        };
        let (mut zeta, mut chi) = (advantage, redistribution);
        for p in &self.policies {
            if !p.window.contains(t, self.dt) {
                continue;
            }
            match p.kind {
                ExchangePolicy::Redistribution { rate } => chi = rate,
                ExchangePolicy::AdvantageCap { cap } => zeta = zeta.min(cap),
            }
        }
        (zeta, chi)
    }

    fn shuffle(&mut self) {
        shuffle(&mut self.perm, &mut self.rng);
    }

    /// This step's trading pairs in `self.perm` (consecutive entries): a uniformly random
    /// perfect matching of everyone (the mean field), or a random maximal matching of the
    /// network's edges (then `perm` holds only the matched actors).
    fn pair_up(&mut self) {
        match self.graph.as_mut() {
            None => shuffle(&mut self.perm, &mut self.rng),
            Some(g) => g.matching(&mut self.rng, &mut self.perm),
        }
    }

    fn yard_sale(
        &mut self,
        step: u64,
        t: f64,
        stake_rate: f64,
        zeta: f64,
        chi: f64,
        growth: f64,
    ) -> Result<(), ModelError> {
        let dt = self.dt;
        let n = self.w.len();
        let f = (stake_rate * dt).sqrt();
        let a = zeta * (dt / stake_rate).sqrt() * n as f64 / self.total;
        self.pair_up();
        let w = &mut self.w;
        let rng = &mut self.rng;
        for pair in self.perm.chunks_exact(2) {
            let (i, j) = (pair[0] as usize, pair[1] as usize);
            let (wi, wj) = (w[i], w[j]);
            let bias = a * (wi - wj);
            if bias.abs() > 1.0 {
                // The widest gap in the current state bounds every pair's bias.
                let (lo, hi) = w
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
                        (lo.min(x), hi.max(x))
                    });
                let gap = (hi - lo) * n as f64 / self.total;
                return Err(ModelError::StepTooLarge {
                    step,
                    time: t,
                    term: "advantage",
                    detail: format!(
                        "actors {i} and {j} (wealth {wi} and {wj}) would win with probability {} outside [0, 1]",
                        0.5 * (1.0 + bias)
                    ),
                    safe_dt: largest_safe_dt(stake_rate, zeta, gap),
                    never_dt: never_clipping_dt(stake_rate, zeta, n),
                });
            }
            let stake = f * wi.min(wj);
            let u: f64 = rng.random();
            // i wins with probability (1 + bias)/2.
            let d = if 2.0 * u < 1.0 + bias { stake } else { -stake };
            w[i] = wi + d;
            w[j] = wj - d;
        }
        // Redistribution (exact) and growth, fused with the sum and max.
        let sum: f64 = w.iter().sum();
        let m = sum / n as f64;
        let e = (-chi * dt).exp();
        let g = (growth * dt).exp();
        let (mut total, mut max) = (0.0, f64::MIN);
        if chi > 0.0 || growth != 0.0 {
            for x in w.iter_mut() {
                *x = (m + (*x - m) * e) * g;
                total += *x;
                max = max.max(*x);
            }
        } else {
            for &x in w.iter() {
                max = max.max(x);
            }
            total = sum;
        }
        self.total = total;
        self.max = max;
        Ok(())
    }

    fn boltzmann(&mut self) {
        self.shuffle();
        let n = self.w.len() as u32;
        let w = &mut self.w;
        match self.graph.as_ref().map(Graph::csr) {
            None => {
                for &i in &self.perm {
                    let i = i as usize;
                    if w[i] > 0.0 {
                        let j = self.rng.random_range(0..n) as usize;
                        w[j] += 1.0;
                        w[i] -= 1.0;
                    }
                }
            }
            Some(g) => {
                for &i in &self.perm {
                    let i = i as usize;
                    let nb = g.neighbours(i);
                    if w[i] > 0.0 && !nb.is_empty() {
                        let j = nb[self.rng.random_range(0..nb.len() as u32) as usize] as usize;
                        w[j] += 1.0;
                        w[i] -= 1.0;
                    }
                }
            }
        }
        self.max = w.iter().copied().fold(f64::MIN, f64::max);
    }

    fn fixed_amount(&mut self, amount: f64) {
        self.pair_up();
        let w = &mut self.w;
        let mut bits = 0u64;
        for (k, pair) in self.perm.chunks_exact(2).enumerate() {
            if k % 64 == 0 {
                bits = self.rng.random();
            }
            let (i, j) = (pair[0] as usize, pair[1] as usize);
            let (payer, payee) = if bits & 1 == 1 { (i, j) } else { (j, i) };
            bits >>= 1;
            if w[payer] >= amount {
                w[payer] -= amount;
                w[payee] += amount;
            }
        }
        let (mut total, mut max) = (0.0, f64::MIN);
        for &x in w.iter() {
            total += x;
            max = max.max(x);
        }
        self.total = total;
        self.max = max;
    }
}

/// Fisher–Yates shuffle of `perm` in place (any starting permutation gives a uniformly
/// random one).
pub fn shuffle(perm: &mut [u32], rng: &mut ChaCha8Rng) {
    for i in (1..perm.len()).rev() {
        let j = rng.random_range(0..=i as u32) as usize;
        perm.swap(i, j);
    }
}

impl Model for ExchangeModel {
    fn step(&mut self, step: u64, t: f64) -> Result<(), ModelError> {
        match self.rule {
            Rule::YardSale {
                stake_rate,
                growth_rate,
                ..
            } => {
                let (zeta, chi) = self.effective(t);
                self.yard_sale(step, t, stake_rate, zeta, chi, growth_rate)
            }
            Rule::Boltzmann => {
                self.boltzmann();
                Ok(())
            }
            Rule::FixedAmount { amount } => {
                self.fixed_amount(amount);
                Ok(())
            }
        }
    }
    fn values(&self) -> &[f64] {
        &self.w
    }
    fn into_values(self: Box<Self>) -> Vec<f64> {
        self.w
    }
    fn total(&self) -> f64 {
        self.total
    }
    fn max(&self) -> f64 {
        self.max
    }
}
