//! Typed errors, named exactly as the reference contracts declare them
//! (reference/dual-governance.md §10). `DgError::name()` is the name a timeline's
//! `expect_error` matches.
//!
//! Two errors are not Dual Governance's own but what the chain would do:
//! `BalanceExceeded` is the stETH token's `BALANCE_EXCEEDED` revert (a lock of more stETH
//! than is outside the escrows and the withdrawal queue), and `ArithmeticOverflow` is
//! Solidity's checked-arithmetic `Panic(0x11)` (e.g. a rebase beyond `uint128`).
//!
//! Times inside errors returned by [`super::system::DualGovernance`] are seconds since
//! its t0 (the time it was created), the clock a timeline is written in.

use thiserror::Error;

use super::escrow::EscrowState;
use super::timelock::ProposalStatus;
use super::types::{Duration, PercentD16, human_seconds};

/// A time in an error message: `t0 + 0d 5h 0m 0s (18000 s)`.
fn at(t: &u64) -> String {
    format!("t0 + {} ({t} s)", human_seconds(*t))
}

/// Everything a Dual Governance call can revert with.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DgError {
    // --- proposals (ExecutableProposals.sol) ---
    /// Submitting a proposal without calls. Never returned by this port (proposals carry no
    /// calls here); kept so that a timeline's `expect_error` may name every error of the
    /// reference.
    #[error("EmptyCalls: a proposal needs at least one call")]
    EmptyCalls,
    /// Scheduling a proposal that is not Submitted, executing one that is not Scheduled
    /// (already executed, cancelled, or an unknown id), or scheduling an unknown id.
    #[error("UnexpectedProposalStatus: proposal {proposal} has status {status:?}")]
    UnexpectedProposalStatus {
        /// The proposal id (0 or beyond the last id: no such proposal).
        proposal: u64,
        /// Its status, with cancellation applied.
        status: ProposalStatus,
    },
    /// Scheduling before `submitted_at + after_submit_delay` (the bound is inclusive: at
    /// `from` scheduling succeeds).
    #[error(
        "AfterSubmitDelayNotPassed: proposal {proposal} can be scheduled from {}",
        at(from)
    )]
    AfterSubmitDelayNotPassed {
        /// The proposal id.
        proposal: u64,
        /// The earliest time scheduling succeeds, in seconds (since t0 when returned by
        /// [`super::system::DualGovernance`]).
        from: u64,
    },
    /// Executing before `scheduled_at + after_schedule_delay` (inclusive bound).
    #[error(
        "AfterScheduleDelayNotPassed: proposal {proposal} can be executed from {}",
        at(from)
    )]
    AfterScheduleDelayNotPassed {
        /// The proposal id.
        proposal: u64,
        /// The earliest time execution succeeds, in seconds (since t0 from the shell).
        from: u64,
    },
    /// Executing before `submitted_at + min_execution_delay` (inclusive bound; checked
    /// after the after-schedule delay).
    #[error(
        "MinExecutionDelayNotPassed: proposal {proposal} can be executed from {}",
        at(from)
    )]
    MinExecutionDelayNotPassed {
        /// The proposal id.
        proposal: u64,
        /// The earliest time execution succeeds, in seconds (since t0 from the shell).
        from: u64,
    },

    // --- governance (DualGovernance.sol) ---
    /// Submitting while the state (after the call's leading activation) is
    /// VetoSignallingDeactivation or VetoCooldown.
    #[error("ProposalSubmissionBlocked: submission is not allowed in the current state")]
    ProposalSubmissionBlocked,
    /// Scheduling outside Normal, or in VetoCooldown a proposal submitted after the veto
    /// signal's activation t_act.
    #[error(
        "ProposalSchedulingBlocked: proposal {proposal} cannot be scheduled in the current state"
    )]
    ProposalSchedulingBlocked {
        /// The proposal id.
        proposal: u64,
    },
    /// `emergency_deactivate` before the emergency mode duration has passed: only the
    /// admin executor may deactivate that early, and the model's caller is anyone.
    #[error("CallerIsNotAdminExecutor")]
    CallerIsNotAdminExecutor,
    /// Never returned by this port (callers are not modelled); kept so that a timeline's
    /// `expect_error` may name every error of the reference.
    #[error("CallerIsNotProposalsCanceller")]
    CallerIsNotProposalsCanceller,
    /// `reseal` while the state (after the leading activation) is Normal.
    #[error("ResealIsNotAllowedInNormalState")]
    ResealIsNotAllowedInNormalState,

    // --- escrow state (EscrowState.sol) ---
    /// An escrow call on an escrow in the wrong state: locking, unlocking or marking NFTs
    /// in a rage-quit escrow; `withdrawals_done`, `start_extension` or `withdraw_eth`
    /// before any rage quit or on a signalling escrow; or an escrow index that does not
    /// exist (reported as `SignallingEscrow`, like a call to an address without a contract).
    #[error("UnexpectedEscrowState: the escrow is in state {state:?}")]
    UnexpectedEscrowState {
        /// The state the escrow is actually in.
        state: EscrowState,
    },
    /// `withdraw_eth` at or before `extension start + extension duration + W(i)` (strict).
    #[error(
        "EthWithdrawalsDelayNotPassed: ETH can be withdrawn after {}",
        at(after)
    )]
    EthWithdrawalsDelayNotPassed {
        /// The last time withdrawal still fails, in seconds (since t0 from the shell).
        after: u64,
    },
    /// `withdraw_eth` before the rage-quit extension period has started.
    #[error("RageQuitExtensionPeriodNotStarted")]
    RageQuitExtensionPeriodNotStarted,
    /// `start_extension` on an escrow whose extension period has already started.
    #[error("RageQuitExtensionPeriodAlreadyStarted")]
    RageQuitExtensionPeriodAlreadyStarted,
    /// `withdrawals_done` twice on the same rage-quit escrow.
    #[error("ClaimingIsFinished: every withdrawal batch was already claimed")]
    ClaimingIsFinished,
    /// Config validation: `min_assets_lock_duration` is zero or above 48 d (the value given).
    #[error("InvalidMinAssetsLockDuration: {0:?}")]
    InvalidMinAssetsLockDuration(Duration),

    // --- escrow accounting (AssetsAccounting.sol) ---
    /// `unlock` or `unlock_nft` at or before `last lock + min_assets_lock_duration` (strict).
    #[error("MinAssetsLockDurationNotPassed: unlock possible after {}", at(until))]
    MinAssetsLockDurationNotPassed {
        /// The last time unlocking still fails, in seconds (since t0 from the shell).
        until: u64,
    },
    /// A zero share count: a lock (stETH or NFT) worth zero shares, an `unlock` by a holder
    /// with no shares in the stETH bucket, or `withdraw_eth` by a holder with nothing in
    /// that escrow. The value is the offending share count (always 0 here).
    #[error("InvalidSharesValue: {0}")]
    InvalidSharesValue(u128),
    /// Never returned by this port (a holder's NFTs are always handled all at once, so the
    /// per-NFT status check cannot fail); kept so that a timeline's `expect_error` may name
    /// every error of the reference.
    #[error("InvalidUnstETHStatus")]
    InvalidUnstETHStatus,
    /// Never returned by this port (a holder only ever names its own NFTs); kept so that a
    /// timeline's `expect_error` may name every error of the reference.
    #[error("InvalidUnstETHHolder")]
    InvalidUnstETHHolder,
    /// Never returned by this port (claims are one exogenous event, `withdrawals_done`); kept
    /// so that a timeline's `expect_error` may name every error of the reference.
    #[error("InvalidClaimableAmount")]
    InvalidClaimableAmount,

    // --- escrow (Escrow.sol) ---
    /// `unlock_nft` by a holder with no NFT locked in that escrow, or `mark_finalized` when
    /// no locked, unfinalized NFT (of that holder, or of anyone) is left.
    #[error("EmptyUnstETHIds: no withdrawal NFTs to act on")]
    EmptyUnstETHIds,
    /// Never returned by this port (withdrawal batches are one exogenous event,
    /// `withdrawals_done`); kept so that a timeline's `expect_error` may name every error of
    /// the reference.
    #[error("UnclaimedBatches")]
    UnclaimedBatches,
    /// Never returned by this port (`withdrawals_done` finalizes every NFT); kept so that a
    /// timeline's `expect_error` may name every error of the reference.
    #[error("UnfinalizedUnstETHIds")]
    UnfinalizedUnstETHIds,
    /// `start_extension` before `withdrawals_done` on that rage-quit escrow.
    #[error("BatchesQueueIsNotClosed: withdrawals of the rage-quit escrow are not done")]
    BatchesQueueIsNotClosed,
    /// Never returned by this port (withdrawal batches are not modelled one by one); kept so
    /// that a timeline's `expect_error` may name every error of the reference.
    #[error("InvalidBatchSize")]
    InvalidBatchSize,

    // --- the chain itself (stETH token, Solidity checked arithmetic) ---
    /// `lock` or `lock_nft` of more stETH than holders still have outside the escrows and
    /// the withdrawal queue (the escrows can never hold more than exists, so R <= 100 %).
    #[error(
        "BalanceExceeded: {amount} wei of stETH asked for, only {available} wei are outside the escrows and the withdrawal queue"
    )]
    BalanceExceeded {
        /// The stETH asked for, in wei.
        amount: u128,
        /// The stETH in holders' hands, in wei: the most a lock can take.
        available: u128,
    },
    /// A result outside the reference's integer types: a rebase beyond `uint128` or below
    /// zero, share totals beyond `u128`, or finalizing more shares than exist.
    #[error("ArithmeticOverflow: the result does not fit the reference's integer types")]
    ArithmeticOverflow,

    // --- configuration (DualGovernanceConfig.sol, EmergencyProtectedTimelock.sol, Tiebreaker.sol) ---
    /// Config validation: `second_seal` above 100 % (the value given).
    #[error("InvalidSecondSealRageQuitSupport: {0} (must be <= 100%)")]
    InvalidSecondSealRageQuitSupport(PercentD16),
    /// Config validation: `first_seal >= second_seal` (first, second).
    #[error("InvalidRageQuitSupportRange: first seal {0} must be < second seal {1}")]
    InvalidRageQuitSupportRange(PercentD16, PercentD16),
    /// Config validation: `rage_quit_eth_withdrawals_min_delay` above the max delay (min, max).
    #[error("InvalidRageQuitEthWithdrawalsDelayRange: min {0} must be <= max {1}")]
    InvalidRageQuitEthWithdrawalsDelayRange(Duration, Duration),
    /// Config validation: `veto_signalling_min_duration >= veto_signalling_max_duration`
    /// (min, max).
    #[error("InvalidVetoSignallingDurationRange: min {0} must be < max {1}")]
    InvalidVetoSignallingDurationRange(Duration, Duration),
    /// Config validation: `after_submit_delay` above 30 d (the value given).
    #[error("InvalidAfterSubmitDelay: {0} (max 30d)")]
    InvalidAfterSubmitDelay(Duration),
    /// Config validation: `after_schedule_delay` above 10 d (the value given).
    #[error("InvalidAfterScheduleDelay: {0} (max 10d)")]
    InvalidAfterScheduleDelay(Duration),
    /// Config validation: `after_submit_delay + after_schedule_delay < min_execution_delay`
    /// (the minimum execution delay given).
    #[error(
        "InvalidExecutionDelay: after-submit + after-schedule must be >= min execution delay {0}"
    )]
    InvalidExecutionDelay(Duration),
    /// Config validation: `tiebreaker_activation_timeout` outside `182.5 d ..= 730 d` (the
    /// value given).
    #[error("InvalidTiebreakerActivationTimeout: {0} (allowed 182d 12h .. 730d)")]
    InvalidTiebreakerActivationTimeout(Duration),

    // --- emergency protection (EmergencyProtection.sol) ---
    /// `emergency_activate` after emergency protection ended (strict `>`); the value is the
    /// end of protection.
    #[error("EmergencyProtectionExpired: protection ended at {}", at(.0))]
    EmergencyProtectionExpired(u64),
    /// Emergency mode is not as the call requires (the value: whether it is active):
    /// `emergency_activate` while active, `emergency_execute`/`emergency_reset`/
    /// `emergency_deactivate` while inactive, or a normal `execute` while active.
    #[error("UnexpectedEmergencyModeState: emergency mode active = {0} was not expected")]
    UnexpectedEmergencyModeState(bool),
    /// Never returned by this port (an `emergency_*` step is the committee's own call); kept so
    /// that a timeline's `expect_error` may name every error of the reference.
    #[error("CallerIsNotEmergencyActivationCommittee")]
    CallerIsNotEmergencyActivationCommittee,
    /// Never returned by this port (an `emergency_*` step is the committee's own call); kept so
    /// that a timeline's `expect_error` may name every error of the reference.
    #[error("CallerIsNotEmergencyExecutionCommittee")]
    CallerIsNotEmergencyExecutionCommittee,
    /// Config validation: `emergency_mode_duration` above 365 d (the value given).
    #[error("InvalidEmergencyModeDuration: {0} (max 365d)")]
    InvalidEmergencyModeDuration(Duration),
    /// Config validation: `emergency_protection_duration` above
    /// `MAX_EMERGENCY_PROTECTION_DURATION` (3 years; the reference's
    /// `InvalidEmergencyProtectionEndDate` when the end date is set too far ahead).
    #[error("InvalidEmergencyProtectionEndDate: protection for {0} (max 3 years = 1095d)")]
    InvalidEmergencyProtectionEndDate(Duration),

    // --- tiebreaker (Tiebreaker.sol) ---
    /// `tiebreaker_schedule` or `tiebreaker_resume` when there is no tie (see
    /// [`super::tiebreaker`]).
    #[error("TiebreakNotAllowed: no tie at the current state")]
    TiebreakNotAllowed,
    /// Never returned by this port (a `tiebreaker_*` step is the committee's decision taking
    /// effect); kept so that a timeline's `expect_error` may name every error of the reference.
    #[error("CallerIsNotTiebreakerCommittee")]
    CallerIsNotTiebreakerCommittee,
}

impl DgError {
    /// The same error with every time in it made relative to `t0` (seconds since t0).
    pub fn relative_to(self, t0: u64) -> DgError {
        use DgError::*;
        let r = |t: u64| t.saturating_sub(t0);
        match self {
            AfterSubmitDelayNotPassed { proposal, from } => AfterSubmitDelayNotPassed {
                proposal,
                from: r(from),
            },
            AfterScheduleDelayNotPassed { proposal, from } => AfterScheduleDelayNotPassed {
                proposal,
                from: r(from),
            },
            MinExecutionDelayNotPassed { proposal, from } => MinExecutionDelayNotPassed {
                proposal,
                from: r(from),
            },
            EthWithdrawalsDelayNotPassed { after } => {
                EthWithdrawalsDelayNotPassed { after: r(after) }
            }
            MinAssetsLockDurationNotPassed { until } => {
                MinAssetsLockDurationNotPassed { until: r(until) }
            }
            EmergencyProtectionExpired(t) => EmergencyProtectionExpired(r(t)),
            other => other,
        }
    }

    /// The reference's error name (§10), e.g. `"ProposalSchedulingBlocked"`.
    pub fn name(&self) -> &'static str {
        use DgError::*;
        match self {
            EmptyCalls => "EmptyCalls",
            UnexpectedProposalStatus { .. } => "UnexpectedProposalStatus",
            AfterSubmitDelayNotPassed { .. } => "AfterSubmitDelayNotPassed",
            AfterScheduleDelayNotPassed { .. } => "AfterScheduleDelayNotPassed",
            MinExecutionDelayNotPassed { .. } => "MinExecutionDelayNotPassed",
            ProposalSubmissionBlocked => "ProposalSubmissionBlocked",
            ProposalSchedulingBlocked { .. } => "ProposalSchedulingBlocked",
            CallerIsNotAdminExecutor => "CallerIsNotAdminExecutor",
            CallerIsNotProposalsCanceller => "CallerIsNotProposalsCanceller",
            ResealIsNotAllowedInNormalState => "ResealIsNotAllowedInNormalState",
            UnexpectedEscrowState { .. } => "UnexpectedEscrowState",
            EthWithdrawalsDelayNotPassed { .. } => "EthWithdrawalsDelayNotPassed",
            RageQuitExtensionPeriodNotStarted => "RageQuitExtensionPeriodNotStarted",
            RageQuitExtensionPeriodAlreadyStarted => "RageQuitExtensionPeriodAlreadyStarted",
            ClaimingIsFinished => "ClaimingIsFinished",
            InvalidMinAssetsLockDuration(_) => "InvalidMinAssetsLockDuration",
            MinAssetsLockDurationNotPassed { .. } => "MinAssetsLockDurationNotPassed",
            InvalidSharesValue(_) => "InvalidSharesValue",
            InvalidUnstETHStatus => "InvalidUnstETHStatus",
            InvalidUnstETHHolder => "InvalidUnstETHHolder",
            InvalidClaimableAmount => "InvalidClaimableAmount",
            EmptyUnstETHIds => "EmptyUnstETHIds",
            UnclaimedBatches => "UnclaimedBatches",
            UnfinalizedUnstETHIds => "UnfinalizedUnstETHIds",
            BatchesQueueIsNotClosed => "BatchesQueueIsNotClosed",
            InvalidBatchSize => "InvalidBatchSize",
            BalanceExceeded { .. } => "BalanceExceeded",
            ArithmeticOverflow => "ArithmeticOverflow",
            InvalidSecondSealRageQuitSupport(_) => "InvalidSecondSealRageQuitSupport",
            InvalidRageQuitSupportRange(..) => "InvalidRageQuitSupportRange",
            InvalidRageQuitEthWithdrawalsDelayRange(..) => {
                "InvalidRageQuitEthWithdrawalsDelayRange"
            }
            InvalidVetoSignallingDurationRange(..) => "InvalidVetoSignallingDurationRange",
            InvalidAfterSubmitDelay(_) => "InvalidAfterSubmitDelay",
            InvalidAfterScheduleDelay(_) => "InvalidAfterScheduleDelay",
            InvalidExecutionDelay(_) => "InvalidExecutionDelay",
            InvalidTiebreakerActivationTimeout(_) => "InvalidTiebreakerActivationTimeout",
            EmergencyProtectionExpired(_) => "EmergencyProtectionExpired",
            UnexpectedEmergencyModeState(_) => "UnexpectedEmergencyModeState",
            CallerIsNotEmergencyActivationCommittee => "CallerIsNotEmergencyActivationCommittee",
            CallerIsNotEmergencyExecutionCommittee => "CallerIsNotEmergencyExecutionCommittee",
            InvalidEmergencyModeDuration(_) => "InvalidEmergencyModeDuration",
            InvalidEmergencyProtectionEndDate(_) => "InvalidEmergencyProtectionEndDate",
            TiebreakNotAllowed => "TiebreakNotAllowed",
            CallerIsNotTiebreakerCommittee => "CallerIsNotTiebreakerCommittee",
        }
    }
}

/// Every name `DgError::name()` can return (timelines' `expect_error` is checked against it).
pub const ERROR_NAMES: &[&str] = &[
    "EmptyCalls",
    "UnexpectedProposalStatus",
    "AfterSubmitDelayNotPassed",
    "AfterScheduleDelayNotPassed",
    "MinExecutionDelayNotPassed",
    "ProposalSubmissionBlocked",
    "ProposalSchedulingBlocked",
    "CallerIsNotAdminExecutor",
    "CallerIsNotProposalsCanceller",
    "ResealIsNotAllowedInNormalState",
    "UnexpectedEscrowState",
    "EthWithdrawalsDelayNotPassed",
    "RageQuitExtensionPeriodNotStarted",
    "RageQuitExtensionPeriodAlreadyStarted",
    "ClaimingIsFinished",
    "InvalidMinAssetsLockDuration",
    "MinAssetsLockDurationNotPassed",
    "InvalidSharesValue",
    "InvalidUnstETHStatus",
    "InvalidUnstETHHolder",
    "InvalidClaimableAmount",
    "EmptyUnstETHIds",
    "UnclaimedBatches",
    "UnfinalizedUnstETHIds",
    "BatchesQueueIsNotClosed",
    "InvalidBatchSize",
    "BalanceExceeded",
    "ArithmeticOverflow",
    "InvalidSecondSealRageQuitSupport",
    "InvalidRageQuitSupportRange",
    "InvalidRageQuitEthWithdrawalsDelayRange",
    "InvalidVetoSignallingDurationRange",
    "InvalidAfterSubmitDelay",
    "InvalidAfterScheduleDelay",
    "InvalidExecutionDelay",
    "InvalidTiebreakerActivationTimeout",
    "EmergencyProtectionExpired",
    "UnexpectedEmergencyModeState",
    "CallerIsNotEmergencyActivationCommittee",
    "CallerIsNotEmergencyExecutionCommittee",
    "InvalidEmergencyModeDuration",
    "InvalidEmergencyProtectionEndDate",
    "TiebreakNotAllowed",
    "CallerIsNotTiebreakerCommittee",
];
