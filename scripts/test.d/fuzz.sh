#!/usr/bin/env bash
# Smoke fuzz run (docs/fuzzing.md): every seed and regression input, and 2000 deterministic
# mutations of each seed, through the six fuzz targets. Plain cargo, no AFL. fuzz/ is a
# member of the workspace and `--workspace` resolves features as the Rust part's
# `cargo test --release --workspace` does, so the library and every dependency built there
# are reused: only the fuzz crate's smoke test is compiled, if anything.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -e fuzz/Cargo.lock ]; then
  echo "fuzz/Cargo.lock: fuzz/ is a workspace member and uses the workspace's Cargo.lock;" \
    "a lock file of its own would make this run compile the library a second time" >&2
  exit 1
fi
cargo test --release --workspace --test smoke
