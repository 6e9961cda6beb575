//! The Harberger tax on intellectual property (issue 12, `docs/harberger.md`): a
//! self-assessed tax (COST, "common ownership self-assessed tax"; Posner & Weyl 2017) on
//! assets such as patents or licences, and what it does to who holds them.
//!
//! # The model
//!
//! M assets are held by N ≥ 2 actors. The holder of asset j values its use at v_j (a number
//! in the units of the buyers' values). Every step (period), for every asset, in this order:
//!
//! 1. **Revaluation** (rate ρ, `revaluation`, default 0): with probability ρ the holder's use
//!    value is redrawn from the buyer-value distribution F (new uses appear, old ones fade).
//!    With ρ = 0 an asset keeps its holder's value until it is sold.
//! 2. **Declaration**: the holder declares a price p_j by its rule (below).
//! 3. **Tax**: the holder pays τ·p_j (`tax_rate` τ, per step).
//! 4. **A buyer** arrives with probability λ (`buyer_rate`, buyers per asset per step;
//!    1 = every step). The buyer is an actor other than the holder, uniformly at random, with
//!    a use value b ~ F for this asset, drawn fresh (a match-specific value). If b > p_j the
//!    buyer must be sold the asset at the declared price: it pays p_j to the holder and
//!    becomes the holder, with use value b.
//! 5. **Redistribution**: the step's tax revenue is paid out in the same step, in equal
//!    shares to all actors (`Rebate::Equal`) or in proportion to openness (`Rebate::Open`, the
//!    growth model's open rebate; equal shares if nobody is open).
//!
//! Buyer values F: uniform on [0, H] (`BuyerValues::Uniform`, default H = 1) or exponential
//! with mean μ (`BuyerValues::Exponential`).
//!
//! # Declaration rules
//!
//! `truthful`: p = v. `myopic`: maximise the expected payoff of this step,
//!
//! ```text
//! U(p) = λ [ (1 − F(p))·p + F(p)·v ] + (1 − λ)·v − τ·p.
//! ```
//!
//! U'(p) = λ[1 − F(p) − f(p)(p − v)] − τ, so an interior optimum satisfies
//! `p − v = (1 − F(p) − τ/λ)/f(p)` (reference/validation.md §6.1): the owner pays τ·p every
//! step but sells only when a buyer comes, so the tax per buyer is τ/λ.
//!
//! * Uniform on [0, H]: `p* = (H + v − τH/λ)/2`, clipped to [0, H]; with H = 1 and λ = 1 the
//!   issue's `p* = (1 + v − τ)/2`. U is concave on [0, H] and, for p ≥ H, equal to
//!   λv + (1 − λ)v − τp (no buyer pays more than H), so the clipped value is the argmax over
//!   all p ≥ 0.
//! * Exponential with mean μ: the sign of U' is that of h(p) = 1 − (p − v)/μ − (τ/λ)e^{p/μ},
//!   strictly decreasing, so the argmax is its root (found by bisection on [0, v + μ], where
//!   h(v + μ) ≤ 0), or 0 when h(0) ≤ 0. With τ = 0: p = v + μ.
//! * τ = 0 gives the monopoly price argmax (1 − F(p))(p − v) (uniform: (H + v)/2).
//! * The declaration is truthful (p* = v) iff τ = λ(1 − F(v)): the probability that the asset
//!   *should* change hands this step (a buyer comes and values it more). That is the sense
//!   in which "the tax rate equal to the turnover rate" makes owners honest.
//!
//! # What a step records ([`StepStats`])
//!
//! Prices and values are the declaring holders' (after revaluation, before trade);
//! allocations are after trade.
//!
//! * `mean_declared_price` = Σ p_j / M; `mean_price_ratio` = Σ p_j / Σ v_j (declared price
//!   over use value, as a ratio of totals: a mean of ratios would diverge for values near 0).
//! * `turnover`: the fraction of assets sold.
//! * `allocative_efficiency` = Σ_j u_j / Σ_j best_j, where u_j is the use value of asset j's
//!   holder after trade and best_j = max(v_j, b_j) if a buyer came (v_j otherwise): the use
//!   value in the holders' hands over the maximum achievable with the same assets and
//!   buyers. `allocative_loss` = (Σ best − Σ u)/M (uniform buyers, λ = 1: (p* − v)²/2 in
//!   expectation per asset).
//! * `hoarded_share`: the fraction of assets whose holder's use value is below
//!   `hoard_threshold` (default 0.25: the lowest quarter of the default buyer values).
//! * `tax_revenue` and `rebates_paid`: always equal (below).
//! * The concentration of holdings: [`Harberger::holdings`] is the number of assets each
//!   actor holds (the observed value of each actor).
//!
//! # Money and the exact ledger
//!
//! Money is counted in integer quanta of 2^(e − 40), where 2^e ≤ H (or μ) < 2^(e+1): about
//! 10^-12 of the buyer-value scale. Each tax and each sale price is rounded to the nearest
//! quantum (declared prices themselves are not rounded), and the revenue is split in whole
//! quanta (equal shares, then the remainder one quantum each to the first actors in index
//! order; open shares rounded down, then the remainder likewise among the open actors). So
//! the revenue collected and the rebates paid are the same integer, every step, and the
//! actors' cash sums to exactly zero at all times.
//!
//! # As a registered model
//!
//! [`HarbergerTax`] is `model = "harberger"`: the `[harberger]` section ([`HarbergerSpec`]),
//! use values from `[[actors]]` (asset j held by actor j mod N), the `harberger_tax` policy
//! (τ over time), each actor's value its holdings, and the columns [`COLUMNS`].
//!
//! # Randomness
//!
//! Assets are processed in order, in chunks of [`CHUNK`]; chunk c draws from
//! `rng::stream(seed, c)`, so a run is reproducible from (seed, replicate) whatever the
//! number of threads. Per asset and step, in order: the revaluation uniform (if ρ > 0) and
//! the new value (if revalued), the arrival uniform (if λ < 1), then (if a buyer came) the
//! buyer's value and the buyer's index.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::Ledger;
use crate::policy::{Policy, PolicyFields};
use crate::registry::{
    ChartDef, ColumnDef, Condition, Model, ModelDef, ModelError, ModelSetup, Observation, PanelDef,
    ParamInfo, PolicyInfo, ValidateCx,
};
use crate::rng;
use crate::scenario::validate::check::{err, non_negative};
use crate::scenario::{FieldError, Scenario};
use crate::setup::{initial_values, replicate_seed};

/// Assets per chunk: the unit of random streams.
pub const CHUNK: usize = 8192;

/// The distribution F of buyers' (and revalued holders') use values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BuyerValues {
    /// Uniform on [0, high].
    Uniform {
        /// Upper bound (> 0).
        high: f64,
    },
    /// Exponential with the given mean.
    Exponential {
        /// The mean (> 0).
        mean: f64,
    },
}

impl Default for BuyerValues {
    fn default() -> Self {
        BuyerValues::Uniform { high: 1.0 }
    }
}

impl BuyerValues {
    /// The scale of values: `high` or `mean`.
    pub fn scale(&self) -> f64 {
        match *self {
            BuyerValues::Uniform { high } => high,
            BuyerValues::Exponential { mean } => mean,
        }
    }

    /// F(p).
    pub fn cdf(&self, p: f64) -> f64 {
        match *self {
            BuyerValues::Uniform { high } => (p / high).clamp(0.0, 1.0),
            BuyerValues::Exponential { mean } => {
                if p <= 0.0 {
                    0.0
                } else {
                    -(-p / mean).exp_m1()
                }
            }
        }
    }

    /// The value with F(value) = u, for u in [0, 1).
    pub fn quantile(&self, u: f64) -> f64 {
        match *self {
            BuyerValues::Uniform { high } => high * u,
            BuyerValues::Exponential { mean } => -mean * (-u).ln_1p(),
        }
    }

    fn validate(&self) -> Result<(), HarbergerError> {
        let (field, v) = match *self {
            BuyerValues::Uniform { high } => ("buyer_high", high),
            BuyerValues::Exponential { mean } => ("buyer_mean", mean),
        };
        positive(field, v)
    }
}

/// How holders declare their prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Maximise the expected payoff of one step (module documentation).
    Myopic,
    /// Declare the use value.
    Truthful,
}

/// Who receives the tax revenue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rebate {
    /// Equal shares to all actors.
    Equal,
    /// In proportion to openness (equal shares when nobody is open).
    Open,
}

/// Parameters of the Harberger model (`[harberger]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HarbergerParams {
    /// τ: tax per step, as a fraction of the declared price (≥ 0).
    pub tax_rate: f64,
    /// How holders declare their prices (default myopic).
    pub rule: Rule,
    /// λ: probability per asset and step that a buyer arrives, in (0, 1].
    pub buyer_rate: f64,
    /// The law F of buyers' use values (and of revalued holders').
    pub buyers: BuyerValues,
    /// ρ: probability per asset and step that the holder's use value is redrawn, in [0, 1].
    pub revaluation: f64,
    /// Use values below this count as hoarded (≥ 0).
    pub hoard_threshold: f64,
    /// Who receives the tax revenue (default equal shares).
    pub rebate: Rebate,
}

impl HarbergerParams {
    /// Defaults: myopic holders, a buyer every step, uniform [0, 1] buyers, no revaluation,
    /// hoarding below 0.25, equal rebates.
    pub fn new(tax_rate: f64) -> Self {
        HarbergerParams {
            tax_rate,
            rule: Rule::Myopic,
            buyer_rate: 1.0,
            buyers: BuyerValues::default(),
            revaluation: 0.0,
            hoard_threshold: 0.25,
            rebate: Rebate::Equal,
        }
    }

    /// Check every parameter; the error names the scenario field.
    pub fn validate(&self) -> Result<(), HarbergerError> {
        nonneg("tax_rate", self.tax_rate)?;
        if !(self.buyer_rate > 0.0 && self.buyer_rate <= 1.0) {
            return Err(HarbergerError::InvalidParameter {
                field: "buyer_rate",
                value: self.buyer_rate,
                valid: "a number in (0, 1] (the probability per asset and step that a buyer arrives)",
            });
        }
        if !(0.0..=1.0).contains(&self.revaluation) {
            return Err(HarbergerError::InvalidParameter {
                field: "revaluation",
                value: self.revaluation,
                valid: "a number in [0, 1]",
            });
        }
        nonneg("hoard_threshold", self.hoard_threshold)?;
        self.buyers.validate()
    }
}

fn positive(field: &'static str, value: f64) -> Result<(), HarbergerError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(HarbergerError::InvalidParameter {
            field,
            value,
            valid: "a finite number > 0",
        })
    }
}

fn nonneg(field: &'static str, value: f64) -> Result<(), HarbergerError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(HarbergerError::InvalidParameter {
            field,
            value,
            valid: "a finite number >= 0",
        })
    }
}

/// The price a holder with use value `v` declares (module documentation).
pub fn declared_price(
    rule: Rule,
    v: f64,
    tax_rate: f64,
    buyer_rate: f64,
    buyers: BuyerValues,
) -> f64 {
    match rule {
        Rule::Truthful => v,
        Rule::Myopic => match buyers {
            BuyerValues::Uniform { high } => {
                ((high + v - tax_rate * high / buyer_rate) / 2.0).clamp(0.0, high)
            }
            BuyerValues::Exponential { mean } => {
                let r = tax_rate / buyer_rate;
                let h = |p: f64| 1.0 - (p - v) / mean - r * (p / mean).exp();
                if h(0.0) <= 0.0 {
                    return 0.0;
                }
                if r == 0.0 {
                    return v + mean;
                }
                let (mut lo, mut hi) = (0.0f64, v + mean);
                for _ in 0..200 {
                    let mid = 0.5 * (lo + hi);
                    if mid <= lo || mid >= hi {
                        break;
                    }
                    if h(mid) > 0.0 {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                lo
            }
        },
    }
}

/// What one step did (module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct StepStats {
    /// Mean declared price over the declaring holders.
    pub mean_declared_price: f64,
    /// Mean use value of the declaring holders (after revaluation, before trade).
    pub mean_use_value: f64,
    /// Σ p / Σ v (NaN when every use value is 0).
    pub mean_price_ratio: f64,
    /// Fraction of assets sold.
    pub turnover: f64,
    /// Fraction of assets that saw a buyer.
    pub arrivals: f64,
    /// Σ u / Σ best.
    pub allocative_efficiency: f64,
    /// (Σ best − Σ u) / M.
    pub allocative_loss: f64,
    /// Mean use value of the holders after trade.
    pub mean_holder_value: f64,
    /// Fraction of assets held at a use value below `hoard_threshold`.
    pub hoarded_share: f64,
    /// Tax collected in the step (τ times the declared prices).
    pub tax_revenue: f64,
    /// Revenue paid back in the step: always equal to `tax_revenue`, since the budget balances.
    pub rebates_paid: f64,
}

/// Invalid parameters or initial state.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum HarbergerError {
    /// A parameter is out of range.
    #[error("{field} = {value} is invalid; valid: {valid}")]
    InvalidParameter {
        /// The `[harberger]` field.
        field: &'static str,
        /// The value given.
        value: f64,
        /// What would be valid.
        valid: &'static str,
    },
    /// A use value is negative or not finite.
    #[error("asset {asset}: use value {value} is invalid; valid: a finite number >= 0")]
    InvalidUseValue {
        /// 0-based asset index.
        asset: usize,
        /// The value given.
        value: f64,
    },
    /// An asset's holder is not an actor.
    #[error("asset {asset}: holder {owner} is not one of the {actors} actors")]
    InvalidOwner {
        /// 0-based asset index.
        asset: usize,
        /// The holder given.
        owner: usize,
        /// The number of actors.
        actors: usize,
    },
    /// An actor's openness is outside `[0, 1]`.
    #[error("actor {actor}: openness {value} is invalid; valid: a number in [0, 1]")]
    InvalidOpenness {
        /// 0-based actor index.
        actor: usize,
        /// The value given.
        value: f64,
    },
    /// Fewer than 2 actors: buyers are the other actors.
    #[error(
        "the Harberger model needs at least 2 actors (buyers are the other actors); got {actors}"
    )]
    TooFewActors {
        /// The number of actors given.
        actors: usize,
    },
    /// No asset at all.
    #[error("the Harberger model needs at least one asset")]
    NoAssets,
    /// Holders and use values differ in number.
    #[error("{owners} holders given for {values} use values; give one of each per asset")]
    LengthMismatch {
        /// Holders given.
        owners: usize,
        /// Use values given.
        values: usize,
    },
    /// Openness values and actors differ in number.
    #[error("{given} openness values given for {actors} actors")]
    OpennessLength {
        /// Openness values given.
        given: usize,
        /// The number of actors.
        actors: usize,
    },
}

/// The state of one replicate: assets (holder, use value, declared price) and actors
/// (holdings, cash, openness), struct of arrays.
#[derive(Debug, Clone)]
pub struct Harberger {
    params: HarbergerParams,
    owner: Vec<u32>,
    use_value: Vec<f64>,
    price: Vec<f64>,
    prices_stale: bool,
    holdings: Vec<f64>,
    /// Cash in quanta.
    cash: Vec<i128>,
    openness: Vec<f64>,
    rngs: Vec<ChaCha8Rng>,
    quantum: f64,
    stats: StepStats,
    collected: i128,
    paid: i128,
    /// Per-actor tax of the current step, in quanta (scratch).
    rebate_scratch: Vec<i128>,
}

impl Harberger {
    /// A replicate with asset j held by `owners[j]` at use value `use_values[j]`, actors with
    /// the given openness (one entry per actor, N = `openness.len()`), drawing from streams of
    /// `seed` (the replicate's seed).
    pub fn new(
        params: HarbergerParams,
        owners: Vec<usize>,
        use_values: Vec<f64>,
        openness: Vec<f64>,
        seed: u64,
    ) -> Result<Harberger, HarbergerError> {
        params.validate()?;
        let actors = openness.len();
        if actors < 2 {
            return Err(HarbergerError::TooFewActors { actors });
        }
        if owners.len() != use_values.len() {
            return Err(HarbergerError::LengthMismatch {
                owners: owners.len(),
                values: use_values.len(),
            });
        }
        if owners.is_empty() {
            return Err(HarbergerError::NoAssets);
        }
        if actors > u32::MAX as usize {
            return Err(HarbergerError::TooFewActors { actors });
        }
        for (actor, &o) in openness.iter().enumerate() {
            if !(0.0..=1.0).contains(&o) {
                return Err(HarbergerError::InvalidOpenness { actor, value: o });
            }
        }
        let mut holdings = vec![0.0; actors];
        for (asset, (&o, &v)) in owners.iter().zip(&use_values).enumerate() {
            if o >= actors {
                return Err(HarbergerError::InvalidOwner {
                    asset,
                    owner: o,
                    actors,
                });
            }
            if !(v.is_finite() && v >= 0.0) {
                return Err(HarbergerError::InvalidUseValue { asset, value: v });
            }
            holdings[o] += 1.0;
        }
        let chunks = owners.len().div_ceil(CHUNK);
        let quantum = 2f64.powi(params.buyers.scale().log2().floor() as i32 - 40);
        let m = owners.len();
        Ok(Harberger {
            params,
            owner: owners.iter().map(|&o| o as u32).collect(),
            use_value: use_values,
            price: vec![0.0; m],
            prices_stale: true,
            holdings,
            cash: vec![0; actors],
            openness,
            rngs: (0..chunks as u64).map(|c| rng::stream(seed, c)).collect(),
            quantum,
            stats: StepStats::default(),
            collected: 0,
            paid: 0,
            rebate_scratch: Vec::new(),
        })
    }

    /// One asset per actor: actor i holds asset i at use value `use_values[i]`, openness 0.
    pub fn one_asset_each(
        params: HarbergerParams,
        use_values: Vec<f64>,
        seed: u64,
    ) -> Result<Harberger, HarbergerError> {
        let n = use_values.len();
        Harberger::new(params, (0..n).collect(), use_values, vec![0.0; n], seed)
    }

    /// The parameters in force.
    pub fn params(&self) -> &HarbergerParams {
        &self.params
    }

    /// Change the parameters between steps (e.g. τ over time). The buyer distribution's
    /// scale may not change (it fixes the money quantum).
    pub fn set_params(&mut self, params: HarbergerParams) -> Result<(), HarbergerError> {
        params.validate()?;
        let q = 2f64.powi(params.buyers.scale().log2().floor() as i32 - 40);
        if q != self.quantum {
            return Err(HarbergerError::InvalidParameter {
                field: "buyer_high",
                value: params.buyers.scale(),
                valid: "the same power-of-two range as at the start of the run",
            });
        }
        if params != self.params {
            self.prices_stale = true;
        }
        self.params = params;
        Ok(())
    }

    /// Assets held by each actor.
    pub fn holdings(&self) -> &[f64] {
        &self.holdings
    }
    /// Each asset's holder.
    pub fn owners(&self) -> &[u32] {
        &self.owner
    }
    /// Each asset's holder's use value.
    pub fn use_values(&self) -> &[f64] {
        &self.use_value
    }
    /// The price each asset's current holder declares by its rule (after a sale in the last
    /// step, the new holder's; the step's statistics use the prices declared before trade).
    pub fn declared_prices(&self) -> &[f64] {
        &self.price
    }
    /// Each actor's cash (taxes, sales and rebates since the start).
    pub fn cash(&self) -> Vec<f64> {
        self.cash.iter().map(|&c| c as f64 * self.quantum).collect()
    }
    /// Each actor's cash in quanta (exact; sums to 0).
    pub fn cash_quanta(&self) -> &[i128] {
        &self.cash
    }
    /// The money quantum.
    pub fn quantum(&self) -> f64 {
        self.quantum
    }
    /// The last step's statistics.
    pub fn stats(&self) -> &StepStats {
        &self.stats
    }
    /// The last step's tax revenue and rebates, in quanta (always equal).
    pub fn ledger_quanta(&self) -> (i128, i128) {
        (self.collected, self.paid)
    }
    /// The last step's ledger in money units.
    pub fn ledger(&self) -> Ledger {
        Ledger {
            collected: self.collected as f64 * self.quantum,
            paid: self.paid as f64 * self.quantum,
        }
    }

    /// Advance one step (revaluation, declarations, tax, buyers and sales, rebates).
    pub fn step(&mut self) -> &StepStats {
        let p = self.params;
        let n = self.holdings.len();
        let m = self.owner.len();
        if self.prices_stale {
            for j in 0..m {
                self.price[j] = declared_price(
                    p.rule,
                    self.use_value[j],
                    p.tax_rate,
                    p.buyer_rate,
                    p.buyers,
                );
            }
            self.prices_stale = false;
        }
        let (mut sum_p, mut sum_v, mut sum_u, mut sum_best) = (0.0, 0.0, 0.0, 0.0);
        let (mut sales, mut arrivals, mut hoarded) = (0usize, 0usize, 0usize);
        let mut collected: i128 = 0;
        let quantum = self.quantum;
        let to_quanta = |x: f64| (x / quantum).round() as i128;
        for (c, rng) in self.rngs.iter_mut().enumerate() {
            let lo = c * CHUNK;
            let hi = (lo + CHUNK).min(m);
            for j in lo..hi {
                // 1. Revaluation.
                if p.revaluation > 0.0 && rng.random::<f64>() < p.revaluation {
                    self.use_value[j] = p.buyers.quantile(rng.random::<f64>());
                    self.price[j] = declared_price(
                        p.rule,
                        self.use_value[j],
                        p.tax_rate,
                        p.buyer_rate,
                        p.buyers,
                    );
                }
                let v = self.use_value[j];
                let price = self.price[j];
                let holder = self.owner[j] as usize;
                sum_p += price;
                sum_v += v;
                // 3. Tax.
                let tax = to_quanta(price * p.tax_rate);
                self.cash[holder] -= tax;
                collected += tax;
                // 4. A buyer.
                let arrives = p.buyer_rate >= 1.0 || rng.random::<f64>() < p.buyer_rate;
                let mut best = v;
                if arrives {
                    arrivals += 1;
                    let b = p.buyers.quantile(rng.random::<f64>());
                    let mut k = rng.random_range(0..n - 1);
                    if k >= holder {
                        k += 1;
                    }
                    best = best.max(b);
                    if b > price {
                        let pay = to_quanta(price);
                        self.cash[k] -= pay;
                        self.cash[holder] += pay;
                        self.holdings[holder] -= 1.0;
                        self.holdings[k] += 1.0;
                        self.owner[j] = k as u32;
                        self.use_value[j] = b;
                        self.price[j] =
                            declared_price(p.rule, b, p.tax_rate, p.buyer_rate, p.buyers);
                        sales += 1;
                    }
                }
                let u = self.use_value[j];
                sum_u += u;
                sum_best += best;
                if u < p.hoard_threshold {
                    hoarded += 1;
                }
            }
        }
        // 5. Rebates, in whole quanta.
        let paid = self.rebate(collected);
        self.collected = collected;
        self.paid = paid;
        let mf = m as f64;
        self.stats = StepStats {
            mean_declared_price: sum_p / mf,
            mean_use_value: sum_v / mf,
            mean_price_ratio: if sum_v > 0.0 { sum_p / sum_v } else { f64::NAN },
            turnover: sales as f64 / mf,
            arrivals: arrivals as f64 / mf,
            allocative_efficiency: if sum_best > 0.0 {
                sum_u / sum_best
            } else {
                f64::NAN
            },
            allocative_loss: (sum_best - sum_u).max(0.0) / mf,
            mean_holder_value: sum_u / mf,
            hoarded_share: hoarded as f64 / mf,
            tax_revenue: collected as f64 * self.quantum,
            rebates_paid: paid as f64 * self.quantum,
        };
        &self.stats
    }

    /// Pay `amount` quanta out; returns the quanta paid (always `amount`).
    fn rebate(&mut self, amount: i128) -> i128 {
        let n = self.cash.len();
        if amount == 0 {
            return 0;
        }
        let w_total: f64 = self.openness.iter().sum();
        let shares = &mut self.rebate_scratch;
        shares.clear();
        shares.resize(n, 0);
        let recipients: Vec<usize> = if self.params.rebate == Rebate::Open && w_total > 0.0 {
            let mut given = 0i128;
            for (i, &o) in self.openness.iter().enumerate() {
                let s = ((amount as f64) * (o / w_total)).floor().max(0.0) as i128;
                shares[i] = s.min(amount - given);
                given += shares[i];
            }
            (0..n).filter(|&i| self.openness[i] > 0.0).collect()
        } else {
            let base = amount / n as i128;
            shares.iter_mut().for_each(|s| *s = base);
            (0..n).collect()
        };
        // The remainder, one quantum at a time in index order (cycling if needed).
        let given: i128 = shares.iter().sum();
        let mut rem = amount - given;
        let r = recipients.len() as i128;
        let each = rem / r;
        rem -= each * r;
        for (k, &i) in recipients.iter().enumerate() {
            shares[i] += each + i128::from((k as i128) < rem);
        }
        let mut paid = 0i128;
        for (c, &s) in self.cash.iter_mut().zip(shares.iter()) {
            *c += s;
            paid += s;
        }
        paid
    }
}

// --- the registered model (`model = "harberger"`) ----------------------------------------

/// `[harberger]` as written in a scenario. The owners' use values are the `[[actors]]`
/// initial values; asset j is held by actor j mod N at that actor's use value (`assets`
/// defaults to N: one asset each).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HarbergerSpec {
    /// M, the number of assets (default: the number of actors).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assets: Option<u64>,
    /// τ, tax per step as a fraction of the declared price (required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_rate: Option<f64>,
    /// `"myopic"` (default) or `"truthful"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// λ, buyers per asset per step, in (0, 1] (default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_rate: Option<f64>,
    /// `"uniform"` (default, on [0, buyer_high]) or `"exponential"` (mean `buyer_mean`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_values: Option<String>,
    /// H, the top of uniform buyer values (default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_high: Option<f64>,
    /// μ, the mean of exponential buyer values (default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_mean: Option<f64>,
    /// ρ, probability per asset and step that the holder's use value is redrawn (default 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revaluation: Option<f64>,
    /// Use values below this count as hoarded (default 0.25).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hoard_threshold: Option<f64>,
    /// `"equal"` (default) or `"open"`: who receives the revenue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rebate: Option<String>,
}

/// What a Harberger policy does while active.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HarbergerPolicy {
    /// τ over time: sets `tax_rate` to `rate` and, if given, the rebate (`"open"`: the
    /// revenue goes to open actors in proportion to openness, the growth model's
    /// proprietary-tax rebate).
    Tax {
        /// τ while active (>= 0, per step, of the declared price).
        rate: f64,
        /// The rebate while active; `None` keeps the scenario's.
        rebate: Option<Rebate>,
    },
}

/// The policy kinds of the Harberger model.
pub const POLICY_KINDS: &[PolicyFields] = &[("harberger_tax", &["rate", "rebate"])];

/// The columns the Harberger model records, in [`Model::observe`] order. Flows (turnover,
/// revenue, efficiency) are those of the step just taken; the row of step 0 is NaN.
pub const COLUMNS: [ColumnDef; 11] = [
    ColumnDef::real(
        "mean_price_ratio",
        "declared price over use value (ratio of totals)",
    ),
    ColumnDef::real("mean_declared_price", "mean declared price"),
    ColumnDef::share("turnover", "share of assets sold in the step"),
    ColumnDef::share(
        "allocative_efficiency",
        "use value held over the achievable maximum",
    ),
    ColumnDef::real("tax_revenue", "tax collected in the step"),
    ColumnDef::real("rebates_paid", "revenue paid back in the step"),
    ColumnDef::share(
        "hoarded_share",
        "share of assets held below the hoarding threshold",
    ),
    ColumnDef::real("allocative_loss", "use value lost per asset"),
    ColumnDef::real("mean_use_value", "mean use value of the declaring holders"),
    ColumnDef::real(
        "mean_holder_value",
        "mean use value of the holders after trade",
    ),
    ColumnDef::share("arrivals", "share of assets that saw a buyer"),
];

/// The Harberger model, as registered.
pub struct HarbergerTax;

/// The Harberger model's validated setup.
#[derive(Debug, Clone, PartialEq)]
pub struct HarbergerSetup {
    /// The validated `[harberger]` parameters (at time 0).
    pub params: HarbergerParams,
    /// M, the number of assets.
    pub assets: usize,
    /// The validated `harberger_tax` policies, in file order.
    pub policies: Vec<Policy<HarbergerPolicy>>,
}

fn located(e: HarbergerError) -> FieldError {
    match e {
        HarbergerError::InvalidParameter {
            field,
            value,
            valid,
        } => err(
            format!("harberger.{field}"),
            format!("{value} is invalid"),
            valid,
        ),
        other => err("harberger", other.to_string(), "see docs/harberger.md"),
    }
}

impl ModelDef for HarbergerTax {
    fn name(&self) -> &'static str {
        "harberger"
    }
    fn about(&self) -> &'static str {
        "self-assessed (Harberger) tax on IP: owners declare prices, pay tau on them, and must sell to buyers who bid more (docs/harberger.md)"
    }
    fn keys(&self) -> &'static [&'static str] {
        &["harberger"]
    }
    fn params(&self) -> Vec<ParamInfo> {
        let r = ParamInfo::real;
        vec![
            r(
                "harberger.assets",
                "",
                Some(1.0),
                None,
                "assets",
                "M; asset j is held by actor j mod N (default: one asset per actor)",
            ),
            r(
                "harberger.tax_rate",
                "",
                Some(0.0),
                None,
                "per step",
                "tau: tax per step as a fraction of the declared price",
            )
            .with_example("0.1"),
            ParamInfo::choice(
                "harberger.rule",
                "\"myopic\"",
                &["myopic", "truthful"],
                "declarations: maximise one step's expected payoff, or declare the use value",
            ),
            r(
                "harberger.buyer_rate",
                "1.0",
                Some(0.0),
                Some(1.0),
                "per asset per step",
                "lambda: probability that a buyer arrives (1 = every step)",
            ),
            ParamInfo::choice(
                "harberger.buyer_values",
                "\"uniform\"",
                &["uniform", "exponential"],
                "distribution F of buyers' use values",
            ),
            r(
                "harberger.buyer_high",
                "1.0",
                Some(0.0),
                None,
                "value",
                "H: uniform buyer values on [0, H]",
            )
            .when(&[Condition::new("harberger.buyer_values", &["uniform"])]),
            r(
                "harberger.buyer_mean",
                "1.0",
                Some(0.0),
                None,
                "value",
                "mu: mean of exponential buyer values",
            )
            .when(&[Condition::new("harberger.buyer_values", &["exponential"])]),
            r(
                "harberger.revaluation",
                "0.0",
                Some(0.0),
                Some(1.0),
                "per asset per step",
                "rho: probability that the holder's use value is redrawn from F",
            ),
            r(
                "harberger.hoard_threshold",
                "0.25",
                Some(0.0),
                None,
                "value",
                "assets held at a use value below this count as hoarded",
            ),
            ParamInfo::choice(
                "harberger.rebate",
                "\"equal\"",
                &["equal", "open"],
                "who receives the revenue: everyone equally, or open actors by openness",
            ),
        ]
    }
    fn policy_kinds(&self) -> &'static [PolicyFields] {
        POLICY_KINDS
    }
    fn policies(&self) -> Vec<PolicyInfo> {
        vec![PolicyInfo::new(
            "harberger_tax",
            "sets the self-assessed tax rate tau (and the rebate) while active",
            vec![
                ParamInfo::real("rate", "", Some(0.0), None, "per step", "tau while active")
                    .with_example("0.1"),
                ParamInfo::choice(
                    "rebate",
                    "",
                    &["equal", "open"],
                    "who receives the revenue (default: [harberger] rebate)",
                ),
            ],
        )]
    }
    fn validate(&self, cx: &mut ValidateCx<'_>) -> Result<Box<dyn ModelSetup>, FieldError> {
        cx.time()?;
        let spec: HarbergerSpec = cx.require_section("harberger")?;
        let n = cx.actor_count();
        if n < 2 {
            return Err(err(
                "actors",
                format!(
                    "the Harberger model needs at least 2 actors (buyers are the other actors), got {n}"
                ),
                "count >= 2 in [[actors]]",
            ));
        }
        if n > u32::MAX as usize {
            return Err(err(
                "actors",
                format!("{n} actors"),
                format!("at most {} actors", u32::MAX),
            ));
        }
        let assets = match spec.assets {
            None => n,
            Some(0) => return Err(err("harberger.assets", "no assets", "an integer >= 1")),
            Some(m) if m > 200_000_000 => {
                return Err(err(
                    "harberger.assets",
                    format!("{m} assets"),
                    "at most 200000000 assets",
                ));
            }
            Some(m) => m as usize,
        };
        let tax_rate = spec.tax_rate.ok_or_else(|| {
            err(
                "harberger.tax_rate",
                "`tax_rate` is required",
                "e.g. tax_rate = 0.1 (a fraction of the declared price per step)",
            )
        })?;
        let mut params = HarbergerParams::new(non_negative("harberger.tax_rate", tax_rate)?);
        params.rule = match spec.rule.as_deref().unwrap_or("myopic") {
            "myopic" => Rule::Myopic,
            "truthful" => Rule::Truthful,
            other => {
                return Err(err(
                    "harberger.rule",
                    format!("unknown rule \"{other}\""),
                    "\"myopic\" or \"truthful\"",
                ));
            }
        };
        params.buyer_rate = spec.buyer_rate.unwrap_or(1.0);
        params.buyers = match spec.buyer_values.as_deref().unwrap_or("uniform") {
            "uniform" => {
                if spec.buyer_mean.is_some() {
                    return Err(err(
                        "harberger.buyer_mean",
                        "`buyer_mean` does not apply to buyer_values = \"uniform\"",
                        "buyer_high for uniform values, or buyer_values = \"exponential\"",
                    ));
                }
                BuyerValues::Uniform {
                    high: spec.buyer_high.unwrap_or(1.0),
                }
            }
            "exponential" => {
                if spec.buyer_high.is_some() {
                    return Err(err(
                        "harberger.buyer_high",
                        "`buyer_high` does not apply to buyer_values = \"exponential\"",
                        "buyer_mean for exponential values, or buyer_values = \"uniform\"",
                    ));
                }
                BuyerValues::Exponential {
                    mean: spec.buyer_mean.unwrap_or(1.0),
                }
            }
            other => {
                return Err(err(
                    "harberger.buyer_values",
                    format!("unknown distribution \"{other}\""),
                    "\"uniform\" or \"exponential\"",
                ));
            }
        };
        params.revaluation = spec.revaluation.unwrap_or(0.0);
        params.hoard_threshold = spec.hoard_threshold.unwrap_or(0.25);
        params.rebate = rebate(spec.rebate.as_deref().unwrap_or("equal"))
            .ok_or_else(|| rebate_err("harberger.rebate", spec.rebate.as_deref()))?;
        params.validate().map_err(located)?;
        let policies = cx.policies(POLICY_KINDS, |p| {
            p.no_groups()?;
            let rate = non_negative(&p.field("rate"), p.require_f64("rate")?)?;
            let rebate = match p.str("rebate")? {
                None => None,
                Some(r) => {
                    Some(rebate(&r).ok_or_else(|| rebate_err(&p.field("rebate"), Some(&r)))?)
                }
            };
            Ok(HarbergerPolicy::Tax { rate, rebate })
        })?;
        Ok(Box::new(HarbergerSetup {
            params,
            assets,
            policies,
        }))
    }
}

fn rebate(word: &str) -> Option<Rebate> {
    match word {
        "equal" => Some(Rebate::Equal),
        "open" => Some(Rebate::Open),
        _ => None,
    }
}

fn rebate_err(field: &str, word: Option<&str>) -> FieldError {
    err(
        field,
        format!("unknown rebate \"{}\"", word.unwrap_or("")),
        "\"equal\" or \"open\"",
    )
}

impl ModelSetup for HarbergerSetup {
    fn build(&self, sc: &Scenario, replicate: u32) -> Box<dyn Model> {
        let values = initial_values(&sc.groups, sc.seed, replicate);
        let n = values.len();
        let owners: Vec<usize> = (0..self.assets).map(|j| j % n).collect();
        let use_values: Vec<f64> = owners.iter().map(|&i| values[i]).collect();
        let openness: Vec<f64> = sc
            .groups
            .iter()
            .flat_map(|g| std::iter::repeat_n(g.openness, g.count))
            .collect();
        let state = Harberger::new(
            self.params,
            owners,
            use_values,
            openness,
            replicate_seed(sc.seed, replicate),
        )
        .expect("validated parameters and positive initial values");
        Box::new(HarbergerRun {
            state,
            base: self.params,
            policies: self.policies.clone(),
            dt: sc.time.dt,
            stepped: false,
        })
    }
    fn observation(&self) -> Observation {
        Observation {
            concentration: true,
            columns: COLUMNS.to_vec(),
            key: vec!["allocative_efficiency", "turnover", "mean_price_ratio"],
        }
    }
    /// The tax's trade-off over time: efficiency and turnover against declared prices and
    /// revenue, one column per panel (so `[[compare]]` variants share each panel).
    fn charts(&self) -> Vec<ChartDef> {
        vec![
            ChartDef::new(
                "harberger",
                "The Harberger tax over time",
                "Allocative efficiency (use value in the holders' hands over the achievable \
                 maximum), turnover (share of assets sold in the step), declared price over use \
                 value, and the tax collected in the step. Flows are those of the step just \
                 taken, so the first recorded step has none.",
            )
            .panel(
                PanelDef::lines("allocative efficiency", "use value held / maximum")
                    .series("allocative_efficiency", "allocative efficiency")
                    .share(),
            )
            .panel(
                PanelDef::lines("turnover", "share of assets sold in the step")
                    .series("turnover", "turnover")
                    .share(),
            )
            .panel(
                PanelDef::lines("declared price / use value", "ratio of totals")
                    .series("mean_price_ratio", "declared price / use value"),
            )
            .panel(
                PanelDef::lines("tax revenue", "tax collected in the step")
                    .series("tax_revenue", "tax collected"),
            ),
        ]
    }
}

/// One replicate of the Harberger model behind the runner's [`Model`] contract. Each
/// actor's value is the number of assets it holds.
struct HarbergerRun {
    state: Harberger,
    base: HarbergerParams,
    policies: Vec<Policy<HarbergerPolicy>>,
    dt: f64,
    stepped: bool,
}

impl Model for HarbergerRun {
    fn step(&mut self, step: u64, t: f64) -> Result<(), ModelError> {
        let mut params = self.base;
        for p in self
            .policies
            .iter()
            .filter(|p| p.window.contains(t, self.dt))
        {
            let HarbergerPolicy::Tax { rate, rebate } = p.kind;
            params.tax_rate = rate;
            if let Some(r) = rebate {
                params.rebate = r;
            }
        }
        self.state
            .set_params(params)
            .map_err(|e| ModelError::Other {
                step,
                time: t,
                message: e.to_string(),
            })?;
        self.state.step();
        self.stepped = true;
        Ok(())
    }
    fn values(&self) -> &[f64] {
        self.state.holdings()
    }
    fn observe(&self, out: &mut Vec<f64>) {
        if !self.stepped {
            out.extend([f64::NAN; COLUMNS.len()]);
            return;
        }
        let s = self.state.stats();
        out.extend([
            s.mean_price_ratio,
            s.mean_declared_price,
            s.turnover,
            s.allocative_efficiency,
            s.tax_revenue,
            s.rebates_paid,
            s.hoarded_share,
            s.allocative_loss,
            s.mean_use_value,
            s.mean_holder_value,
            s.arrivals,
        ]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn myopic_uniform_formula_and_clipping() {
        let u = BuyerValues::default();
        assert!((declared_price(Rule::Myopic, 0.2, 0.1, 1.0, u) - 0.55).abs() < 1e-15);
        assert_eq!(declared_price(Rule::Myopic, 0.5, 0.0, 1.0, u), 0.75);
        // Over-taxed with rare buyers: τ/λ = 2 drives the price to 0.
        assert_eq!(declared_price(Rule::Myopic, 0.5, 0.5, 0.25, u), 0.0);
        // A use value above every buyer's: declare the top of the support.
        assert_eq!(declared_price(Rule::Myopic, 1.5, 0.0, 1.0, u), 1.0);
        assert_eq!(declared_price(Rule::Truthful, 0.3, 0.9, 1.0, u), 0.3);
    }

    #[test]
    fn validation_names_fields() {
        let mut p = HarbergerParams::new(0.1);
        p.buyer_rate = 0.0;
        assert!(matches!(
            p.validate(),
            Err(HarbergerError::InvalidParameter {
                field: "buyer_rate",
                ..
            })
        ));
        let p = HarbergerParams::new(-0.1);
        assert!(matches!(
            p.validate(),
            Err(HarbergerError::InvalidParameter {
                field: "tax_rate",
                ..
            })
        ));
        let p = HarbergerParams::new(0.1);
        assert!(matches!(
            Harberger::one_asset_each(p, vec![0.5], 1),
            Err(HarbergerError::TooFewActors { actors: 1 })
        ));
        assert!(matches!(
            Harberger::one_asset_each(p, vec![0.5, f64::NAN], 1),
            Err(HarbergerError::InvalidUseValue { asset: 1, .. })
        ));
        assert!(matches!(
            Harberger::new(p, vec![0, 2], vec![0.5, 0.5], vec![0.0, 0.0], 1),
            Err(HarbergerError::InvalidOwner { asset: 1, .. })
        ));
    }

    #[test]
    fn open_rebate_goes_to_open_actors() {
        let mut p = HarbergerParams::new(0.3);
        p.rebate = Rebate::Open;
        let mut h = Harberger::new(
            p,
            vec![0, 1, 2],
            vec![0.2, 0.5, 0.9],
            vec![0.0, 0.25, 0.75],
            3,
        )
        .unwrap();
        let before = h.cash_quanta().to_vec();
        h.step();
        let (c, paid) = h.ledger_quanta();
        assert_eq!(c, paid);
        assert!(c > 0);
        assert_eq!(h.cash_quanta().iter().sum::<i128>(), 0);
        let _ = before;
    }
}
