//! The command's integration tests (the `counterweight` binary driven as a user drives it),
//! one module per file beside this one, linked into one test binary; see
//! crates/counterweight/tests/main.rs for why. The browser tests stay a binary of their own
//! (`--test browser`, run by scripts/test.d/browser.sh). Run one family with a filter:
//! `cargo test --release -p counterweight-cli --test cli sweep::`.

mod cli_run;
mod common;
mod gallery;
mod govern_replay;
mod govern_simulate;
mod hardening;
#[path = "../../counterweight/tests/listing.rs"]
mod listing;
mod market_models;
mod measure_group;
mod measure_owners;
mod serve;
mod society;
mod staking;
mod sweep;
#[path = "../../counterweight-serve/tests/support/ws_client.rs"]
mod ws_client;
