#!/usr/bin/env bash
# Smoke fuzz run (docs/fuzzing.md): every seed and regression input, and 2000 deterministic
# mutations of each seed, through the four fuzz targets. Plain cargo, no AFL; shares the
# workspace's target directory so that only the fuzz crate itself is compiled.
set -euo pipefail
cd "$(dirname "$0")/../.."
CARGO_TARGET_DIR="$PWD/target" cargo test --release --manifest-path fuzz/Cargo.toml
