//! Parameters (reference §2), mainnet values as defaults, validated as the reference does
//! (`DualGovernanceConfig.validate`, escrow and timelock sanity bounds).

use super::errors::DgError;
use super::types::{Duration, PercentD16};

/// `Escrow.MAX_MIN_ASSETS_LOCK_DURATION` = 48 d.
pub const MAX_MIN_ASSETS_LOCK_DURATION: Duration = Duration::days(48);
/// `EmergencyProtectedTimelock.MAX_AFTER_SUBMIT_DELAY` = 30 d.
pub const MAX_AFTER_SUBMIT_DELAY: Duration = Duration::days(30);
/// `EmergencyProtectedTimelock.MAX_AFTER_SCHEDULE_DELAY` = 10 d.
pub const MAX_AFTER_SCHEDULE_DELAY: Duration = Duration::days(10);
/// `MAX_EMERGENCY_MODE_DURATION` = 365 d.
pub const MAX_EMERGENCY_MODE_DURATION: Duration = Duration::days(365);
/// `MAX_EMERGENCY_PROTECTION_DURATION` = 3 years.
pub const MAX_EMERGENCY_PROTECTION_DURATION: Duration = Duration(94_608_000);
/// `DualGovernance.MIN_TIEBREAKER_ACTIVATION_TIMEOUT` = 182.5 d, the lower bound of
/// [`Config::tiebreaker_activation_timeout`].
pub const MIN_TIEBREAKER_ACTIVATION_TIMEOUT: Duration = Duration(15_768_000);
/// `DualGovernance.MAX_TIEBREAKER_ACTIVATION_TIMEOUT` = 730 d, its upper bound.
pub const MAX_TIEBREAKER_ACTIVATION_TIMEOUT: Duration = Duration(63_072_000);
/// `MAX_RAGE_QUIT_ROUND = type(uint8).max`.
pub const MAX_RAGE_QUIT_ROUND: u8 = u8::MAX;

/// Every parameter of the state machine, the timelock, emergency protection and the
/// tiebreaker. `Config::default()` is mainnet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// `firstSealRageQuitSupport` R1: the rage-quit support R at or above which Normal, a
    /// finished VetoCooldown or a finalized RageQuit enter VetoSignalling. Mainnet 1 %.
    pub first_seal: PercentD16,
    /// `secondSealRageQuitSupport` R2: the R at or above which VetoSignalling (or its
    /// Deactivation) enters RageQuit once T_lock(R) = Lmax has passed. Mainnet 10 %; must
    /// be > R1 and <= 100 %.
    pub second_seal: PercentD16,
    /// `minAssetsLockDuration`: how long locked assets must stay in the signalling escrow
    /// before they can be unlocked. Mainnet 5 h; in `(0, 48 d]`.
    pub min_assets_lock_duration: Duration,
    /// `vetoSignallingMinDuration` Lmin: T_lock at R = R1. Mainnet 5 d.
    pub veto_signalling_min_duration: Duration,
    /// `vetoSignallingMaxDuration` Lmax: T_lock at R >= R2. Mainnet 45 d; must be > Lmin.
    pub veto_signalling_max_duration: Duration,
    /// `vetoSignallingMinActiveDuration`: the least time VetoSignalling stays active after
    /// its (re)activation before it may enter Deactivation. Mainnet 5 h.
    pub veto_signalling_min_active_duration: Duration,
    /// `vetoSignallingDeactivationMaxDuration`: how long Deactivation lasts before it enters
    /// VetoCooldown. Mainnet 3 d.
    pub veto_signalling_deactivation_max_duration: Duration,
    /// `vetoCooldownDuration`: how long VetoCooldown lasts. Mainnet 5 h.
    pub veto_cooldown_duration: Duration,
    /// `rageQuitExtensionPeriodDuration`: the wait after all withdrawals of a rage quit are
    /// claimed before the rage quit is finalized. Mainnet 7 d.
    pub rage_quit_extension_period_duration: Duration,
    /// `rageQuitEthWithdrawalsMinDelay` W_min of W(i). Mainnet 60 d.
    pub rage_quit_eth_withdrawals_min_delay: Duration,
    /// `rageQuitEthWithdrawalsMaxDelay` W_max of W(i). Mainnet 180 d; must be >= W_min.
    pub rage_quit_eth_withdrawals_max_delay: Duration,
    /// `rageQuitEthWithdrawalsDelayGrowth`: what each consecutive rage quit adds to W(i).
    /// Mainnet 15 d.
    pub rage_quit_eth_withdrawals_delay_growth: Duration,
    /// The timelock's `afterSubmitDelay`: submission to earliest scheduling. Mainnet 3 d;
    /// at most 30 d.
    pub after_submit_delay: Duration,
    /// The timelock's `afterScheduleDelay`: scheduling to earliest execution. Mainnet 1 d;
    /// at most 10 d.
    pub after_schedule_delay: Duration,
    /// `MIN_EXECUTION_DELAY`: execution also waits this long after submission. Mainnet 3 d;
    /// must be <= `after_submit_delay + after_schedule_delay`.
    pub min_execution_delay: Duration,
    /// `emergencyModeDuration`: how long emergency mode lasts once activated. Mainnet
    /// 30 d; at most 365 d.
    pub emergency_mode_duration: Duration,
    /// How long emergency protection lasts from the start (mainnet: an absolute date,
    /// 2026-06-20; here a duration from t0, default the 3-year maximum).
    pub emergency_protection_duration: Duration,
    /// `tiebreakerActivationTimeout`: a tie (the tiebreaker committee may act) holds once
    /// the state has been outside Normal and VetoCooldown this long, or in RageQuit while a
    /// withdrawal blocker is paused beyond it (reference §5). Mainnet 365 d; in
    /// `[182.5 d, 730 d]`.
    pub tiebreaker_activation_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config::mainnet()
    }
}

impl Config {
    /// Mainnet values (reference §2.1–2.3).
    pub const fn mainnet() -> Config {
        Config {
            first_seal: PercentD16(10_000_000_000_000_000),
            second_seal: PercentD16(100_000_000_000_000_000),
            min_assets_lock_duration: Duration::hours(5),
            veto_signalling_min_duration: Duration::days(5),
            veto_signalling_max_duration: Duration::days(45),
            veto_signalling_min_active_duration: Duration::hours(5),
            veto_signalling_deactivation_max_duration: Duration::days(3),
            veto_cooldown_duration: Duration::hours(5),
            rage_quit_extension_period_duration: Duration::days(7),
            rage_quit_eth_withdrawals_min_delay: Duration::days(60),
            rage_quit_eth_withdrawals_max_delay: Duration::days(180),
            rage_quit_eth_withdrawals_delay_growth: Duration::days(15),
            after_submit_delay: Duration::days(3),
            after_schedule_delay: Duration::days(1),
            min_execution_delay: Duration::days(3),
            emergency_mode_duration: Duration::days(30),
            emergency_protection_duration: MAX_EMERGENCY_PROTECTION_DURATION,
            tiebreaker_activation_timeout: Duration::days(365),
        }
    }

    /// The config of the reference's state-transition unit tests (§6 S12:
    /// `DualGovernanceStateTransitions.t.sol`): seals 3 % / 15 %, Lmin 3 d, Lmax 30 d,
    /// deactivation 5 d, cooldown 4 d, W 30/180/+15 d.
    pub const fn unit_test() -> Config {
        let mut c = Config::mainnet();
        c.first_seal = PercentD16(30_000_000_000_000_000);
        c.second_seal = PercentD16(150_000_000_000_000_000);
        c.veto_signalling_min_duration = Duration::days(3);
        c.veto_signalling_max_duration = Duration::days(30);
        c.veto_signalling_deactivation_max_duration = Duration::days(5);
        c.veto_cooldown_duration = Duration::days(4);
        c.rage_quit_eth_withdrawals_min_delay = Duration::days(30);
        c
    }

    /// Validation in the reference's order: `DualGovernanceConfig.validate`, then the
    /// escrow's min-lock bound, the timelock's delay bounds, emergency protection and
    /// the tiebreaker timeout range.
    pub fn validate(&self) -> Result<(), DgError> {
        if self.second_seal > PercentD16::HUNDRED {
            return Err(DgError::InvalidSecondSealRageQuitSupport(self.second_seal));
        }
        if self.first_seal >= self.second_seal {
            return Err(DgError::InvalidRageQuitSupportRange(
                self.first_seal,
                self.second_seal,
            ));
        }
        if self.veto_signalling_min_duration >= self.veto_signalling_max_duration {
            return Err(DgError::InvalidVetoSignallingDurationRange(
                self.veto_signalling_min_duration,
                self.veto_signalling_max_duration,
            ));
        }
        if self.rage_quit_eth_withdrawals_min_delay > self.rage_quit_eth_withdrawals_max_delay {
            return Err(DgError::InvalidRageQuitEthWithdrawalsDelayRange(
                self.rage_quit_eth_withdrawals_min_delay,
                self.rage_quit_eth_withdrawals_max_delay,
            ));
        }
        if self.min_assets_lock_duration == Duration::ZERO
            || self.min_assets_lock_duration > MAX_MIN_ASSETS_LOCK_DURATION
        {
            return Err(DgError::InvalidMinAssetsLockDuration(
                self.min_assets_lock_duration,
            ));
        }
        if self.after_submit_delay > MAX_AFTER_SUBMIT_DELAY {
            return Err(DgError::InvalidAfterSubmitDelay(self.after_submit_delay));
        }
        if self.after_schedule_delay > MAX_AFTER_SCHEDULE_DELAY {
            return Err(DgError::InvalidAfterScheduleDelay(
                self.after_schedule_delay,
            ));
        }
        if (self.after_submit_delay.0 as u64 + self.after_schedule_delay.0 as u64)
            < self.min_execution_delay.0 as u64
        {
            return Err(DgError::InvalidExecutionDelay(self.min_execution_delay));
        }
        if self.emergency_mode_duration > MAX_EMERGENCY_MODE_DURATION {
            return Err(DgError::InvalidEmergencyModeDuration(
                self.emergency_mode_duration,
            ));
        }
        if self.emergency_protection_duration > MAX_EMERGENCY_PROTECTION_DURATION {
            return Err(DgError::InvalidEmergencyProtectionEndDate(
                self.emergency_protection_duration,
            ));
        }
        if self.tiebreaker_activation_timeout < MIN_TIEBREAKER_ACTIVATION_TIMEOUT
            || self.tiebreaker_activation_timeout > MAX_TIEBREAKER_ACTIVATION_TIMEOUT
        {
            return Err(DgError::InvalidTiebreakerActivationTimeout(
                self.tiebreaker_activation_timeout,
            ));
        }
        Ok(())
    }

    /// `calcVetoSignallingDuration` (§1.4): T_lock(R), integer, floor division.
    pub fn veto_signalling_duration(&self, r: PercentD16) -> Duration {
        if r < self.first_seal {
            return Duration::ZERO;
        }
        if r >= self.second_seal {
            return self.veto_signalling_max_duration;
        }
        let span =
            (self.veto_signalling_max_duration.0 - self.veto_signalling_min_duration.0) as u128;
        let extra = (r.0 - self.first_seal.0) * span / (self.second_seal.0 - self.first_seal.0);
        Duration(self.veto_signalling_min_duration.0 + extra as u32)
    }

    /// `calcRageQuitWithdrawalsDelay(i) = min(W_min + i * W_growth, W_max)`.
    pub fn rage_quit_withdrawals_delay(&self, round: u8) -> Duration {
        let d = self.rage_quit_eth_withdrawals_min_delay.0 as u64
            + round as u64 * self.rage_quit_eth_withdrawals_delay_growth.0 as u64;
        Duration(d.min(self.rage_quit_eth_withdrawals_max_delay.0 as u64) as u32)
    }

    /// `isFirstSealRageQuitSupportReached`: `R >= R1` (inclusive).
    pub fn is_first_seal_reached(&self, r: PercentD16) -> bool {
        r >= self.first_seal
    }

    /// `isSecondSealRageQuitSupportReached`: `R >= R2` (inclusive).
    pub fn is_second_seal_reached(&self, r: PercentD16) -> bool {
        r >= self.second_seal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tlock_table_of_the_reference() {
        let c = Config::mainnet();
        let p = |bp: u128| PercentD16::from_basis_points(bp);
        assert_eq!(
            c.veto_signalling_duration(PercentD16(10u128.pow(16) - 1)).0,
            0
        );
        assert_eq!(c.veto_signalling_duration(p(100)).0, 432_000);
        assert_eq!(c.veto_signalling_duration(p(101)).0, 435_840);
        assert_eq!(c.veto_signalling_duration(p(200)).0, 816_000);
        assert_eq!(c.veto_signalling_duration(p(500)).0, 1_968_000);
        assert_eq!(c.veto_signalling_duration(p(900)).0, 3_504_000);
        assert_eq!(c.veto_signalling_duration(p(999)).0, 3_884_160);
        assert_eq!(c.veto_signalling_duration(p(1000)).0, 3_888_000);
        assert_eq!(c.veto_signalling_duration(p(5000)).0, 3_888_000);
    }

    #[test]
    fn emergency_protection_longer_than_three_years_is_refused() {
        let mut c = Config::mainnet();
        c.emergency_protection_duration = MAX_EMERGENCY_PROTECTION_DURATION;
        assert!(c.validate().is_ok());
        c.emergency_protection_duration = Duration(MAX_EMERGENCY_PROTECTION_DURATION.0 + 1);
        assert_eq!(
            c.validate().unwrap_err().name(),
            "InvalidEmergencyProtectionEndDate"
        );
    }

    #[test]
    fn withdrawal_delay_sequence() {
        let c = Config::mainnet();
        let days: Vec<u32> = (1..=9)
            .map(|i| c.rage_quit_withdrawals_delay(i).0 / 86_400)
            .collect();
        assert_eq!(days, vec![75, 90, 105, 120, 135, 150, 165, 180, 180]);
        assert_eq!(c.rage_quit_withdrawals_delay(255).0 / 86_400, 180);
    }

    #[test]
    fn validation() {
        assert!(Config::mainnet().validate().is_ok());
        assert!(Config::unit_test().validate().is_ok());
        let mut c = Config::mainnet();
        c.first_seal = c.second_seal;
        assert_eq!(
            c.validate().unwrap_err().name(),
            "InvalidRageQuitSupportRange"
        );
        let mut c = Config::mainnet();
        c.second_seal = PercentD16(PercentD16::HUNDRED.0 + 1);
        assert_eq!(
            c.validate().unwrap_err().name(),
            "InvalidSecondSealRageQuitSupport"
        );
        let mut c = Config::mainnet();
        c.min_assets_lock_duration = Duration::ZERO;
        assert_eq!(
            c.validate().unwrap_err().name(),
            "InvalidMinAssetsLockDuration"
        );
        let mut c = Config::mainnet();
        c.veto_signalling_min_duration = c.veto_signalling_max_duration;
        assert_eq!(
            c.validate().unwrap_err().name(),
            "InvalidVetoSignallingDurationRange"
        );
        let mut c = Config::mainnet();
        c.rage_quit_eth_withdrawals_min_delay = Duration::days(181);
        assert_eq!(
            c.validate().unwrap_err().name(),
            "InvalidRageQuitEthWithdrawalsDelayRange"
        );
    }
}
