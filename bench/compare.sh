#!/usr/bin/env bash
# Headline benchmark: the growth model (Bouchaud-Mezard form: exchange + shocks, metrics every
# 10 steps) in counterweight (Rust), vectorised NumPy and Mesa, side by side in one run, in
# actor-steps per second. See bench/README.md.
#
# Usage: bash bench/compare.sh [--check]
#   --check   also run bench/check_peers.py (the two Python peers agree with the
#             Bouchaud-Mezard target and with each other; about 10 s more)
# Environment (defaults in brackets): NUMPY_N [1000000], MESA_N [10000], STEPS [100],
#   EVERY [10], REPEAT [3] (best of REPEAT runs for each Python peer), SEED [42],
#   WHOLE_MESA_N [100000] (Mesa's N in the whole-process table), SKIP_RUST=1 to skip the
#   cargo bench, SKIP_WHOLE=1 to skip the whole-process table (bench/whole.py),
#   FRAMES_PY [bench/.venv-frames/bin/python]: a Python with mesa-frames; when it exists the
#   whole-process table adds bench/frames_growth.py at N = 10^6 (mesa-frames pins numpy < 2,
#   so it has a venv of its own: python3 -m venv bench/.venv-frames &&
#   bench/.venv-frames/bin/pip install mesa-frames).
set -u -o pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
T_START=$(date +%s)

NUMPY_N=${NUMPY_N:-1000000}
MESA_N=${MESA_N:-10000}
STEPS=${STEPS:-100}
EVERY=${EVERY:-10}
REPEAT=${REPEAT:-3}
SEED=${SEED:-42}
WHOLE_MESA_N=${WHOLE_MESA_N:-100000}
CHECK=0
for arg in "$@"; do
    case "$arg" in
        --check) CHECK=1 ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "compare.sh: unknown argument: $arg" >&2; exit 2 ;;
    esac
done

VENV="$ROOT/bench/.venv"
PY="$VENV/bin/python"
if [ ! -x "$PY" ]; then
    echo "== creating $VENV"
    python3 -m venv "$VENV" || { echo "compare.sh: python3 -m venv failed" >&2; exit 1; }
fi
echo "== installing bench/requirements.txt into bench/.venv"
"$PY" -m pip install -q --disable-pip-version-check -r "$ROOT/bench/requirements.txt" \
    || { echo "compare.sh: pip install failed" >&2; exit 1; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# --- Rust -------------------------------------------------------------------------------
RUST_LINE=""
if [ "${SKIP_RUST:-0}" = "1" ]; then
    echo "== Rust benchmark skipped (SKIP_RUST=1)"
elif ! command -v cargo >/dev/null 2>&1; then
    echo "== Rust benchmark not available (no cargo)"
else
    echo "== cargo bench --workspace --bench growth"
    t0=$(date +%s)
    if cargo bench --workspace --bench growth >"$TMP/rust.log" 2>&1; then
        RUST_LINE=$(grep -E '^counterweight growth: ' "$TMP/rust.log" | tail -n 1 || true)
    fi
    echo "   ($(( $(date +%s) - t0 )) s, build included)"
    if [ -z "$RUST_LINE" ]; then
        echo "== Rust benchmark not available (cargo bench failed or printed no" \
             "'counterweight growth:' line); last lines of its output:"
        tail -n 5 "$TMP/rust.log" | sed 's/^/   | /'
    else
        echo "   $RUST_LINE"
    fi
fi
printf '%s\n' "$RUST_LINE" >"$TMP/rust.line"

# --- Python peers -------------------------------------------------------------------------
echo "== NumPy: N=$NUMPY_N steps=$STEPS every=$EVERY best of $REPEAT"
"$PY" "$ROOT/bench/numpy_growth.py" --n "$NUMPY_N" --steps "$STEPS" --every "$EVERY" \
    --repeat "$REPEAT" --seed "$SEED" | tee "$TMP/numpy.json" | sed 's/^/   /'
echo "== Mesa: N=$MESA_N steps=$STEPS every=$EVERY best of $REPEAT"
"$PY" "$ROOT/bench/mesa_growth.py" --n "$MESA_N" --steps "$STEPS" --every "$EVERY" \
    --repeat "$REPEAT" --seed "$SEED" | tee "$TMP/mesa.json" | sed 's/^/   /'

# --- whole processes ---------------------------------------------------------------------
# Start-up, imports and outputs included: `counterweight run bench/headline.toml` (the binary
# the README's first command builds) against the two peers as scripts (bench/whole.py).
if [ "${SKIP_WHOLE:-0}" = "1" ]; then
    echo "== whole processes skipped (SKIP_WHOLE=1)"
    : >"$TMP/whole.jsonl"
elif command -v cargo >/dev/null 2>&1 && cargo build --release -q >"$TMP/build.log" 2>&1; then
    FRAMES_PY=${FRAMES_PY:-$ROOT/bench/.venv-frames/bin/python}
    FRAMES=()
    if [ -x "$FRAMES_PY" ]; then
        FRAMES=(--frames-python "$FRAMES_PY")
    else
        echo "   (no mesa-frames peer: $FRAMES_PY does not exist; see the header of this script)"
    fi
    echo "== whole processes: counterweight run bench/headline.toml vs the peers as scripts" \
         "($REPEAT interleaved rounds, best of each; Mesa at N=$WHOLE_MESA_N once)"
    "$PY" "$ROOT/bench/whole.py" --bin "$ROOT/target/release/counterweight" --repeat "$REPEAT" \
        --mesa-n "$WHOLE_MESA_N" "${FRAMES[@]}" | tee "$TMP/whole.jsonl" | sed 's/^/   /'
else
    echo "== whole processes not available (no cargo, or cargo build --release failed)"
    : >"$TMP/whole.jsonl"
fi

if [ "$CHECK" = "1" ]; then
    echo "== check_peers"
    (cd "$ROOT/bench" && "$PY" check_peers.py) | sed 's/^/   /'
fi

# --- table ------------------------------------------------------------------------------
echo
"$PY" - "$TMP" <<'EOF'
import json, os, re, sys
tmp = sys.argv[1]

def load(name):
    try:
        with open(os.path.join(tmp, name + ".json")) as f:
            return json.loads(f.read().strip().splitlines()[-1])
    except Exception:
        return None

rows = []
rust = None
line = open(os.path.join(tmp, "rust.line")).read().strip()
m = re.search(r"N=(\d+)\s+steps=(\d+)\s+seconds=([0-9.eE+-]+)\s+actor_steps_per_s=([0-9.eE+-]+)", line)
if m:
    rust = float(m.group(4))
    rows.append(("counterweight (Rust)", int(m.group(1)), int(m.group(2)), float(m.group(3)), rust, ""))
np_rec, mesa_rec = load("numpy"), load("mesa")
for rec, label, ver in ((np_rec, "NumPy", "numpy_version"), (mesa_rec, "Mesa", "mesa_version")):
    if rec:
        rows.append((label, rec["n"], rec["steps"], rec["seconds"], rec["actor_steps_per_s"],
                     f"{rec.get(ver, '?')}, Python {rec.get('python_version', '?')}; "
                     f"CPU {rec.get('cpu_seconds', float('nan')):.3f} s"))

print(f"{'implementation':22s} {'N':>9s} {'steps':>6s} {'seconds':>9s} {'actor-steps/s':>14s}  version")
for label, n, steps, sec, rate, ver in rows:
    print(f"{label:22s} {n:>9d} {steps:>6d} {sec:>9.3f} {rate:>14.4g}  {ver}")
print()
if rust is None:
    print("Rust benchmark not available: no ratios.")
else:
    for rec, label in ((np_rec, "numpy"), (mesa_rec, "mesa")):
        if rec:
            print(f"{'counterweight / ' + label:22s} = {rust / rec['actor_steps_per_s']:10.1f} x")
if np_rec and mesa_rec:
    print(f"{'numpy / mesa':22s} = {np_rec['actor_steps_per_s'] / mesa_rec['actor_steps_per_s']:10.1f} x")
print("(wall clock; a CPU time well below the wall clock means other processes were competing for the cores)")

# The rooflines from the same cargo bench run: how close the model runs to what the machine
# can do at all (issue 14: within 1.5x of the roofline).
log = ""
try:
    log = open(os.path.join(tmp, "rust.log")).read()
except OSError:
    pass
def rate(prefix, unit="actor_steps_per_s"):
    m = re.search(r"^" + re.escape(prefix) + r".*?" + unit + r"=([0-9.eE+-]+)", log, re.M)
    return float(m.group(1)) if m else None
lines = [("model, metrics every 10 steps", rate("counterweight growth: ")),
         ("model, no metrics", rate("without metrics")),
         ("roofline: normals + one stream of the array", rate("roofline (normals")),
         ("memory roofline: one read + write per actor-step", rate("memory roofline")),
         ("generator alone (normals/s)", rate("generator alone", "normals_per_s"))]
if rust is not None and lines[2][1]:
    print()
    print(f"{'in-process (cargo bench)':50s} {'per second':>12s} {'model / this':>13s}")
    for label, r in lines:
        if r:
            print(f"{label:50s} {r:>12.4g} {rust / r:>13.3f}")
    m = re.search(r"one metrics::concentration call on N=(\d+) values: ([0-9.]+) ms", log)
    if m:
        print(f"one metrics evaluation at N={m.group(1)}: {m.group(2)} ms")
    m = re.search(r"one fused step .*?: ([0-9.]+) ms = ([0-9.]+) ns per actor", log)
    if m:
        print(f"one fused step at N=10^6: {m.group(1)} ms ({m.group(2)} ns per actor)")

whole = []
try:
    whole = [json.loads(l) for l in open(os.path.join(tmp, "whole.jsonl")) if l.strip()]
except (OSError, ValueError):
    pass
if whole:
    print()
    print("whole processes (start-up, imports and outputs included; best of the interleaved rounds):")
    print(f"{'implementation':15s} {'N':>9s} {'seconds':>9s} {'CPU s':>7s} {'peak MB':>8s} {'actor-steps/s':>14s}  split")
    for w in whole:
        split = (f"model {w['model_seconds']:.3f} s, outputs {w['outputs_seconds']:.3f} s"
                 if w.get("outputs_seconds") is not None else f"model alone {w['model_seconds']:.3f} s")
        print(f"{w['impl']:15s} {w['n']:>9d} {w['seconds']:>9.3f} {w['cpu_seconds']:>7.3f} "
              f"{w['peak_rss_mb']:>8.0f} {w['actor_steps_per_s']:>14.4g}  {split}")
    cw = next((w for w in whole if w["impl"] == "counterweight"), None)
    if cw:
        for w in whole:
            if w is not cw:
                print(f"{'counterweight / ' + w['impl']:28s} = {cw['actor_steps_per_s'] / w['actor_steps_per_s']:10.1f} x "
                      f"(wall), {(w['cpu_seconds'] / w['n']) / (cw['cpu_seconds'] / cw['n']):.1f} x (CPU per actor-step)")
        # The same ratio round by round (whole.py interleaves the runs): how far the host's
        # drift moves it.
        for w in whole:
            if w is not cw and len(w.get("runs", [])) > 1:
                per = sorted((r / w["n"]) / (c / cw["n"]) for c, r in zip(cw["runs"], w["runs"]))
                print(f"{'  round by round, / ' + w['impl']:28s} = {', '.join(f'{x:.1f}' for x in per)} x (wall)")
        if lines[2][1]:
            print(f"{'counterweight / roofline':22s} = {cw['actor_steps_per_s'] / lines[2][1]:10.3f} (whole process against the in-process roofline)")
print("(unit: actor-steps/s = N * steps / seconds, metrics every "
      f"{np_rec['every'] if np_rec else '?'} steps included; Mesa runs at a smaller N)")
EOF
echo "== compare.sh took $(( $(date +%s) - T_START )) s on $(nproc) cores; load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
