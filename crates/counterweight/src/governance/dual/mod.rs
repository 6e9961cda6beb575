//! # Lido Dual Governance
//!
//! A faithful, deterministic port of the state machine, signalling/rage-quit escrow and
//! proposal timelock of Lido's Dual Governance (`reference/dual-governance.md`), with
//! mainnet parameters as defaults.
//!
//! * [`types`] — `PercentD16`, `Duration`, `Timestamp`, 256-bit `mul_div`.
//! * [`config`] — parameters, mainnet defaults, validation, T_lock(R), W(i).
//! * [`state_machine`] — the pure transition function and its side effects on the context.
//! * [`escrow`] — stETH shares, the signalling escrow, R, the rage-quit escrow.
//! * [`timelock`] — proposals: submit, schedule, execute, cancel-all.
//! * [`emergency`], [`tiebreaker`] — emergency protection and the tiebreaker at the
//!   level of the reference's §5.
//! * [`errors`] — typed errors named like the reference (`DgError::name`).
//! * [`system`] — the thin stateful shell, one atomic method per transaction.
//! * [`timeline`] — the timeline format and the replay engine (no printing).
//! * [`simulate`] — the veto simulation (agents on top of the shell).

pub mod config;
pub mod emergency;
pub mod errors;
pub mod escrow;
pub mod simulate;
pub mod state_machine;
pub mod system;
pub mod tiebreaker;
pub mod timeline;
pub mod timelock;
pub mod types;

pub use config::Config;
pub use errors::DgError;
pub use state_machine::State;
pub use system::DualGovernance;
pub use types::{Duration, PercentD16, Timestamp};
