//! Emergency protection (EmergencyProtection.sol, §5): the activation committee can once,
//! before protection ends, put the timelock into emergency mode for
//! `emergency_mode_duration`; while active, normal execution is blocked and only the
//! execution committee can `emergencyExecute` or `emergencyReset`. Deactivation (admin
//! executor any time, anyone after the mode duration) cancels all non-executed proposals
//! and clears protection.

use super::errors::DgError;
use super::types::{Duration, Timestamp};

/// The state of `EmergencyProtection.sol`: when protection ends and whether emergency mode
/// is active. Created by [`super::system::DualGovernance::new`] from the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmergencyProtection {
    /// `emergencyProtectionEndsAfter`; `ZERO` once cleared.
    pub protection_ends_after: Timestamp,
    /// `emergencyModeEndsAfter`; `ZERO` when the mode is not active.
    pub mode_ends_after: Timestamp,
    /// `emergencyModeDuration`: how long the mode lasts once activated.
    pub mode_duration: Duration,
}

impl EmergencyProtection {
    /// Protection from `now` for `protection`; emergency mode not active.
    pub fn new(now: Timestamp, protection: Duration, mode_duration: Duration) -> Self {
        EmergencyProtection {
            protection_ends_after: now + protection,
            mode_ends_after: Timestamp::ZERO,
            mode_duration,
        }
    }

    /// `isEmergencyModeActive`: the mode was activated and not cleared (it stays active after
    /// its duration until someone deactivates it).
    pub fn is_mode_active(&self) -> bool {
        self.mode_ends_after.is_set()
    }

    /// `checkEmergencyMode(expected)`.
    pub fn check_mode(&self, expected_active: bool) -> Result<(), DgError> {
        if self.is_mode_active() != expected_active {
            return Err(DgError::UnexpectedEmergencyModeState(self.is_mode_active()));
        }
        Ok(())
    }

    /// `activateEmergencyMode` (committee check is the caller's).
    pub fn activate(&mut self, now: Timestamp) -> Result<(), DgError> {
        self.check_mode(false)?;
        if now > self.protection_ends_after {
            return Err(DgError::EmergencyProtectionExpired(
                self.protection_ends_after.0,
            ));
        }
        self.mode_ends_after = now + self.mode_duration;
        Ok(())
    }

    /// `isEmergencyModeDurationPassed`: strict.
    pub fn is_mode_duration_passed(&self, now: Timestamp) -> bool {
        self.is_mode_active() && now > self.mode_ends_after
    }

    /// Clear the mode and the protection (`deactivateEmergencyMode` / `emergencyReset`).
    pub fn clear(&mut self) {
        self.mode_ends_after = Timestamp::ZERO;
        self.protection_ends_after = Timestamp::ZERO;
    }
}
