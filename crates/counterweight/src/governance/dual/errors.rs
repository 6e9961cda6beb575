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
    #[error("EmptyCalls: a proposal needs at least one call")]
    EmptyCalls,
    #[error("UnexpectedProposalStatus: proposal {proposal} has status {status:?}")]
    UnexpectedProposalStatus {
        proposal: u64,
        status: ProposalStatus,
    },
    #[error(
        "AfterSubmitDelayNotPassed: proposal {proposal} can be scheduled from {}",
        at(from)
    )]
    AfterSubmitDelayNotPassed { proposal: u64, from: u64 },
    #[error(
        "AfterScheduleDelayNotPassed: proposal {proposal} can be executed from {}",
        at(from)
    )]
    AfterScheduleDelayNotPassed { proposal: u64, from: u64 },
    #[error(
        "MinExecutionDelayNotPassed: proposal {proposal} can be executed from {}",
        at(from)
    )]
    MinExecutionDelayNotPassed { proposal: u64, from: u64 },

    // --- governance (DualGovernance.sol) ---
    #[error("ProposalSubmissionBlocked: submission is not allowed in the current state")]
    ProposalSubmissionBlocked,
    #[error(
        "ProposalSchedulingBlocked: proposal {proposal} cannot be scheduled in the current state"
    )]
    ProposalSchedulingBlocked { proposal: u64 },
    #[error("CallerIsNotAdminExecutor")]
    CallerIsNotAdminExecutor,
    #[error("CallerIsNotProposalsCanceller")]
    CallerIsNotProposalsCanceller,
    #[error("ResealIsNotAllowedInNormalState")]
    ResealIsNotAllowedInNormalState,

    // --- escrow state (EscrowState.sol) ---
    #[error("UnexpectedEscrowState: the escrow is in state {state:?}")]
    UnexpectedEscrowState { state: EscrowState },
    #[error(
        "EthWithdrawalsDelayNotPassed: ETH can be withdrawn after {}",
        at(after)
    )]
    EthWithdrawalsDelayNotPassed { after: u64 },
    #[error("RageQuitExtensionPeriodNotStarted")]
    RageQuitExtensionPeriodNotStarted,
    #[error("RageQuitExtensionPeriodAlreadyStarted")]
    RageQuitExtensionPeriodAlreadyStarted,
    #[error("ClaimingIsFinished: every withdrawal batch was already claimed")]
    ClaimingIsFinished,
    #[error("InvalidMinAssetsLockDuration: {0:?}")]
    InvalidMinAssetsLockDuration(Duration),

    // --- escrow accounting (AssetsAccounting.sol) ---
    #[error("MinAssetsLockDurationNotPassed: unlock possible after {}", at(until))]
    MinAssetsLockDurationNotPassed { until: u64 },
    #[error("InvalidSharesValue: {0}")]
    InvalidSharesValue(u128),
    #[error("InvalidUnstETHStatus")]
    InvalidUnstETHStatus,
    #[error("InvalidUnstETHHolder")]
    InvalidUnstETHHolder,
    #[error("InvalidClaimableAmount")]
    InvalidClaimableAmount,

    // --- escrow (Escrow.sol) ---
    #[error("EmptyUnstETHIds: no withdrawal NFTs to act on")]
    EmptyUnstETHIds,
    #[error("UnclaimedBatches")]
    UnclaimedBatches,
    #[error("UnfinalizedUnstETHIds")]
    UnfinalizedUnstETHIds,
    #[error("BatchesQueueIsNotClosed: withdrawals of the rage-quit escrow are not done")]
    BatchesQueueIsNotClosed,
    #[error("InvalidBatchSize")]
    InvalidBatchSize,

    // --- the chain itself (stETH token, Solidity checked arithmetic) ---
    #[error(
        "BalanceExceeded: {amount} wei of stETH asked for, only {available} wei are outside the escrows and the withdrawal queue"
    )]
    BalanceExceeded { amount: u128, available: u128 },
    #[error("ArithmeticOverflow: the result does not fit the reference's integer types")]
    ArithmeticOverflow,

    // --- configuration (DualGovernanceConfig.sol, EmergencyProtectedTimelock.sol, Tiebreaker.sol) ---
    #[error("InvalidSecondSealRageQuitSupport: {0} (must be <= 100%)")]
    InvalidSecondSealRageQuitSupport(PercentD16),
    #[error("InvalidRageQuitSupportRange: first seal {0} must be < second seal {1}")]
    InvalidRageQuitSupportRange(PercentD16, PercentD16),
    #[error("InvalidRageQuitEthWithdrawalsDelayRange: min {0} must be <= max {1}")]
    InvalidRageQuitEthWithdrawalsDelayRange(Duration, Duration),
    #[error("InvalidVetoSignallingDurationRange: min {0} must be < max {1}")]
    InvalidVetoSignallingDurationRange(Duration, Duration),
    #[error("InvalidAfterSubmitDelay: {0} (max 30d)")]
    InvalidAfterSubmitDelay(Duration),
    #[error("InvalidAfterScheduleDelay: {0} (max 10d)")]
    InvalidAfterScheduleDelay(Duration),
    #[error(
        "InvalidExecutionDelay: after-submit + after-schedule must be >= min execution delay {0}"
    )]
    InvalidExecutionDelay(Duration),
    #[error("InvalidTiebreakerActivationTimeout: {0} (allowed 182d 12h .. 730d)")]
    InvalidTiebreakerActivationTimeout(Duration),

    // --- emergency protection (EmergencyProtection.sol) ---
    #[error("EmergencyProtectionExpired: protection ended at {}", at(.0))]
    EmergencyProtectionExpired(u64),
    #[error("UnexpectedEmergencyModeState: emergency mode active = {0} was not expected")]
    UnexpectedEmergencyModeState(bool),
    #[error("CallerIsNotEmergencyActivationCommittee")]
    CallerIsNotEmergencyActivationCommittee,
    #[error("CallerIsNotEmergencyExecutionCommittee")]
    CallerIsNotEmergencyExecutionCommittee,
    #[error("InvalidEmergencyModeDuration: {0} (max 365d)")]
    InvalidEmergencyModeDuration(Duration),

    // --- tiebreaker (Tiebreaker.sol) ---
    #[error("TiebreakNotAllowed: no tie at the current state")]
    TiebreakNotAllowed,
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
    "TiebreakNotAllowed",
    "CallerIsNotTiebreakerCommittee",
];
