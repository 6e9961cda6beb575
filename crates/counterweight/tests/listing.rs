//! The guard of the one-binary test layout (also compiled into the CLI's test binary:
//! `CARGO_MANIFEST_DIR` is the crate being tested).

/// With `autotests = false` a new file in tests/ would be silently left out of the build:
/// every `tests/*.rs` must be a module of tests/main.rs (or a `[[test]]` target of its own).
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
