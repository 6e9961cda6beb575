//! The tiebreaker (Tiebreaker.sol, §5). A tie holds when the state is neither Normal nor
//! VetoCooldown and either (B) `now >= normalOrVetoCooldownExitedAt + activationTimeout`
//! or (A) the state is RageQuit and a sealable withdrawal blocker is paused for longer
//! than the timeout (modelled as an indefinite reseal of the withdrawal queue). While
//! tied, the committee may schedule any submitted, non-cancelled proposal and resume
//! the sealable. The committee's own 30-day timelock and quorum voting are not modelled:
//! a `tiebreaker_*` action is the committee's decision taking effect.

use super::errors::DgError;
use super::state_machine::{Context, State};
use super::types::{Duration, Timestamp};

/// `Tiebreaker.isTie`.
pub fn is_tie(
    ctx: &Context,
    state: State,
    now: Timestamp,
    timeout: Duration,
    withdrawals_paused_indefinitely: bool,
) -> bool {
    if matches!(state, State::Normal | State::VetoCooldown) {
        return false;
    }
    now >= ctx.normal_or_veto_cooldown_exited_at + timeout
        || (state == State::RageQuit && withdrawals_paused_indefinitely)
}

/// `checkTie`.
pub fn check_tie(
    ctx: &Context,
    state: State,
    now: Timestamp,
    timeout: Duration,
    withdrawals_paused_indefinitely: bool,
) -> Result<(), DgError> {
    if is_tie(ctx, state, now, timeout, withdrawals_paused_indefinitely) {
        Ok(())
    } else {
        Err(DgError::TiebreakNotAllowed)
    }
}
