#!/usr/bin/env bash
# Coverage-guided campaigns (docs/fuzzing.md): one AFL++ fuzzer at a time, niced, each
# bounded by an execution budget and a wall-clock cap, then the figures of each run.
#   bash fuzz/campaign.sh EXECS SECONDS TARGET...    e.g. bash fuzz/campaign.sh 1000000 900 vary
# Needs `cargo install cargo-afl` and the instrumented build:
#   CARGO_TARGET_DIR=target/afl cargo afl build --release -p counterweight-fuzz --features afl
# Output: fuzz/out/TARGET/default/{fuzzer_stats,crashes,hangs,queue} (ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."
execs=$1 secs=$2
shift 2
export AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export AFL_NO_UI=1 AFL_FAST_CAL=1
for t in "$@"; do
  # a run executes a simulation: give it longer before an input counts as a hang
  timeout_ms=1000
  [ "$t" = run ] && timeout_ms=5000
  dict=()
  [ -f "fuzz/dict/$t.dict" ] && dict=(-x "fuzz/dict/$t.dict")
  # chart_png draws chart's inputs as files (SVG and PNG): the same seeds
  seeds=fuzz/seeds/$t
  [ -d "$seeds" ] || seeds=fuzz/seeds/${t%_png}
  rm -rf "fuzz/out/$t"
  mkdir -p fuzz/out
  start=$(date +%s)
  nice -n 5 cargo afl fuzz -i "$seeds" -o "fuzz/out/$t" "${dict[@]}" \
    -t "$timeout_ms" -E "$execs" -V "$secs" "target/afl/release/$t" \
    > "fuzz/out/$t.log" 2>&1 || echo "$t: afl-fuzz exited $?" >&2
  end=$(date +%s)
  s=fuzz/out/$t/default/fuzzer_stats
  get() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$s"; }
  echo "$t: $(date -u +%F) wall $((end - start)) s, execs $(get execs_done)," \
    "execs/s $(get execs_per_sec), corpus $(get corpus_count), bitmap $(get bitmap_cvg)," \
    "edges $(get edges_found)/$(get total_edges), crashes $(get saved_crashes)," \
    "hangs $(get saved_hangs)"
done
