//! The stETH token (shares and pooled ether) and the escrow (reference §1.3, §4):
//! signalling escrow accounting, R, and the rage-quit escrow's withdrawal lifecycle.
//! Escrow methods validate first and mutate only when nothing can fail any more, so the
//! shell can roll a failed call back by undoing its leading activation only.

use std::collections::HashMap;

use super::errors::DgError;
use super::types::{Duration, PercentD16, Timestamp, mul_div};

/// A holder (an address in the reference).
pub type Holder = u32;

/// stETH: pooled ether and shares; the share rate is `total_pooled_ether / total_shares`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StEth {
    /// Ether in the pool, in wei: the stETH total supply; moves with rebases and
    /// finalized withdrawals.
    pub total_pooled_ether: u128,
    /// Shares outstanding; burned when withdrawals are finalized.
    pub total_shares: u128,
}

impl StEth {
    /// A token with `supply` ether and a 1:1 share rate.
    pub fn new(supply: u128) -> StEth {
        StEth {
            total_pooled_ether: supply,
            total_shares: supply,
        }
    }

    /// `totalSupply()` = total pooled ether.
    pub fn total_supply(&self) -> u128 {
        self.total_pooled_ether
    }

    /// `getSharesByPooledEth`, floor.
    pub fn shares_by_pooled_eth(&self, eth: u128) -> u128 {
        if self.total_pooled_ether == 0 || self.total_pooled_ether == self.total_shares {
            return eth;
        }
        mul_div(eth, self.total_shares, self.total_pooled_ether)
    }

    /// `getPooledEthByShares`, floor.
    pub fn pooled_eth_by_shares(&self, shares: u128) -> u128 {
        if self.total_shares == 0 {
            return 0;
        }
        if self.total_shares == self.total_pooled_ether {
            return shares; // 1:1 rate: s * x / x == s exactly
        }
        mul_div(shares, self.total_pooled_ether, self.total_shares)
    }

    /// Finalize a withdrawal of `shares` requested for `amount` ether: burns the shares
    /// and removes `min(amount, value)` ether from the pool. Returns the claimable ether;
    /// `ArithmeticOverflow` (and no change) if there are not that many shares.
    pub fn finalize(&mut self, shares: u128, amount: u128) -> Result<u128, DgError> {
        let total_shares = self
            .total_shares
            .checked_sub(shares)
            .ok_or(DgError::ArithmeticOverflow)?;
        let eth = self.pooled_eth_by_shares(shares).min(amount);
        let pooled = self
            .total_pooled_ether
            .checked_sub(eth)
            .ok_or(DgError::ArithmeticOverflow)?;
        self.total_pooled_ether = pooled;
        self.total_shares = total_shares;
        Ok(eth)
    }

    /// A rebase by `num/den` of the pooled ether (positive or negative); shares unchanged.
    /// `ArithmeticOverflow` (and no change) if the result leaves `0..=u128::MAX`.
    pub fn rebase(&mut self, num: u128, den: u128, negative: bool) -> Result<(), DgError> {
        if den == 0 {
            return Err(DgError::ArithmeticOverflow);
        }
        let delta = mul_div(self.total_pooled_ether, num, den);
        if delta == u128::MAX && num > den {
            return Err(DgError::ArithmeticOverflow); // mul_div saturated
        }
        self.rebase_wei(delta, negative)
    }

    /// A rebase by `wei` of pooled ether, up or down; `ArithmeticOverflow` (and no
    /// change) if the result leaves `0..=u128::MAX`.
    pub fn rebase_wei(&mut self, wei: u128, negative: bool) -> Result<(), DgError> {
        let p = self.total_pooled_ether;
        self.total_pooled_ether = if negative {
            p.checked_sub(wei)
        } else {
            p.checked_add(wei)
        }
        .ok_or(DgError::ArithmeticOverflow)?;
        Ok(())
    }
}

/// `EscrowState` (the escrow's own state; `NotInitialized` is not modelled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EscrowState {
    /// Accepts locks; its R drives the state machine.
    SignallingEscrow,
    /// After `startRageQuit`: locked stake can only leave as ether, after the delays.
    RageQuitEscrow,
}

/// Status of a withdrawal NFT (unstETH) held by an escrow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnstEthStatus {
    /// Locked, not finalized: counted by its shares.
    Locked,
    /// Locked and marked finalized: counted by its claimable ether.
    Finalized,
    /// Claimed into a rage-quit escrow.
    Claimed,
    /// Returned to its holder (unlocked) or withdrawn as ether.
    Gone,
}

/// One withdrawal NFT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnstEth {
    /// NFT id, sequential from 1 across the whole system.
    pub id: u64,
    /// The holder who requested and locked it.
    pub holder: Holder,
    /// stETH requested.
    pub amount: u128,
    /// Shares the request took out of the holder's stETH.
    pub shares: u128,
    /// Where it is in its lifecycle.
    pub status: UnstEthStatus,
    /// Ether it pays out once finalized, in wei (0 until then).
    pub claimable_eth: u128,
}

/// One holder's assets in one escrow (`HolderAssets` of AssetsAccounting).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HolderAssets {
    /// Shares in the stETH bucket (`stETHLockedShares`).
    pub steth_locked_shares: u128,
    /// `lastAssetsLockTimestamp`: the last lock (stETH or NFT), from which
    /// `min_assets_lock_duration` counts.
    pub last_assets_lock_timestamp: Timestamp,
    /// Indices into `Escrow::nfts`.
    pub nfts: Vec<usize>,
    /// Ether withdrawn from a rage-quit escrow (stETH bucket and NFTs).
    pub withdrawn_eth: u128,
}

/// The small, copyable part of an escrow that the leading activation may change
/// (`startRageQuit`); the shell snapshots it to roll a failed call back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EscrowHeader {
    /// Signalling or rage-quit.
    pub state: EscrowState,
    /// `minAssetsLockDuration`, copied from the config when the escrow is deployed.
    pub min_assets_lock_duration: Duration,
    /// `stETHTotals.lockedShares`.
    pub locked_shares: u128,
    /// `unstETHTotals.unfinalizedShares`.
    pub unfinalized_shares: u128,
    /// `unstETHTotals.finalizedETH`.
    pub finalized_eth: u128,
    /// `rageQuitExtensionPeriodDuration`, set by `startRageQuit`.
    pub rage_quit_extension_period_duration: Duration,
    /// W(i) for this rage quit, set by `startRageQuit`.
    pub rage_quit_eth_withdrawals_delay: Duration,
    /// When the extension period started (unset until `start_extension`).
    pub rage_quit_extension_period_started_at: Timestamp,
    /// Every batch requested, finalized and claimed (the queue is closed).
    pub withdrawals_done: bool,
    /// `stETHTotals.claimedETH`.
    pub claimed_eth: u128,
}

/// An escrow: a signalling escrow until `start_rage_quit`, then a rage-quit escrow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escrow {
    /// Totals and rage-quit timing (what a failed call's leading activation may change).
    pub h: EscrowHeader,
    /// Each holder's assets here.
    pub holders: HashMap<Holder, HolderAssets>,
    /// Every NFT ever locked here, in lock order (`HolderAssets::nfts` index into it).
    pub nfts: Vec<UnstEth>,
}

impl Escrow {
    /// A fresh, empty signalling escrow (deployed at `initialize` and on each entry into
    /// RageQuit).
    pub fn new_signalling(min_assets_lock_duration: Duration) -> Escrow {
        Escrow {
            h: EscrowHeader {
                state: EscrowState::SignallingEscrow,
                min_assets_lock_duration,
                locked_shares: 0,
                unfinalized_shares: 0,
                finalized_eth: 0,
                rage_quit_extension_period_duration: Duration::ZERO,
                rage_quit_eth_withdrawals_delay: Duration::ZERO,
                rage_quit_extension_period_started_at: Timestamp::ZERO,
                withdrawals_done: false,
                claimed_eth: 0,
            },
            holders: HashMap::new(),
            nfts: Vec::new(),
        }
    }

    /// `getRageQuitSupport` (§1.3).
    pub fn rage_quit_support(&self, steth: &StEth) -> PercentD16 {
        let finalized = self.h.finalized_eth;
        let unfinalized_shares = self.h.locked_shares + self.h.unfinalized_shares;
        PercentD16::from_fraction(
            steth.pooled_eth_by_shares(unfinalized_shares) + finalized,
            steth.total_supply() + finalized,
        )
    }

    /// `UnexpectedEscrowState` unless this is a signalling escrow.
    pub fn check_signalling(&self) -> Result<(), DgError> {
        if self.h.state != EscrowState::SignallingEscrow {
            return Err(DgError::UnexpectedEscrowState {
                state: self.h.state,
            });
        }
        Ok(())
    }

    /// `UnexpectedEscrowState` unless this is a rage-quit escrow.
    pub fn check_rage_quit(&self) -> Result<(), DgError> {
        if self.h.state != EscrowState::RageQuitEscrow {
            return Err(DgError::UnexpectedEscrowState {
                state: self.h.state,
            });
        }
        Ok(())
    }

    /// `checkMinAssetsLockDurationPassed`: strict, `now > last lock + duration`.
    ///
    /// A holder who never locked here has `lastAssetsLockTimestamp = 0` in the reference,
    /// and on mainnet `0 + duration` (at most 48 days) is always in the past: the check
    /// passes whatever the model's clock, and the call goes on to fail where the
    /// reference's does (`InvalidSharesValue`).
    pub fn check_min_lock_passed(&self, holder: Holder, now: Timestamp) -> Result<(), DgError> {
        let Some(last) = self
            .holders
            .get(&holder)
            .map(|a| a.last_assets_lock_timestamp)
            .filter(|t| t.is_set())
        else {
            return Ok(());
        };
        let until = last + self.h.min_assets_lock_duration;
        if now <= until {
            return Err(DgError::MinAssetsLockDurationNotPassed { until: until.0 });
        }
        Ok(())
    }

    /// Shares a holder has in the stETH bucket.
    pub fn holder_shares(&self, holder: Holder) -> u128 {
        self.holders
            .get(&holder)
            .map_or(0, |a| a.steth_locked_shares)
    }

    /// `lockStETH` / `lockWstETH` accounting (`accountStETHSharesLock`).
    pub fn lock_shares(
        &mut self,
        holder: Holder,
        shares: u128,
        now: Timestamp,
    ) -> Result<(), DgError> {
        self.check_signalling()?;
        if shares == 0 {
            return Err(DgError::InvalidSharesValue(0));
        }
        let total = self
            .h
            .locked_shares
            .checked_add(shares)
            .ok_or(DgError::ArithmeticOverflow)?;
        let mine = self
            .holder_shares(holder)
            .checked_add(shares)
            .ok_or(DgError::ArithmeticOverflow)?;
        let a = self.holders.entry(holder).or_default();
        a.steth_locked_shares = mine;
        a.last_assets_lock_timestamp = now;
        self.h.locked_shares = total;
        Ok(())
    }

    /// `unlockStETH`: all the holder's stETH-bucket shares. Returns the shares.
    pub fn unlock_shares(&mut self, holder: Holder, now: Timestamp) -> Result<u128, DgError> {
        self.check_signalling()?;
        self.check_min_lock_passed(holder, now)?;
        let shares = self.holder_shares(holder);
        if shares == 0 {
            return Err(DgError::InvalidSharesValue(0));
        }
        let a = self.holders.get_mut(&holder).expect("holder has shares");
        a.steth_locked_shares = 0;
        self.h.locked_shares -= shares;
        Ok(shares)
    }

    /// `lockUnstETH` of one new, unfinalized NFT.
    pub fn lock_nft(&mut self, nft: UnstEth, now: Timestamp) -> Result<(), DgError> {
        self.check_signalling()?;
        if nft.shares == 0 {
            return Err(DgError::InvalidSharesValue(0));
        }
        let unfinalized = self
            .h
            .unfinalized_shares
            .checked_add(nft.shares)
            .ok_or(DgError::ArithmeticOverflow)?;
        let idx = self.nfts.len();
        self.nfts.push(UnstEth {
            status: UnstEthStatus::Locked,
            ..nft
        });
        let a = self.holders.entry(nft.holder).or_default();
        a.nfts.push(idx);
        a.last_assets_lock_timestamp = now;
        self.h.unfinalized_shares = unfinalized;
        Ok(())
    }

    /// `unlockUnstETH` of all the holder's NFTs in this escrow. Returns how many.
    pub fn unlock_nfts(&mut self, holder: Holder, now: Timestamp) -> Result<usize, DgError> {
        self.check_signalling()?;
        let ids: Vec<usize> = self
            .holders
            .get(&holder)
            .map(|a| a.nfts.clone())
            .unwrap_or_default();
        if ids.is_empty() {
            return Err(DgError::EmptyUnstETHIds);
        }
        self.check_min_lock_passed(holder, now)?;
        for &i in &ids {
            let n = &mut self.nfts[i];
            match n.status {
                UnstEthStatus::Locked => self.h.unfinalized_shares -= n.shares,
                UnstEthStatus::Finalized => self.h.finalized_eth -= n.claimable_eth,
                _ => unreachable!("a holder's list only holds locked NFTs"),
            }
            n.status = UnstEthStatus::Gone;
        }
        self.holders.get_mut(&holder).expect("holder").nfts.clear();
        Ok(ids.len())
    }

    /// Withdrawal-queue finalization plus `markUnstETHFinalized` of the holder's locked,
    /// unfinalized NFTs (all holders' when `holder` is `None`). Burns their stETH.
    pub fn mark_finalized(
        &mut self,
        holder: Option<Holder>,
        steth: &mut StEth,
    ) -> Result<usize, DgError> {
        self.check_signalling()?;
        let targets: Vec<usize> = (0..self.nfts.len())
            .filter(|&i| {
                let n = &self.nfts[i];
                n.status == UnstEthStatus::Locked && holder.is_none_or(|h| n.holder == h)
            })
            .collect();
        if targets.is_empty() {
            return Err(DgError::EmptyUnstETHIds);
        }
        // Validate before changing anything: the shares exist (then no finalize fails).
        targets
            .iter()
            .try_fold(0u128, |acc, &i| acc.checked_add(self.nfts[i].shares))
            .filter(|&b| b <= steth.total_shares)
            .ok_or(DgError::ArithmeticOverflow)?;
        for &i in &targets {
            let n = &mut self.nfts[i];
            let eth = steth.finalize(n.shares, n.amount)?;
            n.claimable_eth = eth;
            n.status = UnstEthStatus::Finalized;
            self.h.unfinalized_shares -= n.shares;
            // finalized ether left the pool: the sum stays within the original supply
            self.h.finalized_eth += eth;
        }
        Ok(targets.len())
    }

    /// `startRageQuit`: the escrow becomes a rage-quit escrow, irreversibly.
    pub fn start_rage_quit(&mut self, extension: Duration, eth_withdrawals_delay: Duration) {
        self.h.state = EscrowState::RageQuitEscrow;
        self.h.rage_quit_extension_period_duration = extension;
        self.h.rage_quit_eth_withdrawals_delay = eth_withdrawals_delay;
    }

    /// All withdrawal batches requested, finalized and claimed, and every locked NFT
    /// finalized and claimed (exogenous). The supply shrinks by what the escrow held.
    pub fn complete_withdrawals(&mut self, steth: &mut StEth) -> Result<(), DgError> {
        self.check_rage_quit()?;
        if self.h.withdrawals_done {
            return Err(DgError::ClaimingIsFinished);
        }
        let shares = self.h.locked_shares;
        // Validate before changing anything: the shares exist (then no finalize fails).
        self.nfts
            .iter()
            .filter(|n| n.status == UnstEthStatus::Locked)
            .try_fold(shares, |acc, n| acc.checked_add(n.shares))
            .filter(|&b| b <= steth.total_shares)
            .ok_or(DgError::ArithmeticOverflow)?;
        let eth = steth.finalize(shares, u128::MAX)?;
        self.h.claimed_eth = eth;
        for n in self.nfts.iter_mut() {
            match n.status {
                UnstEthStatus::Locked => {
                    n.claimable_eth = steth.finalize(n.shares, n.amount)?;
                    n.status = UnstEthStatus::Claimed;
                }
                UnstEthStatus::Finalized => n.status = UnstEthStatus::Claimed,
                _ => {}
            }
        }
        self.h.withdrawals_done = true;
        Ok(())
    }

    /// `startRageQuitExtensionPeriod`: only once, only after withdrawals are done.
    pub fn start_extension(&mut self, now: Timestamp) -> Result<(), DgError> {
        self.check_rage_quit()?;
        if !self.h.withdrawals_done {
            return Err(DgError::BatchesQueueIsNotClosed);
        }
        if self.h.rage_quit_extension_period_started_at.is_set() {
            return Err(DgError::RageQuitExtensionPeriodAlreadyStarted);
        }
        self.h.rage_quit_extension_period_started_at = now;
        Ok(())
    }

    /// `isRageQuitFinalized`: extension started and `now > started + extension`.
    pub fn is_rage_quit_finalized(&self, now: Timestamp) -> bool {
        self.h.state == EscrowState::RageQuitEscrow
            && self.h.rage_quit_extension_period_started_at.is_set()
            && now
                > self.h.rage_quit_extension_period_started_at
                    + self.h.rage_quit_extension_period_duration
    }

    /// `checkEthWithdrawalsDelayPassed` (strict).
    pub fn check_eth_withdrawals_delay_passed(&self, now: Timestamp) -> Result<(), DgError> {
        let started = self.h.rage_quit_extension_period_started_at;
        if !started.is_set() {
            return Err(DgError::RageQuitExtensionPeriodNotStarted);
        }
        let after = started
            + self.h.rage_quit_extension_period_duration
            + self.h.rage_quit_eth_withdrawals_delay;
        if now <= after {
            return Err(DgError::EthWithdrawalsDelayNotPassed { after: after.0 });
        }
        Ok(())
    }

    /// Whether the holder still has stake to withdraw here.
    pub fn holds_stake_of(&self, holder: Holder) -> bool {
        self.holders
            .get(&holder)
            .is_some_and(|a| a.steth_locked_shares > 0 || !a.nfts.is_empty())
    }

    /// `withdrawETH()` + `withdrawETH(ids)` of everything the holder has here. Returns
    /// the ether paid out (pro rata `claimedETH * shares / lockedShares` plus NFTs).
    pub fn withdraw_eth(&mut self, holder: Holder, now: Timestamp) -> Result<u128, DgError> {
        self.check_rage_quit()?;
        self.check_eth_withdrawals_delay_passed(now)?;
        if !self.holds_stake_of(holder) {
            return Err(DgError::InvalidSharesValue(0));
        }
        let locked = self.h.locked_shares;
        let claimed = self.h.claimed_eth;
        let a = self.holders.get_mut(&holder).expect("holder");
        let mut eth = if a.steth_locked_shares > 0 {
            mul_div(claimed, a.steth_locked_shares, locked)
        } else {
            0
        };
        a.steth_locked_shares = 0;
        for &i in &a.nfts {
            eth += self.nfts[i].claimable_eth;
            self.nfts[i].status = UnstEthStatus::Gone;
        }
        a.nfts.clear();
        a.withdrawn_eth += eth;
        Ok(eth)
    }

    /// Ether value of everything locked (for reports): stETH bucket + NFTs.
    pub fn locked_value(&self, steth: &StEth) -> u128 {
        steth.pooled_eth_by_shares(self.h.locked_shares + self.h.unfinalized_shares)
            + self.h.finalized_eth
    }
}
