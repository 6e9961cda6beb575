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
mod growth_validation;
mod harberger_validation;
mod hardening;
mod io_run;
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

/// With `autotests = false` a new file in tests/ would be silently left out of the build:
/// every `tests/*.rs` must be a module above (or a `[[test]]` target of its own).
#[test]
fn every_test_file_is_compiled() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let main = std::fs::read_to_string(dir.join("main.rs")).unwrap();
    let manifest = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"),
    )
    .unwrap();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let (Some(stem), Some("rs")) = (
            path.file_stem().and_then(|s| s.to_str()),
            path.extension().and_then(|s| s.to_str()),
        ) else {
            continue;
        };
        if stem == "main" || manifest.contains(&format!("path = \"tests/{stem}.rs\"")) {
            continue;
        }
        assert!(
            main.contains(&format!("\nmod {stem};")),
            "tests/{stem}.rs is not compiled: add `mod {stem};` to tests/main.rs"
        );
    }
}
