#!/usr/bin/env python3
"""Mutated-input campaign through the built `counterweight` binary (docs/fuzzing.md).

Mutates the fuzz seeds (scenarios, the veto simulation, timelines, CSVs) with a fixed random
stream and runs `check`, `run`, `govern simulate`, `govern replay` and `measure` on each, every
process under a memory cap (`prlimit --as`) and a timeout. Counts exit codes and flags:

  panic     an exit outside 0/1/2/130 (a signal, 101 for a panic, 134 for an abort),
            or "panicked"/"internal error" on stderr
  long      an error longer than one screen (more than 40 lines or a line over 500 chars)
  hang      killed by the timeout
  leftover  a failed command left its output directory or a `*.partial-*` staging directory

Usage: python3 fuzz/campaign.py [CASES] [--bin target/release/counterweight] [--seed N]
Prints a table of counts and every flagged case (its input is kept under fuzz/out/campaign/).
"""

import argparse
import collections
import os
import random
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MEM_CAP = 2 << 30  # bytes of address space per process
TIMEOUT = 30  # seconds per process

TOKENS = [
    "0", "-1", "1e308", "-1e308", "5e-324", "1e-300", "nan", "inf", "-inf", "4294967295",
    "18446744073709551616", "200000000", "1e9", "0.0", '""', '"x"', "[]", "{}", "true",
    "213503982334601d", "1e20", "99999999999", "[[compare]]", "[[actors]]", "[output]",
    "every = 1", "count = 100000", "replicates = 1000", "\u00e9", "\t", "=", "\"", "[",
]


def seeds(kind):
    d = os.path.join(ROOT, "fuzz", "seeds", kind)
    out = [open(os.path.join(d, f), "rb").read() for f in sorted(os.listdir(d))]
    if kind == "scenario":
        veto = os.path.join(ROOT, "scenarios", "governance", "simulate", "default.toml")
        out.append(open(veto, "rb").read())
    return out


def mutate(rng, data):
    """One to four edits: a byte flip, a token inserted or replacing a number, a line
    deleted or duplicated."""
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(5)
        if not data:
            data = bytearray(b"x")
        i = rng.randrange(len(data))
        if op == 0:
            data[i] ^= 1 << rng.randrange(8)
        elif op == 1:
            data[i:i] = rng.choice(TOKENS).encode()
        elif op == 2:
            # replace a number-like run at i by a token
            j = i
            while j < len(data) and chr(data[j]) in "0123456789.-e":
                j += 1
            data[i:j] = rng.choice(TOKENS).encode()
        elif op == 3:
            lines = bytes(data).split(b"\n")
            del lines[rng.randrange(len(lines))]
            data = bytearray(b"\n".join(lines))
        else:
            lines = bytes(data).split(b"\n")
            k = rng.randrange(len(lines))
            lines.insert(k, lines[k])
            data = bytearray(b"\n".join(lines))
    return bytes(data)


def run(binary, args, cwd):
    cmd = ["prlimit", f"--as={MEM_CAP}", binary] + args
    try:
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, timeout=TIMEOUT)
        return p.returncode, p.stderr.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        return "hang", ""


def flags(code, err, out_dir, work):
    f = []
    if code == "hang":
        return ["hang"]
    if code not in (0, 1, 2, 130) or "panicked" in err or "internal error" in err:
        f.append("panic")
    lines = err.splitlines()
    if len(lines) > 40 or any(len(l) > 500 for l in lines):
        f.append("long")
    partial = [n for n in os.listdir(work) if ".partial-" in n]
    if partial or (code != 0 and out_dir and os.path.exists(out_dir)):
        f.append("leftover")
    return f


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cases", nargs="?", type=int, default=3000)
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "counterweight"))
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    kinds = {k: seeds(k) for k in ("scenario", "timeline", "measure")}
    keep = os.path.join(ROOT, "fuzz", "out", "campaign")
    counts = collections.Counter()
    flagged = []
    with tempfile.TemporaryDirectory() as work:
        for case in range(a.cases):
            kind = rng.choice(["scenario", "scenario", "timeline", "measure"])
            data = mutate(rng, rng.choice(kinds[kind]))
            ext = "csv" if kind == "measure" else "toml"
            path = os.path.join(work, f"in.{ext}")
            with open(path, "wb") as fh:
                fh.write(data)
            out = os.path.join(work, "out")
            if kind == "scenario":
                is_veto = b"[[group]]" in data or b'model = "veto"' in data
                cmds = [("check", ["check", path], None)]
                if is_veto:
                    cmds.append(("govern simulate", ["govern", "simulate", path, "--quiet",
                                                     "--set", "replicates=2", "--out", out], out))
                else:
                    cmds.append(("run", ["run", path, "--quiet", "--out", out], out))
            elif kind == "timeline":
                cmds = [("govern replay", ["govern", "replay", path], None)]
            else:
                extra = rng.choice([[], ["--entity", "e"], ["--time", "t"],
                                    ["--entity", "e", "--time", "t"]])
                cmds = [("measure", ["measure", path, "--value", "v", "--quiet", "--out", out]
                         + extra, out)]
            for name, args, out_dir in cmds:
                code, err = run(a.bin, args, work)
                counts[(name, code)] += 1
                f = flags(code, err, out_dir, work)
                for x in f:
                    if x != code:  # a timeout is counted once, as "hang"
                        counts[(name, x)] += 1
                if f:
                    os.makedirs(keep, exist_ok=True)
                    kept = os.path.join(keep, f"case{case}-{name.replace(' ', '_')}.{ext}")
                    shutil.copy(path, kept)
                    flagged.append((case, name, code, f, kept, err[:300]))
                if out_dir and os.path.exists(out_dir):
                    shutil.rmtree(out_dir)
                for n in os.listdir(work):
                    if ".partial-" in n:
                        shutil.rmtree(os.path.join(work, n), ignore_errors=True)
    commands = sorted({k[0] for k in counts})
    columns = ["0", "1", "2", "130", "other", "panic", "long", "hang", "leftover"]
    print("| command | runs | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * (len(columns) + 1))
    for c in commands:
        by = {str(k[1]): v for k, v in counts.items() if k[0] == c}
        runs = sum(v for k, v in by.items() if k not in ("panic", "long", "hang", "leftover")) \
            + by.get("hang", 0)
        other = sum(v for k, v in by.items()
                    if k not in ("0", "1", "2", "130", "panic", "long", "hang", "leftover"))
        row = [by.get(x, 0) if x != "other" else other for x in columns]
        print(f"| `{c}` | {runs} | " + " | ".join(str(x) for x in row) + " |")
    for case, name, code, f, kept, err in flagged:
        print(f"case {case} {name}: exit {code} {f} ({kept}): {err!r}", file=sys.stderr)
    return 1 if flagged else 0


if __name__ == "__main__":
    sys.exit(main())
