#!/usr/bin/env bash
# The first_seal / second_seal sweep as a shell loop over `govern simulate --json`
# (the same numbers as `cargo run --release --example dg_seal_sweep -- docs/governance 100`,
# which also draws the figure). Prints each run's summary.json (key numbers: means over the
# replicates). `counterweight sweep FILE --vary config.first_seal=...` does the same in one
# command, with results.csv and summary.csv (docs/sweeps.md).
set -euo pipefail
BIN=${BIN:-target/release/counterweight}
REPS=${REPS:-100}
TMP=$(mktemp -d)
for s in 0.25% 0.5% 1% 2% 3% 5%; do
  "$BIN" govern simulate --json --set replicates=$REPS --set "config.first_seal=$s" --out "$TMP/first-$s"
done
for s in 5% 10% 15% 20% 30%; do
  "$BIN" govern simulate --json --set replicates=$REPS --set "config.second_seal=$s" --out "$TMP/second-$s"
done
rm -rf "$TMP"
