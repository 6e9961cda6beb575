//! The staking model (issue 11): providers competing for stake under a liquidity network
//! effect, the operators inside each provider, and who controls what — the essays' case
//! study ("capability concentrates but control stays distributed").
//!
//! # State
//!
//! Stake is counted in **validators** (32 ETH each); every count is an integer, so stake is
//! conserved exactly. K providers (liquid staking protocols, exchanges, solo stakers,
//! others), each with a fee (fraction of rewards), a quality (trust, > 0), an operator set
//! with an allocation and an exit rule ([`operators`]), a governance and optionally a
//! stakers' veto ([`control`]). Time is model time; with the defaults one unit is a day
//! (the churn limit counts 225 epochs per unit, Dual Governance durations convert at
//! 86,400 seconds per unit).
//!
//! # Depositor choice (mirrors the adoption model)
//!
//! Each deposit is one validator. A depositor picks provider k with probability
//! proportional to
//!
//! ```text
//! w_k = q_k · g(fee_k) · f(n_k),   g(fee) = exp(−fee / fee_scale),
//! f(n_k) = (n_k + θ · Σ_{j≠k} n_j)^γ
//! ```
//!
//! n_k the provider's active validators, γ (`gamma`) the liquidity and DeFi network effect
//! of its liquid staking token (γ > 1 increasing returns, γ = 1 Pólya's urn, γ = 0 no
//! network effect: a multinomial split by q·g), θ (`interoperability`) the part of other
//! providers' networks a provider's users can reach (forks, wrapped tokens, shared
//! standards), and `fee_scale` the fee difference that makes a provider e times less
//! attractive. The draw is exact, one deposit at a time, by the adoption model's urn
//! sampler ([`crate::model::adoption::Urn`]). A provider that cannot take a deposit (its
//! self-limit reached or all its operators at their limits) has weight 0 until the next
//! step; a deposit that no provider can take is refused (it never enters).
//!
//! # One step (start time t, length dt)
//!
//! 1. **Levers** of the policies in force ([`policy`]): θ, fee bounds, self-limits,
//!    operator caps.
//! 2. **Events:** a harmful governance action due in this step ([`control`]): its opponents
//!    ask to exit; decisions due before the end of the step execute (their fee and quality
//!    change; opponents still in the exit queue count as harmed).
//! 3. **Withdrawals:** each provider's validators not already exiting ask to exit
//!    independently with probability 1 − exp(−λ·dt) (λ = `withdrawal_rate`, per validator
//!    per unit time), chosen inside the provider by its exit rule.
//! 4. **Exit queue:** first in, first out, at most the churn limit per step ([`Churn`]);
//!    exiting validators stay active (and counted) until they leave. Withdrawn stake leaves
//!    the system; opponents' stake redeposits (at once, or for a rage quit when the Dual
//!    Governance escrow releases it), never to the provider they opposed.
//! 5. **Deposits:** the redeposits due, then ⌊s·r·dt⌋ − ⌊(s−1)·r·dt⌋ new deposits in step s
//!    (r = `deposit_rate` per unit time), each placed by the choice rule and then by the
//!    provider's allocation rule.
//!
//! Identity (checked by the tests every step): total after − total before = deposits +
//! redeposits − exits.

pub mod control;
pub mod layers;
pub mod operators;
pub mod policy;
pub mod scenario;
pub mod snapshot;

use std::collections::{HashMap, VecDeque};

use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution};
use thiserror::Error;

use super::adoption::{MAX_GAMMA, Urn};
use super::{Model, ModelError};
use crate::governance::dual::PercentD16;
use crate::rng;

pub use control::{Governance, Holders, Timing, Veto};
pub use layers::{LayerMetrics, Layers};
pub use operators::{Allocation, ExitRule, OperatorSet, UNLIMITED};
pub use policy::{Levers, StakingPolicy, Window};
pub use scenario::StakingModel;

/// Largest number of providers.
pub const MAX_PROVIDERS: usize = 10_000;
/// Largest number of operators over all providers.
pub const MAX_OPERATORS: usize = 1_000_000;
/// Largest number of validators in a run (counts stay exact in f64).
pub const MAX_VALIDATORS: f64 = 4_503_599_627_370_496.0; // 2^52
/// Seconds in a day, the default model time unit.
pub const SECONDS_PER_DAY: f64 = 86_400.0;
/// Epochs of 32 slots of 12 s in a day.
pub const EPOCHS_PER_DAY: f64 = 225.0;

/// A parameter outside its domain: the field (a path such as
/// `providers[2].operators[0].target_limit`), what is wrong, and what is valid.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("{field}: {message}; valid: {valid}")]
pub struct StakingError {
    /// The field path.
    pub field: String,
    /// What is wrong.
    pub message: String,
    /// What would be valid.
    pub valid: String,
}

fn err(
    field: impl Into<String>,
    message: impl Into<String>,
    valid: impl Into<String>,
) -> StakingError {
    StakingError::new(field, message, valid)
}

impl StakingError {
    pub(crate) fn new(
        field: impl Into<String>,
        message: impl Into<String>,
        valid: impl Into<String>,
    ) -> StakingError {
        StakingError {
            field: field.into(),
            message: message.into(),
            valid: valid.into(),
        }
    }

    /// The field path of the problem.
    pub fn field(&self) -> &str {
        &self.field
    }
}

/// One operator of a provider.
#[derive(Debug, Clone, PartialEq)]
pub struct OperatorParams {
    /// Operators of the same name in several providers are one entity in the consensus
    /// layer (a company that runs keys for a pool and for its own clients).
    pub name: String,
    /// Active validators at the start.
    pub validators: u64,
    /// Target limit on active validators (Lido's DAO-set limit); `None` = none.
    pub target_limit: Option<u64>,
    /// Weight for `proportional` (default: the initial validators, or 1 each if all start
    /// at 0) or bond in ETH for `bonded` (default 1 each).
    pub weight: Option<f64>,
}

impl OperatorParams {
    /// An operator with `validators` at the start, no target limit and the default weight.
    pub fn new(name: impl Into<String>, validators: u64) -> OperatorParams {
        OperatorParams {
            name: name.into(),
            validators,
            target_limit: None,
            weight: None,
        }
    }
}

/// `count` operators named `"{prefix} {i}"` (1-based, zero-padded to the width of
/// `count`) sharing `validators` as evenly as integers allow (the first ones get one
/// more).
pub fn even_operators(prefix: &str, count: usize, validators: u64) -> Vec<OperatorParams> {
    let width = count.to_string().len();
    let (q, r) = (validators / count as u64, validators % count as u64);
    (0..count)
        .map(|i| {
            OperatorParams::new(
                format!("{prefix} {:0width$}", i + 1),
                q + u64::from((i as u64) < r),
            )
        })
        .collect()
}

/// One provider.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderParams {
    /// The provider's name (unique; outputs and policies name it).
    pub name: String,
    /// Fee, a fraction of staking rewards in [0, 1].
    pub fee: f64,
    /// Quality or trust factor, > 0 (1 = neutral).
    pub quality: f64,
    /// How new validators go to its operators (default min-first).
    pub allocation: Allocation,
    /// Which validators exit (default: the allocation's, see [`Allocation::default_exits`]).
    pub exits: ExitRule,
    /// `bonded`: ETH of bond an operator needs per validator (0 = bonds set shares only).
    pub bond_per_validator: f64,
    /// Its operators, in order (ties go to the lowest index).
    pub operators: Vec<OperatorParams>,
    /// Who controls it: one owner (default itself) or token holders.
    pub governance: Governance,
    /// Model time from a governance decision to its execution without a veto.
    pub timelock: f64,
    /// A stakers' veto over its governance decisions, if any.
    pub veto: Option<Veto>,
    /// Overrides the model's `withdrawal_rate` for this provider.
    pub withdrawal_rate: Option<f64>,
}

impl ProviderParams {
    /// A provider with the given operators: no fee, quality 1, the allocation's default
    /// exit rule, owned by itself, no timelock, no veto.
    pub fn new(
        name: impl Into<String>,
        allocation: Allocation,
        operators: Vec<OperatorParams>,
    ) -> ProviderParams {
        let name = name.into();
        ProviderParams {
            governance: Governance::Owner(name.clone()),
            name,
            fee: 0.0,
            quality: 1.0,
            allocation,
            exits: allocation.default_exits(),
            bond_per_validator: 0.0,
            operators,
            timelock: 0.0,
            veto: None,
            withdrawal_rate: None,
        }
    }

    /// A provider that is its own operator (an exchange) with `validators` at the start.
    pub fn single(name: impl Into<String>, validators: u64) -> ProviderParams {
        let name = name.into();
        let op = OperatorParams::new(name.clone(), validators);
        ProviderParams::new(name, Allocation::Single, vec![op])
    }

    /// Validators at the start.
    pub fn stake(&self) -> u64 {
        self.operators.iter().map(|o| o.validators).sum()
    }
}

/// The exit churn limit per step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Churn {
    /// This many validators per step.
    Fixed(u64),
    /// Ethereum's rule per epoch, `max(min_per_epoch, ⌊active / quotient⌋)`, at most
    /// `max_per_epoch` if given, with `epochs_per_unit` epochs per unit of model time:
    /// ⌊per_epoch · epochs_per_unit · dt⌋ per step, `active` the validators at the start of
    /// the step. Phase 0 to Capella: 4 and 65,536 (consensus-specs
    /// `get_validator_churn_limit`); Deneb (EIP-7514) capped activations, not exits, at 8.
    Ethereum {
        /// Validators per epoch at least (4 on Ethereum).
        min_per_epoch: u64,
        /// Active validators per extra validator of churn (65,536 on Ethereum).
        quotient: u64,
        /// Cap per epoch, if any.
        max_per_epoch: Option<u64>,
        /// Epochs per unit of model time (225 per day).
        epochs_per_unit: f64,
    },
}

impl Churn {
    /// Ethereum's exit churn from phase 0 to Deneb, with days as the model time unit.
    pub fn ethereum() -> Churn {
        Churn::Ethereum {
            min_per_epoch: 4,
            quotient: 65_536,
            max_per_epoch: None,
            epochs_per_unit: EPOCHS_PER_DAY,
        }
    }

    /// Validators that may leave in one step of length `dt` with `active` validators.
    pub fn limit(&self, active: u64, dt: f64) -> u64 {
        match *self {
            Churn::Fixed(n) => n,
            Churn::Ethereum {
                min_per_epoch,
                quotient,
                max_per_epoch,
                epochs_per_unit,
            } => {
                let per_epoch = (active / quotient)
                    .max(min_per_epoch)
                    .min(max_per_epoch.unwrap_or(u64::MAX));
                (per_epoch as f64 * epochs_per_unit * dt).floor() as u64
            }
        }
    }
}

/// Validated parameters of the staking model.
#[derive(Debug, Clone, PartialEq)]
pub struct StakingParams {
    /// The providers, in order: the snapshot's (if any), then `[[staking.providers]]`.
    pub providers: Vec<ProviderParams>,
    /// γ >= 0, the network effect of a provider's share.
    pub gamma: f64,
    /// θ in [0, 1].
    pub interoperability: f64,
    /// > 0, in fee units: g(fee) = exp(−fee / fee_scale).
    pub fee_scale: f64,
    /// New deposits (validators) per unit time.
    pub deposit_rate: f64,
    /// Exit requests per validator per unit time.
    pub withdrawal_rate: f64,
    /// The exit churn limit (default Ethereum's).
    pub churn: Churn,
    /// Seconds in one unit of model time (Dual Governance durations are in seconds).
    pub time_unit_seconds: f64,
    /// The validated `[[policy]]` tables, in file order.
    pub policies: Vec<StakingPolicy>,
}

impl StakingParams {
    /// Defaults: γ = 1, θ = 0, fee_scale = 0.1, no deposits or withdrawals, Ethereum's
    /// churn, days, no policies.
    pub fn new(providers: Vec<ProviderParams>) -> StakingParams {
        StakingParams {
            providers,
            gamma: 1.0,
            interoperability: 0.0,
            fee_scale: 0.1,
            deposit_rate: 0.0,
            withdrawal_rate: 0.0,
            churn: Churn::ethereum(),
            time_unit_seconds: SECONDS_PER_DAY,
            policies: Vec::new(),
        }
    }

    /// Validators at the start.
    pub fn initial_stake(&self) -> u64 {
        self.providers.iter().map(ProviderParams::stake).sum()
    }

    /// Check every parameter (for a run with steps of `dt` lasting `end`); the error names
    /// the field.
    pub fn check(&self, dt: f64, end: f64) -> Result<(), StakingError> {
        let unit = |name: &str, v: f64, ok: bool, valid: &str| {
            if ok {
                Ok(())
            } else {
                Err(err(name, format!("{name} = {v}"), valid))
            }
        };
        unit(
            "gamma",
            self.gamma,
            self.gamma.is_finite() && (0.0..=MAX_GAMMA).contains(&self.gamma),
            "a number from 0 to 10 (1 = Pólya's urn, > 1 increasing returns)",
        )?;
        let th = self.interoperability;
        unit(
            "interoperability",
            th,
            th.is_finite() && (0.0..=1.0).contains(&th),
            "a number between 0 (none) and 1 (full)",
        )?;
        unit(
            "fee_scale",
            self.fee_scale,
            self.fee_scale.is_finite() && self.fee_scale > 0.0,
            "a fee difference > 0 (0.1: ten points of fee make a provider e times less attractive)",
        )?;
        unit(
            "deposit_rate",
            self.deposit_rate,
            self.deposit_rate.is_finite() && self.deposit_rate >= 0.0,
            "validators per unit time, >= 0",
        )?;
        unit(
            "withdrawal_rate",
            self.withdrawal_rate,
            self.withdrawal_rate.is_finite() && self.withdrawal_rate >= 0.0,
            "exit requests per validator per unit time, >= 0",
        )?;
        unit(
            "time_unit_seconds",
            self.time_unit_seconds,
            self.time_unit_seconds.is_finite() && self.time_unit_seconds > 0.0,
            "seconds per unit of model time, > 0 (86400 = days)",
        )?;
        if let Churn::Ethereum {
            quotient,
            epochs_per_unit,
            ..
        } = self.churn
        {
            if quotient == 0 {
                return Err(err("churn.quotient", "quotient = 0", "an integer >= 1"));
            }
            if !(epochs_per_unit.is_finite() && epochs_per_unit > 0.0) {
                return Err(err(
                    "churn.epochs_per_unit",
                    format!("epochs_per_unit = {epochs_per_unit}"),
                    "epochs per unit of model time, > 0 (225 per day)",
                ));
            }
        }
        let k = self.providers.len();
        if k == 0 || k > MAX_PROVIDERS {
            return Err(err(
                "providers",
                format!("{k} providers"),
                format!("from 1 to {MAX_PROVIDERS} providers"),
            ));
        }
        let mut names = HashMap::new();
        let mut operators = 0usize;
        for (i, p) in self.providers.iter().enumerate() {
            let f = |x: &str| format!("providers[{i}].{x}");
            if p.name.trim().is_empty() {
                return Err(err(f("name"), "an empty name", "a non-empty, unique name"));
            }
            if let Some(j) = names.insert(p.name.as_str(), i) {
                return Err(err(
                    f("name"),
                    format!("\"{}\" is also the name of providers[{j}]", p.name),
                    "a unique name",
                ));
            }
            if !(p.fee.is_finite() && (0.0..=1.0).contains(&p.fee)) {
                return Err(err(
                    f("fee"),
                    format!("fee = {}", p.fee),
                    "a fraction of rewards from 0 to 1",
                ));
            }
            if !(p.quality.is_finite() && p.quality > 0.0) {
                return Err(err(
                    f("quality"),
                    format!("quality = {}", p.quality),
                    "a number > 0 (1 = neutral)",
                ));
            }
            if !(p.timelock.is_finite() && p.timelock >= 0.0) {
                return Err(err(
                    f("timelock"),
                    format!("timelock = {}", p.timelock),
                    "a duration >= 0 in model time",
                ));
            }
            if let Some(w) = p.withdrawal_rate
                && !(w.is_finite() && w >= 0.0)
            {
                return Err(err(
                    f("withdrawal_rate"),
                    format!("withdrawal_rate = {w}"),
                    "exit requests per validator per unit time, >= 0",
                ));
            }
            let bpv = p.bond_per_validator;
            if !(bpv.is_finite() && bpv >= 0.0) {
                return Err(err(
                    f("bond_per_validator"),
                    format!("bond_per_validator = {bpv}"),
                    "ETH of bond per validator, >= 0 (0 = no capacity limit from bonds)",
                ));
            }
            let n = p.operators.len();
            if n == 0 {
                return Err(err(f("operators"), "no operators", "at least one operator"));
            }
            if p.allocation == Allocation::Single && n != 1 {
                return Err(err(
                    f("operators"),
                    format!("{n} operators under allocation = \"single\""),
                    "exactly one operator (the provider itself), or another allocation",
                ));
            }
            operators += n;
            let mut op_names = HashMap::new();
            for (j, o) in p.operators.iter().enumerate() {
                let g = |x: &str| format!("providers[{i}].operators[{j}].{x}");
                if o.name.trim().is_empty() {
                    return Err(err(g("name"), "an empty name", "a non-empty name"));
                }
                if let Some(prev) = op_names.insert(o.name.as_str(), j) {
                    return Err(err(
                        g("name"),
                        format!("\"{}\" is also the name of operators[{prev}]", o.name),
                        "names unique within a provider",
                    ));
                }
                if let Some(w) = o.weight {
                    let ok = match p.allocation {
                        Allocation::Bonded => w.is_finite() && w > 0.0,
                        _ => w.is_finite() && w >= 0.0,
                    };
                    if !ok {
                        return Err(err(
                            g("weight"),
                            format!("weight = {w}"),
                            if p.allocation == Allocation::Bonded {
                                "a bond in ETH > 0"
                            } else {
                                "a weight >= 0"
                            },
                        ));
                    }
                }
            }
            if p.allocation == Allocation::Proportional
                && p.operators.iter().all(|o| o.weight == Some(0.0))
            {
                return Err(err(
                    f("operators"),
                    "every operator has weight 0",
                    "at least one operator with weight > 0",
                ));
            }
            match &p.governance {
                Governance::Owner(name) if name.trim().is_empty() => {
                    return Err(err(f("governance"), "an empty owner", "a non-empty name"));
                }
                Governance::Token(h) => h.check(&f("governance"))?,
                _ => {}
            }
            if let Some(v) = &p.veto {
                v.stakers.check(&f("veto.stakers"))?;
                if v.dg.first_seal > v.dg.second_seal
                    || v.dg.second_seal > PercentD16::HUNDRED
                    || v.dg.first_seal == PercentD16::ZERO
                {
                    return Err(err(
                        f("veto"),
                        format!(
                            "first seal {}%, second seal {}%",
                            v.dg.first_seal.as_percent_f64(),
                            v.dg.second_seal.as_percent_f64()
                        ),
                        "0 < first_seal <= second_seal <= 1",
                    ));
                }
            }
        }
        if operators > MAX_OPERATORS {
            return Err(err(
                "providers",
                format!("{operators} operators in all"),
                format!("at most {MAX_OPERATORS}"),
            ));
        }
        let start = self.initial_stake();
        if start == 0 {
            return Err(err(
                "providers",
                "no validators at the start",
                "at least one validator in some provider",
            ));
        }
        let most = start as f64 + self.deposit_rate * end;
        if most > MAX_VALIDATORS {
            return Err(err(
                "deposit_rate",
                format!("up to {most:e} validators in a run"),
                "at most 2^52 validators in all",
            ));
        }
        if !(dt.is_finite() && dt > 0.0) {
            return Err(err("time.dt", format!("dt = {dt}"), "a step > 0"));
        }
        for (i, p) in self.policies.iter().enumerate() {
            self.check_policy(i, p)?;
        }
        Ok(())
    }

    fn check_policy(&self, i: usize, p: &StakingPolicy) -> Result<(), StakingError> {
        let f = |x: &str| format!("policy[{i}].{x}");
        let k = self.providers.len();
        let fraction = |name: &str, v: f64, low_open: bool| {
            let ok = v.is_finite() && v <= 1.0 && if low_open { v > 0.0 } else { v >= 0.0 };
            if ok {
                Ok(())
            } else {
                Err(err(
                    f(name),
                    format!("{name} = {v}"),
                    if low_open {
                        "a fraction in (0, 1]"
                    } else {
                        "a fraction in [0, 1]"
                    },
                ))
            }
        };
        let check_targets = |t: &[usize]| match t.iter().find(|&&j| j >= k) {
            Some(j) => Err(err(
                f("providers"),
                format!("provider index {j}"),
                format!("indices below {k}"),
            )),
            None => Ok(()),
        };
        let check_window = |w: &Window| {
            if w.from.is_finite() && w.from >= 0.0 && w.until > w.from {
                Ok(())
            } else {
                Err(err(
                    f("from"),
                    format!("from = {}, until = {}", w.from, w.until),
                    "0 <= from < until",
                ))
            }
        };
        match p {
            StakingPolicy::SelfLimit {
                window,
                providers,
                cap,
            } => {
                check_window(window)?;
                check_targets(providers)?;
                fraction("cap", *cap, true)
            }
            StakingPolicy::OperatorCap {
                window,
                providers,
                share,
            } => {
                check_window(window)?;
                check_targets(providers)?;
                fraction("share", *share, true)
            }
            StakingPolicy::FeeBounds {
                window,
                providers,
                floor,
                cap,
            } => {
                check_window(window)?;
                check_targets(providers)?;
                fraction("floor", *floor, false)?;
                fraction("cap", *cap, false)
            }
            StakingPolicy::Interoperability { window, theta } => {
                check_window(window)?;
                fraction("theta", *theta, false)
            }
            StakingPolicy::HarmfulAction {
                at,
                provider,
                opposed,
                fee,
                quality_factor,
            } => {
                if !(at.is_finite() && *at >= 0.0) {
                    return Err(err(f("at"), format!("at = {at}"), "a time >= 0"));
                }
                check_targets(&[*provider])?;
                fraction("opposed", *opposed, false)?;
                if let Some(x) = fee {
                    fraction("fee", *x, false)?;
                }
                if !(quality_factor.is_finite() && *quality_factor > 0.0) {
                    return Err(err(
                        f("quality_factor"),
                        format!("quality_factor = {quality_factor}"),
                        "a factor > 0 (1 = unchanged)",
                    ));
                }
                Ok(())
            }
        }
    }
}

/// What moved in one step, in validators.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flows {
    /// New deposits placed.
    pub deposits: u64,
    /// Opponents' stake placed again (never with the provider they left).
    pub redeposits: u64,
    /// Deposits and redeposits that no provider could take (they never enter).
    pub refused: u64,
    /// Validators asked to exit in the step (withdrawals and opponents).
    pub exit_requests: u64,
    /// Validators that left (at most the churn limit).
    pub exits: u64,
    /// The churn limit of the step.
    pub churn_limit: u64,
    /// Validators waiting in the exit queue at the end of the step.
    pub queue: u64,
    /// Opponents still inside when a contested decision executed in this step.
    pub harmed: u64,
    /// Rage-quit stake that has left and waits for the escrow to release it.
    pub awaiting_redeposit: u64,
}

/// A harmful governance action and what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionState {
    /// Index of the provider whose governance takes it.
    pub provider: usize,
    /// Model time at which it is taken.
    pub at: f64,
    /// Step (1-based) in which it is taken.
    pub fire_step: u64,
    /// Whether it has been taken.
    pub fired: bool,
    /// Validators of opponents asked to exit.
    pub opposed: u64,
    /// Opponents' validators not yet out.
    pub remaining: u64,
    /// Rage-quit support R (with a veto).
    pub support: Option<PercentD16>,
    /// Whether it led to a rage quit.
    pub rage_quit: bool,
    /// When it executes (`None` while a rage quit is under way).
    pub exec_at: Option<f64>,
    /// Whether it has executed.
    pub executed: bool,
    /// Opponents still inside when it executed.
    pub harmed: u64,
    fee: Option<f64>,
    quality_factor: f64,
    opposed_fraction: f64,
}

const NO_ACTION: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct ExitRequest {
    provider: u32,
    operator: u32,
    count: u64,
    action: u32,
}

#[derive(Debug, Clone, Copy)]
struct Redeposit {
    release: f64,
    origin: usize,
    count: u64,
}

/// Names of the holders of one layer and, per provider, who holds what.
#[derive(Debug, Clone, Default)]
struct Entities {
    names: Vec<String>,
    index: HashMap<String, usize>,
}

impl Entities {
    fn id(&mut self, name: &str) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        self.names.push(name.to_string());
        self.index.insert(name.to_string(), self.names.len() - 1);
        self.names.len() - 1
    }
}

/// One replicate of the staking model.
pub struct Staking {
    params: StakingParams,
    dt: f64,
    rng: ChaCha8Rng,
    urn: Urn,
    ops: Vec<OperatorSet>,
    /// Fee and quality after executed decisions (before fee bounds).
    fee: Vec<f64>,
    quality: Vec<f64>,
    /// Fee in force (bounds applied).
    eff_fee: Vec<f64>,
    withdrawal_p: Vec<f64>,
    queue: VecDeque<ExitRequest>,
    queued: u64,
    actions: Vec<ActionState>,
    redeposits: Vec<Redeposit>,
    operator_entities: Entities,
    operator_of: Vec<Vec<usize>>,
    controller_entities: Entities,
    controllers: Vec<Vec<(usize, f64)>>,
    flows: Flows,
    /// Deposits and redeposits placed with each provider in the last step.
    inflow: Vec<u64>,
    scratch: Vec<u64>,
    values: Vec<f64>,
    max: f64,
}

impl Staking {
    /// Replicate with random stream `seed` (callers derive it from the scenario's seed and
    /// the replicate); steps of length `dt`. Checks the parameters (`end` = the run's end,
    /// for the size guard).
    pub fn new(
        params: &StakingParams,
        dt: f64,
        end: f64,
        seed: u64,
    ) -> Result<Staking, StakingError> {
        params.check(dt, end)?;
        let k = params.providers.len();
        let mut ops = Vec::with_capacity(k);
        let mut operator_entities = Entities::default();
        let mut operator_of = Vec::with_capacity(k);
        let mut controller_entities = Entities::default();
        let mut controllers = Vec::with_capacity(k);
        for p in &params.providers {
            let active: Vec<u64> = p.operators.iter().map(|o| o.validators).collect();
            let all_zero = active.iter().all(|&a| a == 0);
            let weight: Vec<f64> = p
                .operators
                .iter()
                .map(|o| match (o.weight, p.allocation) {
                    (Some(w), _) => w,
                    (None, Allocation::Proportional) if !all_zero => o.validators as f64,
                    _ => 1.0,
                })
                .collect();
            let limit: Vec<u64> = p
                .operators
                .iter()
                .zip(&weight)
                .map(|(o, &w)| {
                    let own = o.target_limit.unwrap_or(UNLIMITED);
                    if p.allocation == Allocation::Bonded && p.bond_per_validator > 0.0 {
                        own.min((w / p.bond_per_validator).floor() as u64)
                    } else {
                        own
                    }
                })
                .collect();
            ops.push(OperatorSet::new(
                p.allocation,
                p.exits,
                active,
                limit,
                weight,
            ));
            operator_of.push(
                p.operators
                    .iter()
                    .map(|o| operator_entities.id(&o.name))
                    .collect(),
            );
            controllers.push(
                control::controllers(&p.name, &p.governance, p.veto.as_ref())
                    .into_iter()
                    .map(|(name, share)| (controller_entities.id(&name), share))
                    .collect(),
            );
        }
        let stake: Vec<u64> = params.providers.iter().map(|p| p.stake()).collect();
        let fee: Vec<f64> = params.providers.iter().map(|p| p.fee).collect();
        let quality: Vec<f64> = params.providers.iter().map(|p| p.quality).collect();
        let q_eff: Vec<f64> = (0..k)
            .map(|i| quality[i] * (-fee[i] / params.fee_scale).exp())
            .collect();
        let urn = Urn::new(&stake, &q_eff, params.gamma, params.interoperability, false);
        let withdrawal_p = params
            .providers
            .iter()
            .map(|p| {
                let lambda = p.withdrawal_rate.unwrap_or(params.withdrawal_rate);
                -(-lambda * dt).exp_m1()
            })
            .collect();
        let actions = params
            .policies
            .iter()
            .filter_map(|p| match *p {
                StakingPolicy::HarmfulAction {
                    at,
                    provider,
                    opposed,
                    fee,
                    quality_factor,
                } => Some(ActionState {
                    provider,
                    at,
                    fire_step: (at / dt + 1e-6).floor() as u64 + 1,
                    fired: false,
                    opposed: 0,
                    remaining: 0,
                    support: None,
                    rage_quit: false,
                    exec_at: None,
                    executed: false,
                    harmed: 0,
                    fee,
                    quality_factor,
                    opposed_fraction: opposed,
                }),
                _ => None,
            })
            .collect();
        let max_ops = ops.iter().map(|o| o.active().len()).max().unwrap_or(1);
        let mut m = Staking {
            params: params.clone(),
            dt,
            rng: rng::stream(seed, 0),
            urn,
            ops,
            eff_fee: fee.clone(),
            fee,
            quality,
            withdrawal_p,
            queue: VecDeque::new(),
            queued: 0,
            actions,
            redeposits: Vec::new(),
            operator_entities,
            operator_of,
            controller_entities,
            controllers,
            flows: Flows::default(),
            inflow: vec![0; k],
            scratch: vec![0; max_ops],
            values: Vec::new(),
            max: 0.0,
        };
        m.refresh();
        Ok(m)
    }

    /// The parameters.
    pub fn params(&self) -> &StakingParams {
        &self.params
    }

    /// Active validators per provider.
    pub fn stake(&self) -> &[u64] {
        self.urn.counts()
    }

    /// All active validators.
    pub fn total_stake(&self) -> u64 {
        self.urn.total()
    }

    /// Provider k's operators.
    pub fn operators(&self, k: usize) -> &OperatorSet {
        &self.ops[k]
    }

    /// Fees in force.
    pub fn fees(&self) -> &[f64] {
        &self.eff_fee
    }

    /// Qualities (after executed decisions).
    pub fn qualities(&self) -> &[f64] {
        &self.quality
    }

    /// The interoperability in force.
    pub fn interoperability(&self) -> f64 {
        self.urn.interoperability()
    }

    /// What moved in the last step.
    pub fn flows(&self) -> Flows {
        self.flows
    }

    /// Deposits and redeposits placed with each provider in the last step.
    pub fn inflow(&self) -> &[u64] {
        &self.inflow
    }

    /// The harmful actions of the policies, in order.
    pub fn actions(&self) -> &[ActionState] {
        &self.actions
    }

    /// Validators in the exit queue.
    pub fn queued(&self) -> u64 {
        self.queued
    }

    /// Stake per operator entity (operators of the same name merged), with the names.
    pub fn consensus_holdings(&self) -> (&[String], Vec<f64>) {
        let mut v = vec![0.0; self.operator_entities.names.len()];
        for (k, ops) in self.ops.iter().enumerate() {
            for (i, &a) in ops.active().iter().enumerate() {
                v[self.operator_of[k][i]] += a as f64;
            }
        }
        (&self.operator_entities.names, v)
    }

    /// Stake per controller entity (governance layer), with the names.
    pub fn governance_holdings(&self) -> (&[String], Vec<f64>) {
        let mut v = vec![0.0; self.controller_entities.names.len()];
        for (k, c) in self.controllers.iter().enumerate() {
            let s = self.urn.counts()[k] as f64;
            for &(e, share) in c {
                v[e] += s * share;
            }
        }
        (&self.controller_entities.names, v)
    }

    /// Concentration of the three layers now.
    pub fn layers(&self) -> Layers {
        let cap: Vec<f64> = self.urn.counts().iter().map(|&n| n as f64).collect();
        let of = |v: &[f64]| LayerMetrics::of(v).expect("stake is finite and >= 0");
        Layers {
            capability: of(&cap),
            consensus: of(&self.consensus_holdings().1),
            governance: of(&self.governance_holdings().1),
        }
    }

    /// New deposits in step `step` (1-based): ⌊s·r·dt⌋ − ⌊(s−1)·r·dt⌋.
    pub fn deposits_in_step(&self, step: u64) -> u64 {
        let r = self.params.deposit_rate * self.dt;
        let at = |s: u64| (s as f64 * r).floor();
        (at(step) - at(step.saturating_sub(1))) as u64
    }

    /// Ask `m` validators of provider k to exit by its exit rule; returns how many.
    fn request(&mut self, k: usize, m: u64, action: u32) -> u64 {
        if m == 0 {
            return 0;
        }
        let n = self.ops[k].active().len();
        let out = &mut self.scratch[..n];
        out.fill(0);
        let asked = self.ops[k].request_exits(m, &mut self.rng, out);
        for (i, &c) in out.iter().enumerate() {
            if c > 0 {
                self.queue.push_back(ExitRequest {
                    provider: k as u32,
                    operator: i as u32,
                    count: c,
                    action,
                });
            }
        }
        self.queued += asked;
        self.flows.exit_requests += asked;
        asked
    }

    fn fire(&mut self, a: usize) {
        let (k, at, frac) = {
            let x = &self.actions[a];
            (x.provider, x.at, x.opposed_fraction)
        };
        let stake = self.urn.counts()[k];
        let m = (frac * stake as f64).floor() as u64;
        let p = &self.params.providers[k];
        let (timing, support) = control::decision_timing(
            p.veto.as_ref(),
            p.timelock,
            at,
            m,
            stake,
            self.params.time_unit_seconds,
        );
        let asked = self.request(k, m, a as u32);
        let x = &mut self.actions[a];
        x.fired = true;
        x.opposed = asked;
        x.remaining = asked;
        x.support = support;
        match timing {
            Timing::At(t) => x.exec_at = Some(t),
            Timing::RageQuit => x.rage_quit = true,
        }
    }

    /// Execute the decisions due before `limit`.
    fn execute_due(&mut self, limit: f64) {
        for a in 0..self.actions.len() {
            let x = &mut self.actions[a];
            if !x.fired || x.executed || x.exec_at.is_none_or(|t| t >= limit) {
                continue;
            }
            x.executed = true;
            x.harmed = x.remaining;
            self.flows.harmed += x.remaining;
            let k = x.provider;
            if let Some(f) = x.fee {
                self.fee[k] = f;
            }
            self.quality[k] *= x.quality_factor;
        }
    }

    /// Place one deposit by the choice and allocation rules; false if no provider can take
    /// it.
    fn place(&mut self, room: &mut [u64], open: &mut [bool]) -> bool {
        let Some(k) = self.urn.try_arrive(&mut self.rng) else {
            return false;
        };
        self.ops[k]
            .deposit(&mut self.rng)
            .expect("an open provider has an operator with room");
        self.inflow[k] += 1;
        if room[k] != u64::MAX {
            room[k] -= 1;
        }
        if room[k] == 0 || !self.ops[k].has_room() {
            open[k] = false;
            self.urn.set_quality(k, 0.0);
        }
        true
    }

    /// Place `count` deposits; returns how many were placed.
    fn place_many(&mut self, count: u64, room: &mut [u64], open: &mut [bool]) -> u64 {
        for i in 0..count {
            if !self.place(room, open) {
                return i;
            }
        }
        count
    }

    fn choice_quality(&self, k: usize) -> f64 {
        self.quality[k] * (-self.eff_fee[k] / self.params.fee_scale).exp()
    }

    /// Advance one step; `step` is 1-based, `t` the time at its start.
    pub fn step(&mut self, step: u64, t: f64) {
        let dt = self.dt;
        let end = t + dt - 1e-6 * dt;
        let kn = self.ops.len();
        self.flows = Flows::default();
        self.inflow.fill(0);
        let n_start = self.urn.total();

        // 1. Levers.
        let lev = policy::levers(
            &self.params.policies,
            kn,
            self.params.interoperability,
            t,
            dt,
        );
        self.urn.set_interoperability(lev.theta);

        // 2. Events, and decisions due before this step's exits.
        for a in 0..self.actions.len() {
            if self.actions[a].fire_step == step && !self.actions[a].fired {
                self.fire(a);
            }
        }
        self.execute_due(end);
        for k in 0..kn {
            self.eff_fee[k] = policy::bounded_fee(self.fee[k], lev.fee_floor[k], lev.fee_cap[k]);
        }

        // 3. Withdrawal requests.
        for k in 0..kn {
            let p = self.withdrawal_p[k];
            let avail = self.ops[k].available();
            if p > 0.0 && avail > 0 {
                let x = Binomial::new(avail, p)
                    .expect("p in [0, 1]")
                    .sample(&mut self.rng);
                self.request(k, x, NO_ACTION);
            }
        }

        // 4. The exit queue, up to the churn limit.
        let limit = self.params.churn.limit(n_start, dt);
        self.flows.churn_limit = limit;
        let mut left = limit;
        while left > 0 {
            let Some(front) = self.queue.front_mut() else {
                break;
            };
            let c = front.count.min(left);
            let r = *front;
            if c == front.count {
                self.queue.pop_front();
            } else {
                front.count -= c;
            }
            left -= c;
            let k = r.provider as usize;
            self.ops[k].complete_exits(r.operator as usize, c);
            self.urn.remove(k, c);
            self.queued -= c;
            self.flows.exits += c;
            if r.action != NO_ACTION {
                let x = &mut self.actions[r.action as usize];
                x.remaining -= c;
                if !x.rage_quit {
                    self.redeposits.push(Redeposit {
                        release: t,
                        origin: k,
                        count: c,
                    });
                }
            }
        }
        // Rage quits whose last opponent has left: schedule execution and release.
        for a in 0..self.actions.len() {
            let x = &self.actions[a];
            if x.fired && x.rage_quit && x.exec_at.is_none() && x.remaining == 0 {
                let p = &self.params.providers[x.provider];
                let veto = p.veto.as_ref().expect("a rage quit needs a veto");
                let (exec, release) = control::rage_quit_times(
                    veto,
                    p.timelock,
                    x.at,
                    t + dt,
                    self.params.time_unit_seconds,
                );
                let (origin, count) = (x.provider, x.opposed);
                self.actions[a].exec_at = Some(exec);
                if count > 0 {
                    self.redeposits.push(Redeposit {
                        release,
                        origin,
                        count,
                    });
                }
            }
        }

        // 5. Deposits: redeposits due, then new deposits.
        let mut due = Vec::new();
        self.redeposits.retain(|r| {
            if r.release < end {
                due.push(*r);
                false
            } else {
                true
            }
        });
        let new = self.deposits_in_step(step);
        let planned = new + due.iter().map(|r| r.count).sum::<u64>();
        let after = (self.urn.total() + planned) as f64;
        let mut room = vec![u64::MAX; kn];
        let mut open = vec![false; kn];
        for k in 0..kn {
            let cap = lev.operator_cap[k].map_or(UNLIMITED, |s| (s * after).floor() as u64);
            self.ops[k].set_cap(cap);
            if let Some(c) = lev.self_limit[k] {
                room[k] = ((c * after).floor() as u64).saturating_sub(self.urn.counts()[k]);
            }
            open[k] = room[k] > 0 && self.ops[k].has_room();
            let q = if open[k] { self.choice_quality(k) } else { 0.0 };
            self.urn.set_quality(k, q);
        }
        for r in &due {
            let o = r.origin;
            let reopen = open[o];
            if reopen {
                self.urn.set_quality(o, 0.0);
                open[o] = false;
            }
            let placed = self.place_many(r.count, &mut room, &mut open);
            self.flows.redeposits += placed;
            self.flows.refused += r.count - placed;
            if reopen {
                open[o] = true;
                let q = self.choice_quality(o);
                self.urn.set_quality(o, q);
            }
        }
        let placed = self.place_many(new, &mut room, &mut open);
        self.flows.deposits = placed;
        self.flows.refused += new - placed;

        self.flows.queue = self.queued;
        self.flows.awaiting_redeposit = self.redeposits.iter().map(|r| r.count).sum::<u64>()
            + self
                .actions
                .iter()
                .filter(|x| x.rage_quit && x.exec_at.is_none())
                .map(|x| x.opposed - x.remaining)
                .sum::<u64>();
        self.refresh();
    }

    fn refresh(&mut self) {
        self.values.clear();
        self.values
            .extend(self.urn.counts().iter().map(|&n| n as f64));
        self.max = self.values.iter().copied().fold(0.0, f64::max);
    }
}

impl Model for Staking {
    fn step(&mut self, step: u64, t: f64) -> Result<(), ModelError> {
        Staking::step(self, step, t);
        Ok(())
    }
    fn values(&self) -> &[f64] {
        &self.values
    }
    fn total(&self) -> f64 {
        self.urn.total() as f64
    }
    fn max(&self) -> f64 {
        self.max
    }
    fn observe(&self, out: &mut Vec<f64>) {
        scenario::observe(self, out);
    }
}
