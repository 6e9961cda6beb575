#!/usr/bin/env bash
# Instructions executed by the headline run, counted by valgrind's cachegrind: a measure of
# a change's cost that does not drift with the machine's load (wall clocks here move by
# 10-40% within an hour; these counts repeat to 0.01%, the functions' to the instruction).
# Instructions are not time (a division or a cache miss costs more than an add), so this
# complements the alternated wall-clock runs of bench/README.md; it does not replace them.
#
# usage: bash bench/instructions.sh [BINARY ...]   (default: target/release/counterweight)
#   With two or more binaries (e.g. copies of the old and the new build), prints each
#   function's count per binary and the ratio of the last to the first.
# env:   CW_N   actors (default 100000: valgrind runs the program about 50x slower)
#        CW_TOP functions listed (default 20)
# needs: valgrind (Debian package `valgrind`); python3.
#
# The run is the headline scenario (bench/headline.toml) with CW_N actors, on one rayon
# thread (the counts of idle pool threads spinning would vary), with outputs written.
# Under valgrind the CPU reports no AVX-512 and no VAES, so the AVX2 paths (and the normal
# generator's AES-NI path) are the ones counted.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || {
    echo "bench/instructions.sh: needs valgrind (apt-get install valgrind)" >&2
    exit 1
}
bins=("$@")
[ ${#bins[@]} -gt 0 ] || bins=(target/release/counterweight)
n=${CW_N:-100000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s/^count = .*/count = $n/" bench/headline.toml >"$tmp/headline.toml"
grep -q "^count = $n\$" "$tmp/headline.toml" || {
    echo "bench/instructions.sh: bench/headline.toml has no 'count = ' line to set" >&2
    exit 1
}
files=()
for i in "${!bins[@]}"; do
    [ -x "${bins[$i]}" ] || {
        echo "bench/instructions.sh: ${bins[$i]} is not an executable (build it with cargo build --release)" >&2
        exit 1
    }
    RAYON_NUM_THREADS=1 valgrind --tool=cachegrind --cache-sim=no \
        --cachegrind-out-file="$tmp/cg.$i" \
        "${bins[$i]}" run "$tmp/headline.toml" --quiet --out "$tmp/out.$i" >/dev/null 2>"$tmp/err.$i" || {
        cat "$tmp/err.$i" >&2
        exit 1
    }
    cg_annotate --auto=no "$tmp/cg.$i" >"$tmp/ann.$i"
    files+=("$tmp/ann.$i")
done
echo "headline run, N = $n, 100 steps, one thread: instructions (cachegrind Ir)"
python3 - "${CW_TOP:-20}" "${bins[@]}" -- "${files[@]}" <<'EOF'
import re, sys

args = sys.argv[1:]
top = int(args[0])
sep = args.index("--")
bins, files = args[1:sep], args[sep + 1:]
line = re.compile(r"^\s*([\d,]+)\s+\([\s\d.]+%\)\s+(.*)$")
counts = []
for f in files:
    c = {}
    for l in open(f):
        m = line.match(l)
        if m:
            name = m.group(2).split(":", 1)[-1] if ":" in m.group(2) else m.group(2)
            c[name] = c.get(name, 0) + int(m.group(1).replace(",", ""))
    counts.append(c)
total = "PROGRAM TOTALS"
# The top functions of any binary (a change may add or rename functions).
every = set().union(*counts) - {total}
names = sorted(every, key=lambda k: -max(c.get(k, 0) for c in counts))[:top]
head = "".join(f"{'binary ' + str(i + 1):>16}" for i in range(len(bins)))
ratio = len(bins) > 1
print(f"{head}{'  last/first' if ratio else ''}  function")
for name in [total] + names:
    vals = [c.get(name, 0) for c in counts]
    row = "".join(f"{v:>16,}" for v in vals)
    r = f"{vals[-1] / vals[0]:>12.3f}" if ratio and vals[0] else ("" if not ratio else f"{'-':>12}")
    print(f"{row}{r}  {name[:90]}")
for i, b in enumerate(bins):
    print(f"binary {i + 1}: {b}")
EOF
