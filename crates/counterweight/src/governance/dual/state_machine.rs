//! The pure state machine (reference §1.5–1.8): `transition` computes the next state
//! from the context, the config, the time, R and whether the rage quit is finalized;
//! `apply` persists one transition into the context with the side effects of §1.6.
//! Escrow side effects of entering RageQuit are the shell's (`system.rs`) job.

use std::fmt;

use super::config::{Config, MAX_RAGE_QUIT_ROUND};
use super::types::{PercentD16, Timestamp};

/// The governance states (`NotInitialized` exists only before `initialize`; not modelled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum State {
    /// Proposals are submitted, scheduled and executed; left when R reaches the first seal.
    Normal,
    /// Stakers signal a veto: scheduling is blocked; lasts at least T_lock(R) from t_act.
    VetoSignalling,
    /// The sub-state that winds VetoSignalling down: submission is blocked too; back to
    /// VetoSignalling if T_lock(R) grows past the time elapsed since t_act.
    VetoSignallingDeactivation,
    /// A pause after a veto: submission is blocked, and only proposals submitted at or
    /// before t_act may be scheduled.
    VetoCooldown,
    /// Stakers who locked in the signalling escrow exit; scheduling is blocked until the
    /// rage quit is finalized.
    RageQuit,
}

impl State {
    /// Every state, in the order of [`State::index`].
    pub const ALL: [State; 5] = [
        State::Normal,
        State::VetoSignalling,
        State::VetoSignallingDeactivation,
        State::VetoCooldown,
        State::RageQuit,
    ];

    /// The reference's name of the state (`"VetoSignalling"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            State::Normal => "Normal",
            State::VetoSignalling => "VetoSignalling",
            State::VetoSignallingDeactivation => "VetoSignallingDeactivation",
            State::VetoCooldown => "VetoCooldown",
            State::RageQuit => "RageQuit",
        }
    }

    /// The state of a [`State::name`]; `None` for any other text.
    pub fn from_name(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|st| st.name() == s)
    }

    /// The position in [`State::ALL`] (0 = Normal, ..., 4 = RageQuit); also the numeric
    /// code of a recorded state column.
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `DualGovernanceStateMachine.Context` without the escrow addresses (kept by the shell).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Context {
    /// The persisted state (`state`).
    pub state: State,
    /// When the persisted state was entered (`enteredAt`): the time of the call that
    /// persisted it, not when it first became possible.
    pub entered_at: Timestamp,
    /// `vetoSignallingActivatedAt` (t_act).
    pub veto_signalling_activated_at: Timestamp,
    /// `vetoSignallingReactivationTime` (t_react).
    pub veto_signalling_reactivation_time: Timestamp,
    /// `normalOrVetoCooldownExitedAt`: the last exit from Normal or VetoCooldown (for the
    /// tiebreaker's timeout).
    pub normal_or_veto_cooldown_exited_at: Timestamp,
    /// `rageQuitRound`: consecutive rage quits, +1 (saturating at 255) on entering
    /// RageQuit, reset to 0 on entering VetoCooldown.
    pub rage_quit_round: u8,
}

impl Context {
    /// `initialize`: Normal, entered now, everything else unset.
    pub fn new(now: Timestamp) -> Context {
        Context {
            state: State::Normal,
            entered_at: now,
            veto_signalling_activated_at: Timestamp::ZERO,
            veto_signalling_reactivation_time: Timestamp::ZERO,
            normal_or_veto_cooldown_exited_at: Timestamp::ZERO,
            rage_quit_round: 0,
        }
    }
}

/// `getStateTransition` (TR), in the reference's evaluation order. Strict `>` for every
/// "duration passed" check, inclusive `>=` for the seals.
pub fn transition(
    ctx: &Context,
    cfg: &Config,
    now: Timestamp,
    r: PercentD16,
    rage_quit_finalized: bool,
) -> State {
    use State::*;
    let vs_duration_passed =
        || now > ctx.veto_signalling_activated_at + cfg.veto_signalling_duration(r);
    match ctx.state {
        Normal => {
            if cfg.is_first_seal_reached(r) {
                VetoSignalling
            } else {
                Normal
            }
        }
        VetoSignalling => {
            if !vs_duration_passed() {
                VetoSignalling
            } else if cfg.is_second_seal_reached(r) {
                RageQuit
            } else if now
                > ctx
                    .veto_signalling_reactivation_time
                    .max(ctx.veto_signalling_activated_at)
                    + cfg.veto_signalling_min_active_duration
            {
                VetoSignallingDeactivation
            } else {
                VetoSignalling
            }
        }
        VetoSignallingDeactivation => {
            if !vs_duration_passed() {
                VetoSignalling
            } else if cfg.is_second_seal_reached(r) {
                RageQuit
            } else if now > ctx.entered_at + cfg.veto_signalling_deactivation_max_duration {
                VetoCooldown
            } else {
                VetoSignallingDeactivation
            }
        }
        VetoCooldown => {
            if now <= ctx.entered_at + cfg.veto_cooldown_duration {
                VetoCooldown
            } else if cfg.is_first_seal_reached(r) {
                VetoSignalling
            } else {
                Normal
            }
        }
        RageQuit => {
            if !rage_quit_finalized {
                RageQuit
            } else if cfg.is_first_seal_reached(r) {
                VetoSignalling
            } else {
                VetoCooldown
            }
        }
    }
}

/// Persist `next` into the context with the side effects of `activateNextState` (§1.6),
/// except the escrow swap. Returns `true` when RageQuit was entered (the caller then
/// starts the rage quit on the signalling escrow with `W(ctx.rage_quit_round)` — the
/// round has already been incremented — and deploys a fresh signalling escrow).
pub fn apply(ctx: &mut Context, next: State, now: Timestamp) -> bool {
    let current = ctx.state;
    if current == next {
        return false;
    }
    ctx.state = next;
    ctx.entered_at = now;
    if matches!(current, State::Normal | State::VetoCooldown) {
        ctx.normal_or_veto_cooldown_exited_at = now;
    }
    match next {
        State::VetoCooldown => ctx.rage_quit_round = 0,
        State::VetoSignalling => {
            if current == State::VetoSignallingDeactivation {
                ctx.veto_signalling_reactivation_time = now;
            } else {
                ctx.veto_signalling_activated_at = now;
            }
        }
        State::RageQuit => {
            if ctx.rage_quit_round < MAX_RAGE_QUIT_ROUND {
                ctx.rage_quit_round += 1;
            }
            return true;
        }
        State::Normal | State::VetoSignallingDeactivation => {}
    }
    false
}

/// `canSubmitProposal`: not in Deactivation or VetoCooldown.
pub fn can_submit(state: State) -> bool {
    !matches!(
        state,
        State::VetoSignallingDeactivation | State::VetoCooldown
    )
}

/// `canScheduleProposal`: Normal, or VetoCooldown with `submittedAt <= t_act`.
pub fn can_schedule(ctx: &Context, state: State, submitted_at: Timestamp) -> bool {
    match state {
        State::Normal => true,
        State::VetoCooldown => submitted_at <= ctx.veto_signalling_activated_at,
        _ => false,
    }
}

/// `canCancelAllPendingProposals`: VetoSignalling or Deactivation.
pub fn can_cancel_all(state: State) -> bool {
    matches!(
        state,
        State::VetoSignalling | State::VetoSignallingDeactivation
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::governance::dual::types::Duration;

    fn bp(b: u128) -> PercentD16 {
        PercentD16::from_basis_points(b)
    }

    /// S12: the reference's DualGovernanceStateTransitions unit tests, on the pure function.
    #[test]
    fn s12_boundaries_on_the_pure_function() {
        let cfg = Config::unit_test();
        let t0 = Timestamp(1_000_000);
        let mut ctx = Context::new(t0);
        assert_eq!(transition(&ctx, &cfg, t0, bp(299), false), State::Normal);
        assert_eq!(
            transition(&ctx, &cfg, t0, bp(300), false),
            State::VetoSignalling
        );

        // VS with R = 15%: T/2 still VS, T + 1 -> RageQuit
        apply(&mut ctx, State::VetoSignalling, t0);
        let t = cfg.veto_signalling_duration(bp(1500)).0 as u64;
        assert_eq!(t, 30 * 86_400);
        assert_eq!(
            transition(&ctx, &cfg, Timestamp(t0.0 + t / 2), bp(1500), false),
            State::VetoSignalling
        );
        assert_eq!(
            transition(&ctx, &cfg, Timestamp(t0.0 + t + 1), bp(1500), false),
            State::RageQuit
        );
        assert_eq!(
            transition(&ctx, &cfg, Timestamp(t0.0 + t), bp(1500), false),
            State::VetoSignalling
        );

        // Deactivation entered at t_act + 3d + 1h with R = 3%
        let td = Timestamp(t0.0 + 3 * 86_400 + 3600);
        apply(&mut ctx, State::VetoSignallingDeactivation, td);
        assert_eq!(
            transition(&ctx, &cfg, td, bp(300), false),
            State::VetoSignallingDeactivation
        );
        assert_eq!(
            transition(&ctx, &cfg, td, bp(1500), false),
            State::VetoSignalling
        );
        let five_d = Duration::days(5);
        assert_eq!(
            transition(&ctx, &cfg, td + five_d, bp(300), false),
            State::VetoSignallingDeactivation
        );
        assert_eq!(
            transition(&ctx, &cfg, Timestamp((td + five_d).0 + 1), bp(300), false),
            State::VetoCooldown
        );
        // R -> 15% and wait T + 1 (from t_act) -> RageQuit
        assert_eq!(
            transition(&ctx, &cfg, Timestamp(t0.0 + t + 1), bp(1500), false),
            State::RageQuit
        );

        // VetoCooldown: at 2d still VC; at 4d + 1s Normal (R<3%) or VS (R = 3%)
        let tc = Timestamp((td + five_d).0 + 1);
        apply(&mut ctx, State::VetoCooldown, tc);
        assert_eq!(
            transition(&ctx, &cfg, tc + Duration::days(2), bp(300), false),
            State::VetoCooldown
        );
        let after = Timestamp((tc + Duration::days(4)).0 + 1);
        assert_eq!(transition(&ctx, &cfg, after, bp(299), false), State::Normal);
        assert_eq!(
            transition(&ctx, &cfg, after, bp(300), false),
            State::VetoSignalling
        );

        // RageQuit
        let mut rq = Context::new(t0);
        rq.state = State::RageQuit;
        assert_eq!(transition(&rq, &cfg, t0, bp(300), false), State::RageQuit);
        assert_eq!(
            transition(&rq, &cfg, t0, bp(300), true),
            State::VetoSignalling
        );
        assert_eq!(
            transition(&rq, &cfg, t0, bp(101), true),
            State::VetoCooldown
        );
    }

    #[test]
    fn s12_reactivation_min_active_duration() {
        let cfg = Config::unit_test();
        let t0 = Timestamp(1_000);
        let mut ctx = Context::new(t0);
        apply(&mut ctx, State::VetoSignalling, t0);
        let t = cfg.veto_signalling_duration(bp(300)).0 as u64;
        let now = Timestamp(t0.0 + t + 1);
        assert_eq!(
            transition(&ctx, &cfg, now, bp(300), false),
            State::VetoSignallingDeactivation
        );
        // simulate the reactivation
        ctx.veto_signalling_reactivation_time = now;
        let half = cfg.veto_signalling_min_active_duration.0 as u64 / 2;
        assert_eq!(
            transition(&ctx, &cfg, Timestamp(now.0 + half), bp(300), false),
            State::VetoSignalling
        );
        assert_eq!(
            transition(&ctx, &cfg, Timestamp(now.0 + 2 * half + 1), bp(300), false),
            State::VetoSignallingDeactivation
        );
    }

    #[test]
    fn side_effects() {
        let t0 = Timestamp(10);
        let mut ctx = Context::new(t0);
        assert!(!apply(&mut ctx, State::VetoSignalling, Timestamp(20)));
        assert_eq!(ctx.veto_signalling_activated_at, Timestamp(20));
        assert_eq!(ctx.normal_or_veto_cooldown_exited_at, Timestamp(20));
        apply(&mut ctx, State::VetoSignallingDeactivation, Timestamp(30));
        apply(&mut ctx, State::VetoSignalling, Timestamp(40));
        assert_eq!(ctx.veto_signalling_activated_at, Timestamp(20));
        assert_eq!(ctx.veto_signalling_reactivation_time, Timestamp(40));
        assert!(apply(&mut ctx, State::RageQuit, Timestamp(50)));
        assert_eq!(ctx.rage_quit_round, 1);
        ctx.rage_quit_round = 255;
        apply(&mut ctx, State::VetoSignalling, Timestamp(60));
        assert!(apply(&mut ctx, State::RageQuit, Timestamp(70)));
        assert_eq!(ctx.rage_quit_round, 255);
        apply(&mut ctx, State::VetoCooldown, Timestamp(80));
        assert_eq!(ctx.rage_quit_round, 0);
    }
}
