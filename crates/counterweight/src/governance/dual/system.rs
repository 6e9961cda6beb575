//! The thin stateful shell: `DualGovernance` owns the context, the escrows, the stETH
//! token, the timelock, emergency protection and tiebreaker state, and exposes one method
//! per transaction. Every method is atomic like a transaction: it takes a cheap checkpoint,
//! runs the reference's sequence (leading `activateNextState`, checks, effects, trailing
//! activation where the reference has one) and, if any check fails, restores the
//! checkpoint, so a failed call changes nothing — not even its leading activation.
//!
//! stETH is conserved: a lock takes stETH that is in holders' hands (outside the escrows
//! and the withdrawal queue), so the escrows never hold more than exists (R <= 100 %), and
//! every integer operation is checked (an overflow is `ArithmeticOverflow`, never a wrap).
//! Errors report times relative to t0, the time the system was created.

use super::config::Config;
use super::emergency::EmergencyProtection;
use super::errors::DgError;
use super::escrow::{Escrow, EscrowHeader, EscrowState, Holder, StEth, UnstEth, UnstEthStatus};
use super::state_machine::{self, Context, State};
use super::tiebreaker;
use super::timelock::Timelock;
use super::types::{Duration, PercentD16, Timestamp};

/// Lido Dual Governance with its escrows and timelock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DualGovernance {
    /// The parameters, validated by [`DualGovernance::new`].
    pub cfg: Config,
    /// The state machine's persisted context (state, entry times, rage-quit round).
    pub ctx: Context,
    /// The stETH token: pooled ether and shares, whose rate R depends on.
    pub steth: StEth,
    /// Every escrow ever deployed; `escrows[signalling_escrow]` is the signalling one.
    pub escrows: Vec<Escrow>,
    /// The index in `escrows` of the current signalling escrow (a fresh one is deployed
    /// on each entry into RageQuit).
    pub signalling_escrow: usize,
    /// The escrow of the most recent or ongoing rage quit.
    pub rage_quit_escrow: Option<usize>,
    /// The proposals and their delays (`EmergencyProtectedTimelock`).
    pub timelock: Timelock,
    /// Emergency protection: when it ends, and emergency mode if activated.
    pub emergency: EmergencyProtection,
    /// `false` after `emergencyReset` hands governance to the emergency governance
    /// (a plain timelock without the veto).
    pub dual_governance_active: bool,
    /// The withdrawal queue is resealed (paused indefinitely) by the reseal committee.
    pub withdrawals_paused: bool,
    /// The time of `initialize`; errors report times relative to it.
    pub t0: Timestamp,
    /// stETH shares not in holders' hands: locked in an escrow (until burned by the
    /// withdrawals of a rage quit) or in the withdrawal queue (NFTs not yet finalized).
    pub held_shares: u128,
    next_nft_id: u64,
    r_cache: RCache,
}

/// Memo of the last R computed: (inputs, R). R is a pure function of the inputs, so the
/// cache never changes results; it is ignored by equality.
#[derive(Debug, Clone, Default)]
struct RCache(std::cell::Cell<Option<([u128; 5], PercentD16)>>);

impl PartialEq for RCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for RCache {}

/// What the leading activation of a call may change.
#[derive(Clone, Copy)]
struct Checkpoint {
    ctx: Context,
    steth: StEth,
    held_shares: u128,
    signalling_escrow: usize,
    rage_quit_escrow: Option<usize>,
    n_escrows: usize,
    header: EscrowHeader,
}

impl DualGovernance {
    /// `initialize`: Normal at `now`, a first signalling escrow, stETH supply 1:1.
    /// `now` must be above zero (0 means "not set" in the reference).
    pub fn new(cfg: Config, total_supply: u128, now: Timestamp) -> Result<Self, DgError> {
        cfg.validate()?;
        assert!(now.is_set(), "timestamps start above zero");
        Ok(DualGovernance {
            cfg,
            ctx: Context::new(now),
            steth: StEth::new(total_supply),
            escrows: vec![Escrow::new_signalling(cfg.min_assets_lock_duration)],
            signalling_escrow: 0,
            rage_quit_escrow: None,
            timelock: Timelock::default(),
            emergency: EmergencyProtection::new(
                now,
                cfg.emergency_protection_duration,
                cfg.emergency_mode_duration,
            ),
            dual_governance_active: true,
            withdrawals_paused: false,
            t0: now,
            held_shares: 0,
            next_nft_id: 1,
            r_cache: RCache::default(),
        })
    }

    // ---------------------------------------------------------------- views

    /// `getPersistedState`.
    pub fn persisted_state(&self) -> State {
        self.ctx.state
    }

    /// `getEffectiveState`: the state one activation would move to.
    pub fn effective_state(&self, now: Timestamp) -> State {
        self.effective_state_at(now, self.rage_quit_support())
    }

    /// `effective_state` with R already computed.
    pub fn effective_state_at(&self, now: Timestamp, r: PercentD16) -> State {
        state_machine::transition(&self.ctx, &self.cfg, now, r, self.rage_quit_finalized(now))
    }

    /// R of the current signalling escrow.
    pub fn rage_quit_support(&self) -> PercentD16 {
        let e = &self.escrows[self.signalling_escrow];
        let key = [
            e.h.locked_shares,
            e.h.unfinalized_shares,
            e.h.finalized_eth,
            self.steth.total_pooled_ether,
            self.steth.total_shares,
        ];
        if let Some((k, r)) = self.r_cache.0.get()
            && k == key
        {
            return r;
        }
        let r = e.rage_quit_support(&self.steth);
        self.r_cache.0.set(Some((key, r)));
        r
    }

    /// T_lock at the current R.
    pub fn veto_signalling_duration(&self) -> Duration {
        self.cfg.veto_signalling_duration(self.rage_quit_support())
    }

    /// `isRageQuitFinalized` of the most recent rage-quit escrow at `now`; `false` before
    /// any rage quit.
    pub fn rage_quit_finalized(&self, now: Timestamp) -> bool {
        self.rage_quit_escrow
            .is_some_and(|i| self.escrows[i].is_rage_quit_finalized(now))
    }

    /// The current signalling escrow (`escrows[signalling_escrow]`).
    pub fn signalling_escrow(&self) -> &Escrow {
        &self.escrows[self.signalling_escrow]
    }

    /// `isTie` at `now` on the persisted state.
    pub fn is_tie(&self, now: Timestamp) -> bool {
        tiebreaker::is_tie(
            &self.ctx,
            self.ctx.state,
            now,
            self.cfg.tiebreaker_activation_timeout,
            self.withdrawals_paused,
        )
    }

    // ---------------------------------------------------------------- machinery

    fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            ctx: self.ctx,
            steth: self.steth,
            held_shares: self.held_shares,
            signalling_escrow: self.signalling_escrow,
            rage_quit_escrow: self.rage_quit_escrow,
            n_escrows: self.escrows.len(),
            header: self.escrows[self.signalling_escrow].h,
        }
    }

    fn restore(&mut self, c: Checkpoint) {
        self.ctx = c.ctx;
        self.steth = c.steth;
        self.held_shares = c.held_shares;
        self.escrows.truncate(c.n_escrows);
        self.signalling_escrow = c.signalling_escrow;
        self.rage_quit_escrow = c.rage_quit_escrow;
        self.escrows[c.signalling_escrow].h = c.header;
    }

    /// Run `f` as one transaction: on error, undo everything it did, and report the
    /// error's times relative to t0.
    /// `f` must validate before mutating anything other than through activation.
    fn tx<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, DgError>) -> Result<T, DgError> {
        let c = self.checkpoint();
        let r = f(self);
        if r.is_err() {
            self.restore(c);
        }
        r.map_err(|e| e.relative_to(self.t0.0))
    }

    /// stETH shares in holders' hands (not in an escrow or the withdrawal queue).
    pub fn free_shares(&self) -> u128 {
        self.steth.total_shares.saturating_sub(self.held_shares)
    }

    /// stETH (wei) in holders' hands: the most a lock can take.
    pub fn free_steth(&self) -> u128 {
        self.steth.pooled_eth_by_shares(self.free_shares())
    }

    /// `BalanceExceeded` unless `shares` are in holders' hands.
    fn check_balance(&self, amount: u128, shares: u128) -> Result<(), DgError> {
        if shares > self.free_shares() {
            return Err(DgError::BalanceExceeded {
                amount,
                available: self.free_steth(),
            });
        }
        Ok(())
    }

    /// Take `burned` shares off `held_shares` (the withdrawal queue burned them).
    fn release_burned(&mut self, total_shares_before: u128) -> Result<(), DgError> {
        let burned = total_shares_before - self.steth.total_shares;
        self.held_shares = self
            .held_shares
            .checked_sub(burned)
            .ok_or(DgError::ArithmeticOverflow)?;
        Ok(())
    }

    /// `activateNextState`: at most one transition, with its side effects. Returns
    /// whether the persisted state changed. Permissionless; never fails.
    pub fn activate_next_state(&mut self, now: Timestamp) -> bool {
        let next = self.effective_state(now);
        if next == self.ctx.state {
            return false;
        }
        if state_machine::apply(&mut self.ctx, next, now) {
            let delay = self
                .cfg
                .rage_quit_withdrawals_delay(self.ctx.rage_quit_round);
            let ext = self.cfg.rage_quit_extension_period_duration;
            self.escrows[self.signalling_escrow].start_rage_quit(ext, delay);
            self.rage_quit_escrow = Some(self.signalling_escrow);
            self.escrows
                .push(Escrow::new_signalling(self.cfg.min_assets_lock_duration));
            self.signalling_escrow = self.escrows.len() - 1;
        }
        true
    }

    // ---------------------------------------------------------------- escrow calls

    /// `lockStETH(amount)` on `escrow` (the index of the escrow the holder calls).
    pub fn lock(
        &mut self,
        escrow: usize,
        holder: Holder,
        amount: u128,
        now: Timestamp,
    ) -> Result<(), DgError> {
        self.tx(|s| {
            s.activate_next_state(now);
            let shares = s.steth.shares_by_pooled_eth(amount);
            let e = s.escrow(escrow)?;
            e.check_signalling()?;
            if shares == 0 {
                return Err(DgError::InvalidSharesValue(0));
            }
            s.check_balance(amount, shares)?;
            let held = s
                .held_shares
                .checked_add(shares)
                .ok_or(DgError::ArithmeticOverflow)?;
            s.escrows[escrow].lock_shares(holder, shares, now)?;
            s.held_shares = held;
            s.activate_next_state(now);
            Ok(())
        })
    }

    /// `unlockStETH()`: all the holder's stETH-bucket shares. Returns the ether value.
    pub fn unlock(
        &mut self,
        escrow: usize,
        holder: Holder,
        now: Timestamp,
    ) -> Result<u128, DgError> {
        self.tx(|s| {
            s.activate_next_state(now);
            s.escrow(escrow)?.check_signalling()?;
            let held = s
                .held_shares
                .checked_sub(s.escrows[escrow].holder_shares(holder))
                .ok_or(DgError::ArithmeticOverflow)?;
            let shares = s.escrows[escrow].unlock_shares(holder, now)?;
            s.held_shares = held;
            s.activate_next_state(now);
            Ok(s.steth.pooled_eth_by_shares(shares))
        })
    }

    /// Request a withdrawal NFT of `amount` stETH and `lockUnstETH` it. Returns its id.
    pub fn lock_nft(
        &mut self,
        escrow: usize,
        holder: Holder,
        amount: u128,
        now: Timestamp,
    ) -> Result<u64, DgError> {
        self.tx(|s| {
            s.activate_next_state(now);
            let id = s.next_nft_id;
            let shares = s.steth.shares_by_pooled_eth(amount);
            let nft = UnstEth {
                id,
                holder,
                amount,
                shares,
                status: UnstEthStatus::Locked,
                claimable_eth: 0,
            };
            let e = s.escrow(escrow)?;
            e.check_signalling()?;
            if shares == 0 {
                return Err(DgError::InvalidSharesValue(0));
            }
            // the withdrawal request takes the holder's stETH into the queue
            s.check_balance(amount, shares)?;
            let held = s
                .held_shares
                .checked_add(shares)
                .ok_or(DgError::ArithmeticOverflow)?;
            s.escrows[escrow].lock_nft(nft, now)?;
            s.held_shares = held;
            s.next_nft_id += 1;
            s.activate_next_state(now);
            Ok(id)
        })
    }

    /// `unlockUnstETH` of all the holder's NFTs in `escrow`.
    pub fn unlock_nft(
        &mut self,
        escrow: usize,
        holder: Holder,
        now: Timestamp,
    ) -> Result<usize, DgError> {
        self.tx(|s| {
            s.activate_next_state(now);
            s.escrow(escrow)?;
            let n = s.escrows[escrow].unlock_nfts(holder, now)?;
            s.activate_next_state(now);
            Ok(n)
        })
    }

    /// Withdrawal-queue finalization of the holder's locked NFTs (all when `None`) and
    /// `markUnstETHFinalized` on `escrow`.
    pub fn mark_finalized(
        &mut self,
        escrow: usize,
        holder: Option<Holder>,
        now: Timestamp,
    ) -> Result<usize, DgError> {
        self.tx(|s| {
            s.activate_next_state(now);
            s.escrow(escrow)?;
            let before = s.steth.total_shares;
            let steth = &mut s.steth;
            let n = s.escrows[escrow].mark_finalized(holder, steth)?;
            s.release_burned(before)?;
            s.activate_next_state(now);
            Ok(n)
        })
    }

    /// An exogenous stETH rebase by `num/den` of the pooled ether. `ArithmeticOverflow`
    /// if the pooled ether would leave `uint128` (or go below zero).
    pub fn rebase(&mut self, num: u128, den: u128, negative: bool) -> Result<(), DgError> {
        self.steth.rebase(num, den, negative)
    }

    /// An exogenous stETH rebase by `wei` of pooled ether, up or down.
    pub fn rebase_wei(&mut self, wei: u128, negative: bool) -> Result<(), DgError> {
        self.steth.rebase_wei(wei, negative)
    }

    /// The escrow at `index`, or `UnexpectedEscrowState` if there is none (no contract
    /// at that address).
    fn escrow(&self, index: usize) -> Result<&Escrow, DgError> {
        self.escrows
            .get(index)
            .ok_or(DgError::UnexpectedEscrowState {
                state: EscrowState::SignallingEscrow,
            })
    }

    // ---------------------------------------------------------------- rage quit

    fn latest_rage_quit_escrow(&self) -> Result<usize, DgError> {
        self.rage_quit_escrow.ok_or(DgError::UnexpectedEscrowState {
            state: EscrowState::SignallingEscrow,
        })
    }

    /// Exogenous: every withdrawal batch of the most recent rage-quit escrow requested,
    /// finalized and claimed (the supply shrinks by what it held).
    pub fn withdrawals_done(&mut self, _now: Timestamp) -> Result<(), DgError> {
        self.tx(|s| {
            let i = s.latest_rage_quit_escrow()?;
            let before = s.steth.total_shares;
            let steth = &mut s.steth;
            s.escrows[i].complete_withdrawals(steth)?;
            s.release_burned(before)
        })
    }

    /// `startRageQuitExtensionPeriod` on the most recent rage-quit escrow.
    pub fn start_extension(&mut self, now: Timestamp) -> Result<(), DgError> {
        self.tx(|s| {
            let i = s.latest_rage_quit_escrow()?;
            s.escrows[i].start_extension(now)
        })
    }

    /// `withdrawETH` of everything the holder has in the newest rage-quit escrow that
    /// holds its stake. Returns the ether paid.
    pub fn withdraw_eth(&mut self, holder: Holder, now: Timestamp) -> Result<u128, DgError> {
        self.withdraw_eth_from(None, holder, now)
    }

    /// `withdrawETH` on the escrow at `escrow` (as the holder calling that escrow
    /// contract does), or, with `None`, on the newest rage-quit escrow that holds the
    /// holder's stake. Returns the ether paid.
    pub fn withdraw_eth_from(
        &mut self,
        escrow: Option<usize>,
        holder: Holder,
        now: Timestamp,
    ) -> Result<u128, DgError> {
        self.tx(|s| {
            let i = match escrow {
                Some(i) => {
                    s.escrow(i)?;
                    i
                }
                None => {
                    let latest = s.latest_rage_quit_escrow()?;
                    (0..s.escrows.len())
                        .rev()
                        .find(|&i| {
                            s.escrows[i].h.state == EscrowState::RageQuitEscrow
                                && s.escrows[i].holds_stake_of(holder)
                        })
                        .unwrap_or(latest)
                }
            };
            s.escrows[i].withdraw_eth(holder, now)
        })
    }

    // ---------------------------------------------------------------- proposals

    /// `submitProposal`. Returns the proposal id.
    pub fn submit(&mut self, now: Timestamp) -> Result<u64, DgError> {
        self.tx(|s| {
            if s.dual_governance_active {
                s.activate_next_state(now);
                if !state_machine::can_submit(s.ctx.state) {
                    return Err(DgError::ProposalSubmissionBlocked);
                }
            }
            Ok(s.timelock.submit(now))
        })
    }

    /// `scheduleProposal` (permissionless).
    pub fn schedule(&mut self, id: u64, now: Timestamp) -> Result<(), DgError> {
        self.tx(|s| {
            if s.dual_governance_active {
                s.activate_next_state(now);
                let submitted_at = s.timelock.submitted_at(id)?;
                if !state_machine::can_schedule(&s.ctx, s.ctx.state, submitted_at) {
                    return Err(DgError::ProposalSchedulingBlocked { proposal: id });
                }
            }
            let cfg = s.cfg;
            s.timelock.schedule(id, &cfg, now)
        })
    }

    /// Timelock `execute` (permissionless; does not consult the governance state).
    pub fn execute(&mut self, id: u64, now: Timestamp) -> Result<(), DgError> {
        self.tx(|s| {
            s.emergency.check_mode(false)?;
            let cfg = s.cfg;
            s.timelock.execute(id, &cfg, now, false)
        })
    }

    /// `cancelAllPendingProposals`: cancels in VetoSignalling/Deactivation and returns
    /// `true`; elsewhere a no-op returning `false`.
    pub fn cancel_all(&mut self, now: Timestamp) -> Result<bool, DgError> {
        self.tx(|s| {
            s.activate_next_state(now);
            if !state_machine::can_cancel_all(s.ctx.state) {
                return Ok(false);
            }
            s.timelock.cancel_all();
            Ok(true)
        })
    }

    // ---------------------------------------------------------------- emergency

    /// `activateEmergencyMode` (activation committee).
    pub fn emergency_activate(&mut self, now: Timestamp) -> Result<(), DgError> {
        self.tx(|s| s.emergency.activate(now))
    }

    /// `emergencyExecute` (execution committee): skips the execution delays.
    pub fn emergency_execute(&mut self, id: u64, now: Timestamp) -> Result<(), DgError> {
        self.tx(|s| {
            s.emergency.check_mode(true)?;
            let cfg = s.cfg;
            s.timelock.execute(id, &cfg, now, true)
        })
    }

    /// `emergencyReset` (execution committee): governance goes to the emergency
    /// governance, all non-executed proposals are cancelled, protection is cleared.
    pub fn emergency_reset(&mut self, _now: Timestamp) -> Result<(), DgError> {
        self.tx(|s| {
            s.emergency.check_mode(true)?;
            s.dual_governance_active = false;
            s.emergency.clear();
            s.timelock.cancel_all();
            Ok(())
        })
    }

    /// `deactivateEmergencyMode` called by anyone: allowed once the mode duration has
    /// passed (the admin executor could call it earlier).
    pub fn emergency_deactivate(&mut self, now: Timestamp) -> Result<(), DgError> {
        self.tx(|s| {
            s.emergency.check_mode(true)?;
            if !s.emergency.is_mode_duration_passed(now) {
                return Err(DgError::CallerIsNotAdminExecutor);
            }
            s.emergency.clear();
            s.timelock.cancel_all();
            Ok(())
        })
    }

    // ---------------------------------------------------------------- tiebreaker, reseal

    /// `resealSealable` (reseal committee): pauses the withdrawal queue indefinitely.
    pub fn reseal(&mut self, now: Timestamp) -> Result<(), DgError> {
        self.tx(|s| {
            s.activate_next_state(now);
            if s.ctx.state == State::Normal {
                return Err(DgError::ResealIsNotAllowedInNormalState);
            }
            s.withdrawals_paused = true;
            Ok(())
        })
    }

    /// `tiebreakerScheduleProposal`.
    pub fn tiebreaker_schedule(&mut self, id: u64, now: Timestamp) -> Result<(), DgError> {
        self.tx(|s| {
            s.activate_next_state(now);
            tiebreaker::check_tie(
                &s.ctx,
                s.ctx.state,
                now,
                s.cfg.tiebreaker_activation_timeout,
                s.withdrawals_paused,
            )?;
            let cfg = s.cfg;
            s.timelock.schedule(id, &cfg, now)
        })
    }

    /// `tiebreakerResumeSealable`: resumes the withdrawal queue.
    pub fn tiebreaker_resume(&mut self, now: Timestamp) -> Result<(), DgError> {
        self.tx(|s| {
            s.activate_next_state(now);
            tiebreaker::check_tie(
                &s.ctx,
                s.ctx.state,
                now,
                s.cfg.tiebreaker_activation_timeout,
                s.withdrawals_paused,
            )?;
            s.withdrawals_paused = false;
            Ok(())
        })
    }
}
