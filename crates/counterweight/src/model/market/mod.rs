//! The market layer (issue 12, `docs/market.md`): Cournot competition among firms whose
//! marginal costs may fall with size, and what the resulting market power costs.
//!
//! The chain this module makes measurable is the essays' worry about Big Business:
//! **returns to scale → share → markup → welfare lost**. Costs come either straight from
//! the scenario (the firms' marginal costs) or from sizes, `c_i = c0 · (R_i/K)^(−η)`
//! ([`costs_from_sizes`]: economies of scale in cost; η = 0 gives equal costs).
//!
//! # The equilibrium
//!
//! N firms with constant marginal costs c_i choose quantities q_i ≥ 0; the price is the
//! inverse demand at Q = Σ q_i. Demand is [`Demand::Linear`] (P = a − bQ) or
//! [`Demand::ConstantElasticity`] (Q = scale · P^(−ε)). A Cournot–Nash equilibrium satisfies,
//! for every firm, the first-order (complementarity) condition
//!
//! ```text
//! P(Q) + q_i P'(Q) = c_i   if q_i > 0,        c_i ≥ P(Q)   if q_i = 0.
//! ```
//!
//! The firms that produce (the *active set*) are always the cheapest n; over an active set S
//! the price has a closed form:
//!
//! ```text
//! linear:               P = (a + Σ_S c_i) / (n + 1),        q_i = (P − c_i)/b
//! constant elasticity:  P = Σ_S c_i / (n − 1/ε),            q_i = ε Q (1 − c_i/P),  Q = scale·P^(−ε)
//! ```
//!
//! Sorting costs ascending, firm k joins iff c_k < P_{k−1} (the price without it), and the
//! price with it is a convex combination of P_{k−1} and c_k; so once a firm is priced out every
//! costlier firm is too, and one pass over the sorted costs finds the active set exactly
//! ([`cournot()`]). Under constant elasticity no equilibrium exists unless n·ε > 1 (a monopolist
//! facing inelastic demand raises its price without bound): the ⌊1/ε⌋ + 1 cheapest firms are
//! always active, and fewer firms in total is [`MarketError::NoEquilibrium`]. No numerical root
//! finding is involved: the outcome is exact up to rounding.
//!
//! # Measures
//!
//! * Shares s_i = q_i / Q; market HHI = Σ s_i².
//! * Industry Lerner index L = Σ s_i (P − c_i)/P (price minus share-weighted marginal cost,
//!   over price). At every Cournot equilibrium L = HHI/ε, ε = −(dQ/dP)(P/Q) the price
//!   elasticity of demand at the equilibrium (for linear demand ε = P/(bQ)).
//! * Consumer surplus CS = ∫_P^∞ D(p) dp: bQ²/2 (linear); scale·P^(1−ε)/(ε − 1) when ε > 1,
//!   +∞ when ε ≤ 1 (the area under a constant-elasticity demand curve diverges).
//! * Deadweight loss against marginal-cost pricing, for unequal costs: the efficient outcome
//!   has price c_min = min_i c_i, output Q* = D(c_min), all of it produced at cost c_min.
//!   DWL = W(efficient) − W(Cournot), W = ∫_0^Q P(x) dx − Σ c_i q_i (total surplus). It splits
//!   into the **output loss** ∫_{c_min}^{P} (D(p) − Q) dp (the triangle of units worth more
//!   than c_min that are not sold) and the **production loss** Σ (c_i − c_min) q_i (units made
//!   by costlier firms than necessary). Both are finite for every ε > 0.
//!
//! A linear market whose intercept is at or below every cost produces nothing: Q = 0, the
//! price is reported as the intercept, shares are 0, HHI and Lerner are NaN (undefined), and
//! CS = DWL = 0 (the efficient output is 0 too).

mod cournot;
pub mod layer;
mod standalone;

pub use cournot::{CournotOutcome, cournot};
pub use layer::{MarketLayer, MarketSpec};
pub use standalone::{Market, MarketSetup};

use thiserror::Error;

/// A demand curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Demand {
    /// Inverse demand P = a − bQ (`intercept` a > 0, `slope` b > 0); Q = (a − P)/b for P ≤ a.
    Linear {
        /// a > 0: the price at which nothing is bought.
        intercept: f64,
        /// b > 0: the fall in price per unit bought.
        slope: f64,
    },
    /// Q = scale · P^(−ε) (`elasticity` ε > 0, `scale` > 0); P = (Q/scale)^(−1/ε).
    ConstantElasticity {
        /// ε > 0: the price elasticity of demand.
        elasticity: f64,
        /// The quantity bought at price 1 (> 0).
        scale: f64,
    },
}

impl Demand {
    /// Check the parameters (finite and > 0); the error names the scenario field.
    pub fn validate(&self) -> Result<(), MarketError> {
        let positive = |field: &'static str, value: f64| {
            if value.is_finite() && value > 0.0 {
                Ok(())
            } else {
                Err(MarketError::InvalidParameter {
                    field,
                    value,
                    valid: "a finite number > 0",
                })
            }
        };
        match *self {
            Demand::Linear { intercept, slope } => {
                positive("intercept", intercept)?;
                positive("slope", slope)
            }
            Demand::ConstantElasticity { elasticity, scale } => {
                positive("elasticity", elasticity)?;
                positive("scale", scale)
            }
        }
    }

    /// The quantity demanded at price `p` ≥ 0 (0 above a linear curve's intercept).
    pub fn quantity(&self, p: f64) -> f64 {
        match *self {
            Demand::Linear { intercept, slope } => ((intercept - p) / slope).max(0.0),
            Demand::ConstantElasticity { elasticity, scale } => scale * p.powf(-elasticity),
        }
    }

    /// The inverse demand: the price at which `q` ≥ 0 is bought.
    pub fn price(&self, q: f64) -> f64 {
        match *self {
            Demand::Linear { intercept, slope } => intercept - slope * q,
            Demand::ConstantElasticity { elasticity, scale } => (q / scale).powf(-1.0 / elasticity),
        }
    }

    /// The price elasticity of demand ε = −(dQ/dP)(P/Q) at price `p` (constant for
    /// constant-elasticity demand; P/(a − P) for linear demand).
    pub fn elasticity(&self, p: f64) -> f64 {
        match *self {
            Demand::Linear { intercept, .. } => p / (intercept - p),
            Demand::ConstantElasticity { elasticity, .. } => elasticity,
        }
    }

    /// ∫_lo^hi D(p) dp for 0 < lo ≤ hi (the area left of the demand curve between two
    /// prices), computed without cancellation for ε near 1.
    pub fn area(&self, lo: f64, hi: f64) -> f64 {
        if hi <= lo {
            return 0.0;
        }
        match *self {
            Demand::Linear { intercept, slope } => {
                let hi = hi.min(intercept);
                if hi <= lo {
                    return 0.0;
                }
                // ∫ (a − p)/b dp = (hi − lo)(2a − lo − hi)/(2b).
                (hi - lo) * ((intercept - lo) + (intercept - hi)) / (2.0 * slope)
            }
            Demand::ConstantElasticity { elasticity, scale } => {
                // scale ∫_lo^hi p^(−ε) dp = scale lo^(1−ε) ∫_0^x e^((1−ε)t) dt, x = ln(hi/lo)
                //                         = scale lo^(1−ε) x φ((1−ε)x), φ(y) = expm1(y)/y.
                let x = (hi / lo).ln();
                let y = (1.0 - elasticity) * x;
                let phi = if y == 0.0 { 1.0 } else { y.exp_m1() / y };
                scale * lo.powf(1.0 - elasticity) * x * phi
            }
        }
    }
}

/// Marginal costs from sizes: `c_i = c0 · (R_i/K)^(−η)`.
///
/// `c0` > 0 is the cost of a firm of the reference size `K` > 0; `η` ≥ 0 the cost elasticity
/// (0: equal costs; 1: cost inversely proportional to size). Sizes must be finite and ≥ 0; a
/// firm of size 0 has cost +∞ when η > 0 (it cannot produce, so it is priced out) and c0
/// when η = 0.
pub fn costs_from_sizes(
    sizes: &[f64],
    c0: f64,
    eta: f64,
    reference_scale: f64,
) -> Result<Vec<f64>, MarketError> {
    if !(c0.is_finite() && c0 > 0.0) {
        return Err(MarketError::InvalidParameter {
            field: "cost",
            value: c0,
            valid: "a finite number > 0",
        });
    }
    if !(eta.is_finite() && eta >= 0.0) {
        return Err(MarketError::InvalidParameter {
            field: "cost_elasticity",
            value: eta,
            valid: "a finite number >= 0",
        });
    }
    if !(reference_scale.is_finite() && reference_scale > 0.0) {
        return Err(MarketError::InvalidParameter {
            field: "reference_scale",
            value: reference_scale,
            valid: "a finite number > 0",
        });
    }
    sizes
        .iter()
        .enumerate()
        .map(|(firm, &r)| {
            if r.is_finite() && r >= 0.0 {
                Ok(c0 * (r / reference_scale).powf(-eta))
            } else {
                Err(MarketError::InvalidSize { firm, value: r })
            }
        })
        .collect()
}

/// Why a market cannot be solved. Every message names the field or the firm.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum MarketError {
    /// A demand or cost parameter is out of range.
    #[error("{field} = {value} is invalid; valid: {valid}")]
    InvalidParameter {
        /// The scenario field.
        field: &'static str,
        /// The value given.
        value: f64,
        /// What would be valid.
        valid: &'static str,
    },
    /// A firm's marginal cost is invalid (negative or not finite).
    #[error("firm {firm}: marginal cost {value} is invalid; valid: {valid}")]
    InvalidCost {
        /// 0-based firm index.
        firm: usize,
        /// The cost found.
        value: f64,
        /// What would be valid.
        valid: &'static str,
    },
    /// A firm's size is negative or not finite (costs from sizes).
    #[error("firm {firm}: size {value} is invalid; valid: a finite number >= 0")]
    InvalidSize {
        /// 0-based firm index.
        firm: usize,
        /// The size found.
        value: f64,
    },
    /// No firm at all.
    #[error("a market needs at least one firm")]
    NoFirms,
    /// Constant-elasticity demand with at most 1/ε firms of finite cost: no Cournot
    /// equilibrium exists.
    #[error(
        "no Cournot equilibrium: with constant-elasticity demand (elasticity = {elasticity}) \
         more than 1/elasticity = {:.4} firms with finite costs must produce, and there are {firms}; \
         raise the elasticity or add firms",
        1.0 / elasticity
    )]
    NoEquilibrium {
        /// The demand's ε.
        elasticity: f64,
        /// Firms with finite costs.
        firms: usize,
    },
}
