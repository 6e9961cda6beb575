//! Policies: time-scheduled interventions, the essays' levers (DESIGN.md §5).
//!
//! Each policy is active on the steps whose start time `t` satisfies `from <= t < until`,
//! applies to a set of groups, and acts after the model's own terms in a step (term 6 of
//! DESIGN.md §4.1). Taxes are budget-neutral by construction: every unit collected is
//! paid out in the same step, and the runner records both sides.

use crate::model::growth::GrowthParam;

/// The active window of a policy, in model time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    pub from: f64,
    /// `f64::INFINITY` when the policy never ends.
    pub until: f64,
}

impl Window {
    /// Whether a step starting at `t` (of length `dt`) is inside the window. A tolerance
    /// of a millionth of a step absorbs the rounding of `k * dt`.
    pub fn contains(&self, t: f64, dt: f64) -> bool {
        let eps = 1e-6 * dt;
        t + eps >= self.from && t + eps < self.until
    }
}

/// Who receives the revenue of a proprietary tax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rebate {
    /// Equal shares to every actor.
    Equal,
    /// To actors in proportion to their openness (equal shares if nobody is open).
    Open,
}

/// What a policy does.
#[derive(Debug, Clone, PartialEq)]
pub enum PolicyKind {
    /// Change a model parameter while active; the previous value returns after `until`.
    Set { param: GrowthParam, value: f64 },
    /// Forced diffusion (copyleft, standards mandates, technology transfer): a floor on
    /// the openness of the targeted groups while active.
    OpennessMandate { openness: f64 },
    /// Non-compete bans, labour mobility: multiplies the spillover rate that the targeted
    /// groups receive.
    SpilloverBoost { factor: f64 },
    /// A tax at `rate` per unit time on resources above `threshold` times the mean of all
    /// actors, paid by the targeted groups; the revenue is returned equally to all actors.
    WealthTax { rate: f64, threshold: f64 },
    /// A tax on the proprietary part of growth, `rate * (1 - o_i) * g_i` where `g_i` is
    /// the actor's growth from returns to scale in this step; paid by the targeted groups.
    ProprietaryTax { rate: f64, rebate: Rebate },
    /// Exchange model: a wealth tax with an equal rebate, as a rate of redistribution.
    /// While active, sets the redistribution rate chi (`[exchange] redistribution`) to
    /// `rate`: everyone moves toward the mean as `w <- W/N + (w - W/N) exp(-rate dt)`,
    /// which is a flat tax on wealth at `rate` per unit time whose revenue is returned in
    /// equal shares. Essay lever: taxing fortunes and returning the proceeds.
    Redistribution { rate: f64 },
    /// Exchange model: antitrust as a cap on wealth-attained advantage. While active,
    /// the advantage zeta (`[exchange] advantage`) is at most `cap` (written `value` in
    /// the scenario): limits on what size alone buys in a trade (market power).
    AdvantageCap { cap: f64 },
    /// Adoption model: a floor `value` on interoperability θ while active (adversarial
    /// interoperability, alternative clients, mandated standards such as the common
    /// charger). The θ in force is the largest of `adoption.interoperability` and the
    /// active floors; model-wide.
    Interoperability { value: f64 },
}

/// A validated policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub kind: PolicyKind,
    pub window: Window,
    /// `groups[g]` is true if group `g` is targeted.
    pub groups: Vec<bool>,
}

impl PolicyKind {
    /// The name used in scenario files.
    pub fn name(&self) -> &'static str {
        match self {
            PolicyKind::Set { .. } => "set",
            PolicyKind::OpennessMandate { .. } => "openness_mandate",
            PolicyKind::SpilloverBoost { .. } => "spillover_boost",
            PolicyKind::WealthTax { .. } => "wealth_tax",
            PolicyKind::ProprietaryTax { .. } => "proprietary_tax",
            PolicyKind::Redistribution { .. } => "redistribution",
            PolicyKind::AdvantageCap { .. } => "advantage_cap",
            PolicyKind::Interoperability { .. } => "interoperability",
        }
    }
}

/// Every policy kind a scenario may name.
pub const POLICY_KINDS: &[&str] = &[
    "set",
    "openness_mandate",
    "spillover_boost",
    "wealth_tax",
    "proprietary_tax",
    "redistribution",
    "advantage_cap",
    "interoperability",
];

/// The policy kinds that act on the exchange model (and only on it).
pub const EXCHANGE_POLICY_KINDS: &[&str] = &["redistribution", "advantage_cap"];

use crate::model::Ledger;

/// Wealth tax: every targeted actor pays `rate_dt * max(R_i - threshold, 0)`; the revenue
/// is returned in equal shares to all actors. Requires `rate_dt <= 1` (validated), so no
/// one pays more than their excess.
pub fn wealth_tax(
    values: &mut [f64],
    targeted: impl Fn(usize) -> bool,
    rate_dt: f64,
    threshold: f64,
) -> Ledger {
    let mut collected = 0.0;
    for (i, x) in values.iter_mut().enumerate() {
        if targeted(i) && *x > threshold {
            let tax = rate_dt * (*x - threshold);
            *x -= tax;
            collected += tax;
        }
    }
    let paid = transfer(values, collected, None);
    Ledger { collected, paid }
}

/// Proprietary tax: every targeted actor pays `rate * (1 - o_i) * g_i` of this step's
/// growth `g_i` from returns to scale. The revenue is returned equally, or in proportion
/// to openness (`weights`), falling back to equal shares when nobody is open.
pub fn proprietary_tax(
    values: &mut [f64],
    targeted: impl Fn(usize) -> bool,
    rate: f64,
    openness: &[f64],
    growth: &[f64],
    weights: Option<&[f64]>,
) -> Ledger {
    let mut collected = 0.0;
    for (i, x) in values.iter_mut().enumerate() {
        if targeted(i) {
            let tax = rate * (1.0 - openness[i]) * growth[i].max(0.0);
            *x -= tax;
            collected += tax;
        }
    }
    let paid = transfer(values, collected, weights);
    Ledger { collected, paid }
}

/// Pay `amount` out: equally, or in proportion to `weights`. Returns what was paid.
fn transfer(values: &mut [f64], amount: f64, weights: Option<&[f64]>) -> f64 {
    if amount == 0.0 || values.is_empty() {
        return 0.0;
    }
    let total_w: f64 = weights.map_or(0.0, |w| w.iter().sum());
    let mut paid = 0.0;
    match weights {
        Some(w) if total_w > 0.0 => {
            for (x, &wi) in values.iter_mut().zip(w) {
                let p = amount * (wi / total_w);
                *x += p;
                paid += p;
            }
        }
        _ => {
            let p = amount / values.len() as f64;
            for x in values.iter_mut() {
                *x += p;
                paid += p;
            }
        }
    }
    paid
}
