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
mod market_models;
mod measure_group;
mod measure_owners;
mod serve;
mod society;
mod staking;
mod sweep;

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
