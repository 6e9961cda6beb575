//! The staking model's policies: levers in force over a time window, and one event.
//!
//! Each lever is a pure function of the policies and the time ([`levers`]); the model
//! applies the result at the start of every step. Where several policies of a kind are in
//! force, the strictest wins (the lowest cap, the highest fee floor, the lowest fee cap,
//! the highest interoperability).
//!
//! * [`StakingPolicy::SelfLimit`] — "should never control all staked ETH": a provider
//!   accepts deposits only while its stake stays at most `cap` times the total stake the
//!   network will have after the step's deposits (the way Lido's staking router caps a
//!   module's share, `stakeShareLimit × (active + new)`). A provider above the cap receives
//!   nothing but keeps what it has.
//! * [`StakingPolicy::OperatorCap`] — no operator of the providers above `share` of all
//!   stake (Lido's soft target: no operator above 1% of all staked ether through Lido),
//!   computed the same way as the self-limit.
//! * [`StakingPolicy::FeeBounds`] — a fee floor and/or cap (fractions of rewards).
//! * [`StakingPolicy::Interoperability`] — a mandated θ: the interoperability in force is
//!   at least `theta` (forks, wrapped tokens, shared standards).
//! * [`StakingPolicy::HarmfulAction`] — an event: at `at` the provider's governance takes a
//!   decision that a fraction `opposed` of its stake opposes (see `control`); when it
//!   executes, the provider's fee becomes `fee` (if given) and its quality is multiplied by
//!   `quality_factor`.

/// A time window: in force for a step starting at t when from <= t < until (with a
/// tolerance of a millionth of a step for the rounding of k·dt).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    /// Model time at which it starts.
    pub from: f64,
    /// Model time at which it ends (exclusive; infinite for never).
    pub until: f64,
}

impl Window {
    /// From `from` on, forever.
    pub fn from(from: f64) -> Window {
        Window {
            from,
            until: f64::INFINITY,
        }
    }

    /// In force from time 0 on, forever.
    pub fn always() -> Window {
        Window::from(0.0)
    }

    /// Whether a step starting at `t` (of length `dt`) is in the window:
    /// `from <= t < until`, with a tolerance of `1e-6 · dt`.
    pub fn contains(&self, t: f64, dt: f64) -> bool {
        let eps = 1e-6 * dt;
        t + eps >= self.from && t + eps < self.until
    }
}

/// Which providers a policy applies to: indices into the model's providers; empty = all.
pub type Targets = Vec<usize>;

fn targets(t: &Targets, k: usize) -> bool {
    t.is_empty() || t.contains(&k)
}

/// A policy of the staking model.
#[derive(Debug, Clone, PartialEq)]
pub enum StakingPolicy {
    /// `self_limit`: a provider takes deposits only while its stake stays at most `cap` of
    /// the total after the step's deposits.
    SelfLimit {
        /// When it is in force.
        window: Window,
        /// The providers it applies to (empty: all).
        providers: Targets,
        /// The share cap, in (0, 1].
        cap: f64,
    },
    /// `operator_cap`: no operator of the providers above `share` of all stake.
    OperatorCap {
        /// When it is in force.
        window: Window,
        /// The providers it applies to (empty: all).
        providers: Targets,
        /// The per-operator cap, as a share of all stake, in (0, 1].
        share: f64,
    },
    /// `fee_bounds`: a fee floor and cap, as fractions of rewards.
    FeeBounds {
        /// When it is in force.
        window: Window,
        /// The providers it applies to (empty: all).
        providers: Targets,
        /// The lowest fee allowed (default 0).
        floor: f64,
        /// The highest fee allowed (default 1).
        cap: f64,
    },
    /// `interoperability`: the θ in force is at least `theta`.
    Interoperability {
        /// When it is in force.
        window: Window,
        /// The floor on θ, in `[0, 1]`.
        theta: f64,
    },
    /// `harmful_action`: at `at` the provider's governance takes a decision opposed by a
    /// fraction `opposed` of its stake; on execution its fee and quality change.
    HarmfulAction {
        /// Model time at which the decision is taken.
        at: f64,
        /// Index of the provider.
        provider: usize,
        /// Fraction of its stake that opposes the decision, in `[0, 1]`.
        opposed: f64,
        /// The provider's fee after execution (`None`: unchanged).
        fee: Option<f64>,
        /// Factor on the provider's quality after execution (default 1).
        quality_factor: f64,
    },
}

impl StakingPolicy {
    /// The policy's `kind` in scenarios.
    pub fn kind(&self) -> &'static str {
        match self {
            StakingPolicy::SelfLimit { .. } => "self_limit",
            StakingPolicy::OperatorCap { .. } => "operator_cap",
            StakingPolicy::FeeBounds { .. } => "fee_bounds",
            StakingPolicy::Interoperability { .. } => "interoperability",
            StakingPolicy::HarmfulAction { .. } => "harmful_action",
        }
    }
}

/// The levers in force in one step.
#[derive(Debug, Clone, PartialEq)]
pub struct Levers {
    /// Self-limit share cap per provider.
    pub self_limit: Vec<Option<f64>>,
    /// Per-operator cap per provider, as a share of all stake.
    pub operator_cap: Vec<Option<f64>>,
    /// Fee floor per provider.
    pub fee_floor: Vec<f64>,
    /// Fee cap per provider.
    pub fee_cap: Vec<f64>,
    /// The interoperability in force (at least the model's own).
    pub theta: f64,
}

fn tighter(a: Option<f64>, b: f64) -> Option<f64> {
    Some(a.map_or(b, |a| a.min(b)))
}

/// The levers in force for a step starting at `t` of length `dt`, for `k` providers and
/// the model's own interoperability `theta`.
pub fn levers(policies: &[StakingPolicy], k: usize, theta: f64, t: f64, dt: f64) -> Levers {
    let mut l = Levers {
        self_limit: vec![None; k],
        operator_cap: vec![None; k],
        fee_floor: vec![0.0; k],
        fee_cap: vec![1.0; k],
        theta,
    };
    for p in policies {
        match p {
            StakingPolicy::SelfLimit {
                window,
                providers,
                cap,
            } if window.contains(t, dt) => {
                for j in (0..k).filter(|&j| targets(providers, j)) {
                    l.self_limit[j] = tighter(l.self_limit[j], *cap);
                }
            }
            StakingPolicy::OperatorCap {
                window,
                providers,
                share,
            } if window.contains(t, dt) => {
                for j in (0..k).filter(|&j| targets(providers, j)) {
                    l.operator_cap[j] = tighter(l.operator_cap[j], *share);
                }
            }
            StakingPolicy::FeeBounds {
                window,
                providers,
                floor,
                cap,
            } if window.contains(t, dt) => {
                for j in (0..k).filter(|&j| targets(providers, j)) {
                    l.fee_floor[j] = l.fee_floor[j].max(*floor);
                    l.fee_cap[j] = l.fee_cap[j].min(*cap);
                }
            }
            StakingPolicy::Interoperability { window, theta } if window.contains(t, dt) => {
                l.theta = l.theta.max(*theta);
            }
            _ => {}
        }
    }
    l
}

/// A fee under the bounds in force: the cap wins over a higher floor.
pub fn bounded_fee(fee: f64, floor: f64, cap: f64) -> f64 {
    fee.max(floor).min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strictest_lever_wins() {
        let p = vec![
            StakingPolicy::SelfLimit {
                window: Window::from(5.0),
                providers: vec![1],
                cap: 0.3,
            },
            StakingPolicy::SelfLimit {
                window: Window {
                    from: 0.0,
                    until: 10.0,
                },
                providers: vec![],
                cap: 0.5,
            },
            StakingPolicy::Interoperability {
                window: Window::from(2.0),
                theta: 0.4,
            },
            StakingPolicy::FeeBounds {
                window: Window::always(),
                providers: vec![0],
                floor: 0.05,
                cap: 0.2,
            },
        ];
        let l = levers(&p, 2, 0.1, 0.0, 1.0);
        assert_eq!(l.self_limit, vec![Some(0.5), Some(0.5)]);
        assert_eq!(l.theta, 0.1);
        let l = levers(&p, 2, 0.1, 6.0, 1.0);
        assert_eq!(l.self_limit, vec![Some(0.5), Some(0.3)]);
        assert_eq!(l.theta, 0.4);
        assert_eq!(l.fee_floor, vec![0.05, 0.0]);
        let l = levers(&p, 2, 0.1, 10.0, 1.0);
        assert_eq!(l.self_limit, vec![None, Some(0.3)]);
        assert_eq!(bounded_fee(0.25, 0.05, 0.2), 0.2);
        assert_eq!(bounded_fee(0.0, 0.05, 0.2), 0.05);
    }
}
