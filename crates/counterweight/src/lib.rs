//! # counterweight — a laboratory for the balance of power
//!
//! The engine behind the `counterweight` command. It simulates how economies of scale
//! concentrate power and how diffusion, taxes and governance checks counter it, runs
//! faithful models of real decentralisation mechanisms (Lido's Dual Governance), and
//! measures concentration in real data.
//!
//! Data flows one way:
//!
//! ```text
//! scenario (TOML) -> Scenario (validated by the model's registry entry) -> runner
//!                 -> Model::step -> observations -> metrics -> io (CSV, Parquet, plots, report)
//! ```
//!
//! Models are plug-ins: each implements [`registry::ModelDef`] once and is listed in
//! [`model::builtin`]; nothing else names a model.
//!
//! The library never touches a terminal; progress and cancellation are callbacks and
//! flags passed in by the caller (the CLI, later a Python binding or a dashboard).

// Every public item of the library is documented, and stays so. A crate attribute, not
// Cargo.toml: the crate inherits the workspace's lints (`[lints] workspace = true`), which
// cannot be combined with lints of its own there, and the lint is for the library's API.
#![deny(missing_docs)]

// --- at the bottom: tables, random streams, numbers for people, what every model stands on
pub mod fmt;
pub mod rng;
pub mod setup;
pub mod table;

// --- scenario: the TOML format and its validation; errors for people -----------------
pub mod diagnostic;
pub mod scenario;

// --- models: the registry, one module per model, and the policy framework -------------
pub mod governance;
pub mod model;
pub mod policy;
pub mod registry;

// --- networks: who interacts with whom (edge lists, generated graphs, graph metrics) --
pub mod network;

// --- the time loop, replicates; what a run will take before it starts -------------------
pub mod estimate;
pub mod runner;

// --- sweeps: many runs over a grid of parameters, replicates, resumable ------------------
pub mod sweep;

// --- measurement --------------------------------------------------------------------
pub mod measure;
pub mod metrics;

// --- outputs: tables (CSV/Parquet), atomic writes, plots, reports; the gallery ----------
pub mod gallery;
pub mod io;

// --- vectorisable elementary functions, and the instruction sets their loops run on ---
// (the same bits on every one)
pub mod simd;
pub(crate) mod vmath;

/// The crate version, recorded in every run directory.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
