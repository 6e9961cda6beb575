//! Models. Each is one module that implements [`crate::registry::ModelDef`] and owns only
//! its parameters, its state and its step; the runner owns the loop, recording, progress
//! and cancellation. Models know nothing about files, terminals or plots.
//!
//! [`builtin`] is the one list of the built-in models.

pub mod adoption;
pub mod checks;
pub mod dacc;
pub mod exchange;
pub mod growth;
pub mod harberger;
pub mod market;
pub mod opinion;
pub mod staking;

use std::sync::OnceLock;

pub use crate::policy::Ledger;
use crate::registry::Registry;
pub use crate::registry::{Model, ModelError};

/// The model of a scenario that does not say (`model = "..."`).
pub const DEFAULT: &str = "growth";

/// The built-in models, in the order `counterweight scenarios` and the docs list them.
pub fn builtin() -> &'static Registry {
    static BUILTIN: OnceLock<Registry> = OnceLock::new();
    BUILTIN.get_or_init(|| {
        Registry::new()
            .with(growth::Growth)
            .with(exchange::Exchange)
            .with(adoption::Adoption)
            .with(market::Market)
            .with(harberger::HarbergerTax)
            .with(staking::StakingModel)
            .with(crate::governance::dual::simulate::Veto)
            .with(opinion::Opinion)
            .with(dacc::Dacc)
            .with(checks::Checks)
    })
}

/// Build replicate `replicate` of a scenario's model.
pub fn build(sc: &crate::scenario::Scenario, replicate: u32) -> Box<dyn Model> {
    sc.model.setup().build(sc, replicate)
}
