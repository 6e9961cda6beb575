//! Control of a provider: who can change its rules (governance), whether its stakers can
//! veto (Lido's Dual Governance), and when a contested governance decision takes effect.
//!
//! # Layers of control
//!
//! * **Capability** — the stake a provider holds.
//! * **Consensus control** — the operators who hold the validator keys: together, holders
//!   of more than 1/3 of all stake can stop finality (and censor), more than 2/3 can
//!   finalise on their own.
//! * **Governance** — who can move the stake's rules without a binding veto. Without a veto
//!   a provider's stake is attributed to its governance: the owner (an exchange), or the
//!   holders of its governance token in proportion to their voting power (a DAO). With a
//!   stakers' veto the rules cannot be changed against the stakers — opponents leave before
//!   a contested decision takes effect — so the stake is attributed to its stakers, in
//!   proportion to their holdings. Holders of the same name in several providers are one
//!   controller.
//!
//! # A contested governance decision
//!
//! A decision taken at time `at` that a fraction R of a provider's stake opposes. The
//! opponents ask to exit at once (through the exit queue); the decision executes at:
//!
//! * **no veto:** `at + timelock` (the provider's own delay: 0 for an owner, the vote for a
//!   DAO);
//! * **veto, R below the first seal:** `at + timelock + after_submit_delay +
//!   after_schedule_delay` (Dual Governance in Normal: 3 d + 1 d on mainnet);
//! * **veto, first seal ≤ R < second seal:** `at + timelock + T_lock(R) +
//!   deactivation_max + after_schedule_delay` (veto signalling for the dynamic timelock
//!   T_lock(R) of reference §1.4, 5 to 45 days on mainnet, then deactivation and the
//!   cooldown in which the proposal is scheduled; opponents lock at submission and stay
//!   locked);
//! * **veto, R ≥ second seal: rage quit.** The decision is blocked until every opponent has
//!   left, and at least for the maximum signalling duration Lmax: it executes at
//!   `max(t_done, at + timelock + Lmax) + extension + after_schedule_delay`, t_done the end
//!   of the step in which the last opponent's validator exited. Rage-quitters get their
//!   ether back `extension + W(1)` after t_done (W(1) = 75 days on mainnet, reference
//!   §1.6), and only then redeposit.
//!
//! Opponents still in the exit queue when the decision executes are **harmed** (they bear
//! its effect). Durations of the Dual Governance configuration are in seconds and convert
//! to model time with the model's `time_unit_seconds`.

use crate::governance::dual::{Config as DgConfig, Duration, PercentD16};

use super::StakingError;

/// Holders of a provider's governance token or of its stake: named holders with their
/// shares, plus `others` anonymous holders of equal size who share `others_share`.
#[derive(Debug, Clone, PartialEq)]
pub struct Holders {
    /// Named holders and their shares, each in `[0, 1]`.
    pub named: Vec<(String, f64)>,
    /// Number of anonymous holders of equal size (at most [`MAX_OTHERS`]).
    pub others: u64,
    /// The share the anonymous holders have together.
    pub others_share: f64,
}

/// Largest number of anonymous holders of one provider.
pub const MAX_OTHERS: u64 = 1_000_000;

impl Holders {
    /// One holder with everything.
    pub fn single(name: impl Into<String>) -> Holders {
        Holders {
            named: vec![(name.into(), 1.0)],
            others: 0,
            others_share: 0.0,
        }
    }

    /// `count` anonymous holders of equal size.
    pub fn equal(count: u64) -> Holders {
        Holders {
            named: Vec::new(),
            others: count,
            others_share: 1.0,
        }
    }

    pub(crate) fn check(&self, field: &str) -> Result<(), StakingError> {
        for (i, (name, share)) in self.named.iter().enumerate() {
            if name.trim().is_empty() {
                return Err(StakingError::new(
                    format!("{field}.named[{i}]"),
                    "an empty name",
                    "a non-empty holder name",
                ));
            }
            if !(share.is_finite() && *share >= 0.0) {
                return Err(StakingError::new(
                    format!("{field}.named[{i}]"),
                    format!("share {share}"),
                    "a share >= 0",
                ));
            }
        }
        if self.others > MAX_OTHERS {
            return Err(StakingError::new(
                format!("{field}.others"),
                format!("{} anonymous holders", self.others),
                format!("at most {MAX_OTHERS}"),
            ));
        }
        let s = self.others_share;
        if !(s.is_finite() && s >= 0.0) || (self.others == 0) != (s == 0.0) {
            return Err(StakingError::new(
                format!("{field}.others_share"),
                format!("{} anonymous holders sharing {s}", self.others),
                "a share > 0 when there are anonymous holders, 0 when there are none",
            ));
        }
        let total: f64 = self.named.iter().map(|(_, x)| x).sum::<f64>() + s;
        if (total - 1.0).abs() > 1e-9 {
            return Err(StakingError::new(
                field.to_string(),
                format!("shares sum to {total}"),
                "shares (named and others_share) that sum to 1",
            ));
        }
        Ok(())
    }

    /// Every holder as (name, share); the anonymous ones are named `"{label} {i}"`
    /// (1-based).
    pub fn resolve(&self, label: &str) -> Vec<(String, f64)> {
        let mut v: Vec<(String, f64)> = self.named.clone();
        if self.others > 0 {
            let each = self.others_share / self.others as f64;
            v.extend((1..=self.others).map(|i| (format!("{label} {i}"), each)));
        }
        v
    }
}

/// Who can change a provider's rules.
#[derive(Debug, Clone, PartialEq)]
pub enum Governance {
    /// A single owner (an exchange, a company).
    Owner(String),
    /// A DAO: the holders of a governance token, by voting power.
    Token(Holders),
}

/// A stakers' veto in the manner of Lido's Dual Governance: the seals and timings of `dg`
/// (mainnet by default), and the stakers to whom the stake is attributed in the governance
/// layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Veto {
    /// The stakers to whom the stake is attributed in the governance layer.
    pub stakers: Holders,
    /// Seals and timings of the veto (durations in seconds).
    pub dg: DgConfig,
}

impl Veto {
    /// Mainnet Dual Governance with the given stakers.
    pub fn mainnet(stakers: Holders) -> Veto {
        Veto {
            stakers,
            dg: DgConfig::mainnet(),
        }
    }
}

/// The controllers of a provider's stake in the governance layer, as (name, share).
pub fn controllers(
    provider: &str,
    governance: &Governance,
    veto: Option<&Veto>,
) -> Vec<(String, f64)> {
    match (veto, governance) {
        (Some(v), _) => v.stakers.resolve(&format!("{provider} staker")),
        (None, Governance::Owner(name)) => vec![(name.clone(), 1.0)],
        (None, Governance::Token(h)) => h.resolve(&format!("{provider} token holder")),
    }
}

/// When a contested decision executes, as decided when it is taken.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Timing {
    /// At this model time.
    At(f64),
    /// Rage quit: once every opponent has left (see [`rage_quit_times`]).
    RageQuit,
}

fn days(d: Duration, unit_seconds: f64) -> f64 {
    d.as_secs() as f64 / unit_seconds
}

/// The execution time of a decision taken at `at` that `opposed` of the provider's `stake`
/// validators oppose (module documentation), and the rage-quit support R when there is a
/// veto.
pub fn decision_timing(
    veto: Option<&Veto>,
    timelock: f64,
    at: f64,
    opposed: u64,
    stake: u64,
    unit_seconds: f64,
) -> (Timing, Option<PercentD16>) {
    let Some(v) = veto else {
        return (Timing::At(at + timelock), None);
    };
    let r = if stake == 0 {
        PercentD16::ZERO
    } else {
        PercentD16::from_fraction(u128::from(opposed), u128::from(stake))
    };
    let dg = &v.dg;
    let t = if dg.is_second_seal_reached(r) {
        Timing::RageQuit
    } else if dg.is_first_seal_reached(r) {
        Timing::At(
            at + timelock
                + days(dg.veto_signalling_duration(r), unit_seconds)
                + days(dg.veto_signalling_deactivation_max_duration, unit_seconds)
                + days(dg.after_schedule_delay, unit_seconds),
        )
    } else {
        Timing::At(
            at + timelock
                + days(dg.after_submit_delay, unit_seconds)
                + days(dg.after_schedule_delay, unit_seconds),
        )
    };
    (t, Some(r))
}

/// For a rage quit whose last opponent left by `t_done`: (execution time of the decision,
/// time the rage-quitters' ether is released for redeposit).
pub fn rage_quit_times(
    veto: &Veto,
    timelock: f64,
    at: f64,
    t_done: f64,
    unit_seconds: f64,
) -> (f64, f64) {
    let dg = &veto.dg;
    let ext = days(dg.rage_quit_extension_period_duration, unit_seconds);
    let lmax = days(dg.veto_signalling_max_duration, unit_seconds);
    let exec = t_done.max(at + timelock + lmax) + ext + days(dg.after_schedule_delay, unit_seconds);
    let release = t_done + ext + days(dg.rage_quit_withdrawals_delay(1), unit_seconds);
    (exec, release)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: f64 = 86_400.0;

    #[test]
    fn timing_follows_dual_governance() {
        let v = Veto::mainnet(Holders::equal(10));
        // No veto: the timelock only.
        assert_eq!(
            decision_timing(None, 3.0, 10.0, 50, 100, DAY).0,
            Timing::At(13.0)
        );
        // R = 0.5% < 1%: after submit 3 d + after schedule 1 d.
        assert_eq!(
            decision_timing(Some(&v), 0.0, 10.0, 5, 1000, DAY).0,
            Timing::At(14.0)
        );
        // R = 5%: T_lock = 1 968 000 s (reference §1.4 table) + 3 d + 1 d.
        let (t, r) = decision_timing(Some(&v), 0.0, 0.0, 50, 1000, DAY);
        assert_eq!(r, Some(PercentD16::from_fraction(1, 20)));
        assert_eq!(t, Timing::At(1_968_000.0 / DAY + 4.0));
        // R = 10%: rage quit.
        assert_eq!(
            decision_timing(Some(&v), 0.0, 0.0, 100, 1000, DAY).0,
            Timing::RageQuit
        );
        // Rage quit done at day 20: blocked until 45 d, + 7 d extension + 1 d; ether back
        // 7 + 75 d after the last exit.
        assert_eq!(rage_quit_times(&v, 0.0, 0.0, 20.0, DAY), (53.0, 102.0));
        assert_eq!(rage_quit_times(&v, 0.0, 0.0, 60.0, DAY), (68.0, 142.0));
    }

    #[test]
    fn holders_resolve_and_check() {
        let h = Holders {
            named: vec![("a".into(), 0.5)],
            others: 2,
            others_share: 0.5,
        };
        h.check("x").unwrap();
        assert_eq!(
            h.resolve("Lido staker"),
            vec![
                ("a".to_string(), 0.5),
                ("Lido staker 1".to_string(), 0.25),
                ("Lido staker 2".to_string(), 0.25)
            ]
        );
        let bad = Holders {
            named: vec![("a".into(), 0.6)],
            others: 0,
            others_share: 0.0,
        };
        assert_eq!(bad.check("x").unwrap_err().field(), "x");
        let c = controllers("Lido", &Governance::Token(h.clone()), None);
        assert_eq!(c[1].0, "Lido token holder 1");
        let c = controllers(
            "Lido",
            &Governance::Token(h),
            Some(&Veto::mainnet(Holders::equal(1))),
        );
        assert_eq!(c, vec![("Lido staker 1".to_string(), 1.0)]);
    }
}
