//! The library's integration tests, one module per file beside this one, linked into one
//! test binary (a binary per file would link the library and its dependencies 28 times:
//! minutes of linking and gigabytes of disk on a 2-core CI machine). Run one family with a
//! filter: `cargo test --release -p counterweight --test integration staking_validation`.

mod adoption_validation;
mod chart_ranges;
mod checks_validation;
mod dacc_validation;
mod declared_params;
mod exchange_validation;
mod extending;
mod governance_properties;
mod governance_scenarios;
mod growth_integrators;
mod growth_validation;
mod harberger_validation;
mod hardening;
mod io_run;
mod listing;
mod market_validation;
mod measure;
mod metrics;
mod network_models;
mod network_validation;
mod opinion_validation;
mod ownership;
mod policies;
mod rng_battery;
mod society_registry;
mod staking_registry;
mod staking_snapshot;
mod staking_validation;
