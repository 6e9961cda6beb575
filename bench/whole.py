#!/usr/bin/env python3
"""The headline benchmark as whole processes (issue 14): each implementation is started as a
process, runs the model with its metrics and writes its results, and is timed from the
outside, start-up, imports and output included.

  counterweight  target/release/counterweight run bench/headline.toml --out DIR
                 (metrics.csv/.parquet, summary.json, 4 charts as SVG and PNG, report.html);
                 its last line splits the time into model and outputs
  NumPy          python bench/numpy_growth.py --repeat 1 --csv FILE  (N = 10^6)
  mesa-frames    FRAMES_PYTHON bench/frames_growth.py --repeat 1 --csv FILE  (N = 10^6; only
                 with --frames-python, a Python where mesa-frames is installed: it pins numpy < 2)
  Mesa           python bench/mesa_growth.py --repeat 1 --csv FILE   (N = MESA_N, default
                 10^5, so that interpreter start-up and imports are a small part of its time)

The runs are interleaved in REPEAT rounds (counterweight, NumPy, mesa-frames, then again; Mesa,
the slowest, once, after the first round), so that the host's drift, 20-40% within the hour on
the project machine, falls on every implementation alike instead of on whichever ran in a slow
minute; each keeps its best wall clock, and every run's wall clock is listed ("runs"). Wall
clock, CPU seconds (user + system of the child, from wait4) and peak RSS are reported; the
ratios are in actor-steps per second of the whole process. Prints one JSON line per
implementation, counterweight's first.

Usage: python bench/whole.py --bin target/release/counterweight [--repeat 3] [--mesa-n 100000]
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEADLINE_N, STEPS = 1_000_000, 100


def timed(cmd):
    """Run `cmd`; return (wall s, cpu s, peak RSS MB, stdout). Output goes through files,
    so a chatty child never blocks on a full pipe while we wait for it."""
    with tempfile.TemporaryFile("w+") as fo, tempfile.TemporaryFile("w+") as fe:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=fo, stderr=fe, text=True)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        fo.seek(0)
        fe.seek(0)
        out, err = fo.read(), fe.read()
    if p.returncode != 0:
        sys.exit(f"whole.py: {' '.join(cmd)} failed ({p.returncode}):\n{err[-2000:]}")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024.0, out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "counterweight"))
    p.add_argument("--python", default=sys.executable)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--mesa-n", type=int, default=100_000)
    p.add_argument("--skip-mesa", action="store_true")
    p.add_argument("--frames-python",
                   help="a Python with mesa-frames (bench/.venv-frames/bin/python): adds "
                   "bench/frames_growth.py at N = 10^6 as a peer")
    a = p.parse_args()

    peers = [("numpy", "numpy_growth.py", HEADLINE_N, a.python)]
    if a.frames_python:
        peers.append(("mesa-frames", "frames_growth.py", HEADLINE_N, a.frames_python))
    if not a.skip_mesa:
        peers.append(("mesa", "mesa_growth.py", a.mesa_n, a.python))

    with tempfile.TemporaryDirectory() as tmp:
        def command(name, i):
            if name == "counterweight":
                return [a.bin, "run", os.path.join(ROOT, "bench", "headline.toml"),
                        "--out", os.path.join(tmp, f"cw-{i}")]
            _, script, n, python = next(peer for peer in peers if peer[0] == name)
            return [python, os.path.join(ROOT, "bench", script), "--n", str(n),
                    "--steps", str(STEPS), "--every", "10", "--repeat", "1",
                    "--csv", os.path.join(tmp, f"{name}-{i}.csv")]

        # Rounds: every implementation once per round, Mesa (seconds where the others take
        # fractions of one) only in the first.
        runs = {"counterweight": []}
        runs.update({peer[0]: [] for peer in peers})
        for i in range(a.repeat):
            for name in runs:
                if name == "mesa" and i > 0:
                    continue
                runs[name].append(timed(command(name, i)))

        def best(name):
            return min(runs[name], key=lambda r: r[0])

        def walls(name):
            return [round(r[0], 4) for r in runs[name]]

        wall, cpu, rss, out = best("counterweight")
        m = re.search(r"model ([0-9.]+) s, outputs ([0-9.]+) s", out)
        print(json.dumps({
            "impl": "counterweight", "n": HEADLINE_N, "steps": STEPS,
            "seconds": round(wall, 4), "cpu_seconds": round(cpu, 4), "peak_rss_mb": round(rss, 1),
            "actor_steps_per_s": HEADLINE_N * STEPS / wall,
            "model_seconds": float(m.group(1)) if m else None,
            "outputs_seconds": float(m.group(2)) if m else None,
            "runs": walls("counterweight"),
        }), flush=True)
        for name, _, n, _ in peers:
            wall, cpu, rss, out = best(name)
            inner = json.loads(out.strip().splitlines()[-1])
            print(json.dumps({
                "impl": name, "n": n, "steps": STEPS,
                "seconds": round(wall, 4), "cpu_seconds": round(cpu, 4),
                "peak_rss_mb": round(rss, 1), "actor_steps_per_s": n * STEPS / wall,
                # the model alone, timed inside the process (no start-up, imports or CSV)
                "model_seconds": inner["seconds"],
                "version": (inner.get("mesa_frames_version") or inner.get("numpy_version")
                            or inner.get("mesa_version")),
                "runs": walls(name),
            }), flush=True)


if __name__ == "__main__":
    main()
