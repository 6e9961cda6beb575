//! The proposal timelock (`EmergencyProtectedTimelock` + `ExecutableProposals`, §3):
//! submit / schedule / execute / cancel-all with after-submit, after-schedule and minimum
//! execution delays (inclusive `>=`). It never consults the governance state.

use super::config::Config;
use super::errors::DgError;
use super::types::Timestamp;

/// Proposal status (EXP): ids are sequential from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProposalStatus {
    /// No proposal has this id (0, or beyond the last submitted).
    NotExist,
    /// Submitted, waiting to be scheduled.
    Submitted,
    /// Scheduled, waiting to be executed.
    Scheduled,
    /// Executed (final; cancellation no longer applies).
    Executed,
    /// Cancelled by `cancelAllNonExecutedProposals` (final).
    Cancelled,
}

/// One proposal as the timelock stores it (without its calls).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proposal {
    /// The id, from 1 in submission order.
    pub id: u64,
    /// The stored status (Submitted, Scheduled or Executed); cancellation is not stored
    /// here but derived from [`Timelock::last_cancelled_proposal_id`] by
    /// [`Timelock::status`].
    pub status: ProposalStatus,
    /// When it was submitted.
    pub submitted_at: Timestamp,
    /// When it was scheduled (unset until then).
    pub scheduled_at: Timestamp,
    /// When it was executed (unset until then).
    pub executed_at: Timestamp,
}

/// The timelock's proposals and its cancellation mark: the state of
/// `EmergencyProtectedTimelock` apart from emergency protection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Timelock {
    /// Every proposal submitted, in id order (`proposals[i]` has id `i + 1`).
    pub proposals: Vec<Proposal>,
    /// `lastCancelledProposalId`.
    pub last_cancelled_proposal_id: u64,
}

impl Timelock {
    /// The number of proposals submitted (`proposalsCount`), which is also the last id.
    pub fn count(&self) -> u64 {
        self.proposals.len() as u64
    }

    /// The proposal's status with cancellation marking applied
    /// (`id <= lastCancelled && status != Executed` means Cancelled).
    pub fn status(&self, id: u64) -> ProposalStatus {
        match self.get(id) {
            None => ProposalStatus::NotExist,
            Some(p) => {
                if p.status != ProposalStatus::Executed && id <= self.last_cancelled_proposal_id {
                    ProposalStatus::Cancelled
                } else {
                    p.status
                }
            }
        }
    }

    /// The stored proposal `id` (`None` for 0 or an unknown id); its `status` ignores
    /// cancellation, see [`Timelock::status`].
    pub fn get(&self, id: u64) -> Option<&Proposal> {
        if id == 0 {
            return None;
        }
        self.proposals.get(id as usize - 1)
    }

    /// `getProposalDetails(id).submittedAt`; reverts for an unknown id.
    pub fn submitted_at(&self, id: u64) -> Result<Timestamp, DgError> {
        self.get(id)
            .map(|p| p.submitted_at)
            .ok_or(DgError::UnexpectedProposalStatus {
                proposal: id,
                status: ProposalStatus::NotExist,
            })
    }

    /// `submit`: returns the new id.
    pub fn submit(&mut self, now: Timestamp) -> u64 {
        let id = self.count() + 1;
        self.proposals.push(Proposal {
            id,
            status: ProposalStatus::Submitted,
            submitted_at: now,
            scheduled_at: Timestamp::ZERO,
            executed_at: Timestamp::ZERO,
        });
        id
    }

    /// Checks of `schedule` (status Submitted, not cancelled, `now >= submitted + delay`).
    pub fn check_schedule(&self, id: u64, cfg: &Config, now: Timestamp) -> Result<(), DgError> {
        let status = self.status(id);
        if status != ProposalStatus::Submitted {
            return Err(DgError::UnexpectedProposalStatus {
                proposal: id,
                status,
            });
        }
        let from = self.get(id).expect("exists").submitted_at + cfg.after_submit_delay;
        if now < from {
            return Err(DgError::AfterSubmitDelayNotPassed {
                proposal: id,
                from: from.0,
            });
        }
        Ok(())
    }

    /// `schedule`: the checks of [`Timelock::check_schedule`], then Scheduled at `now`.
    /// The governance state's permission (`canScheduleProposal`) is the caller's.
    pub fn schedule(&mut self, id: u64, cfg: &Config, now: Timestamp) -> Result<(), DgError> {
        self.check_schedule(id, cfg, now)?;
        let p = &mut self.proposals[id as usize - 1];
        p.status = ProposalStatus::Scheduled;
        p.scheduled_at = now;
        Ok(())
    }

    /// `execute` (the emergency-mode check is the caller's); with `emergency` the
    /// after-schedule and minimum execution delays are skipped (`emergencyExecute`).
    pub fn execute(
        &mut self,
        id: u64,
        cfg: &Config,
        now: Timestamp,
        emergency: bool,
    ) -> Result<(), DgError> {
        let status = self.status(id);
        if status != ProposalStatus::Scheduled {
            return Err(DgError::UnexpectedProposalStatus {
                proposal: id,
                status,
            });
        }
        let p = *self.get(id).expect("exists");
        if !emergency {
            let from = p.scheduled_at + cfg.after_schedule_delay;
            if now < from {
                return Err(DgError::AfterScheduleDelayNotPassed {
                    proposal: id,
                    from: from.0,
                });
            }
            let from = p.submitted_at + cfg.min_execution_delay;
            if now < from {
                return Err(DgError::MinExecutionDelayNotPassed {
                    proposal: id,
                    from: from.0,
                });
            }
        }
        let p = &mut self.proposals[id as usize - 1];
        p.status = ProposalStatus::Executed;
        p.executed_at = now;
        Ok(())
    }

    /// `cancelAllNonExecutedProposals`.
    pub fn cancel_all(&mut self) {
        self.last_cancelled_proposal_id = self.count();
    }
}
