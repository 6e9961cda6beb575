"""What the Python peers of the headline benchmark share (numpy_growth.py, frames_growth.py,
mesa_growth.py): the command line, the best-of-`--repeat` timing and the JSON record they
print, and the metrics CSV that bench/whole.py asks for. Imported from the script's own
folder, so it works in any of the benchmark's virtual environments."""

import argparse
import csv
import math
import sys
import time


def arguments(doc, default_n, csv_help, argv=None):
    """The peers' options: --n --steps --every --repeat --seed --J --sigma --dt --csv."""
    p = argparse.ArgumentParser(description=doc.split("\n")[0])
    p.add_argument("--n", type=int, default=default_n)
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--every", type=int, default=10, help="metrics every k steps (0: never)")
    p.add_argument("--repeat", type=int, default=3, help="report the best of this many runs")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--J", type=float, default=1.0)
    p.add_argument("--sigma", type=float, default=1.0)
    p.add_argument("--dt", type=float, default=0.01)
    p.add_argument("--csv", help=csv_help)
    return p.parse_args(argv)


def best_of(repeat, run):
    """Call `run()` `repeat` times (at least once); return (best wall seconds, lowest CPU
    seconds of the process, the last call's result)."""
    best = best_cpu = math.inf
    last = None
    for _ in range(max(1, repeat)):
        c0 = time.process_time()
        t0 = time.perf_counter()
        last = run()
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return best, best_cpu, last


def record(impl, a, best, best_cpu, **extra):
    """The JSON record a peer prints: its speed in actor-steps per second, then `extra`."""
    return {
        "impl": impl,
        "n": a.n,
        "steps": a.steps,
        "seconds": round(best, 6),
        "actor_steps_per_s": a.n * a.steps / best,
        # CPU time of the process (lowest over the runs): close to the wall clock on a quiet
        # machine; a wall clock much above it means other processes were competing for the
        # cores
        "cpu_seconds": round(best_cpu, 6),
        "every": a.every,
        "repeat": a.repeat,
        **extra,
        "python_version": sys.version.split()[0],
    }


def write_metrics_csv(path, rows):
    """`rows` = [(step, {metric: value})]: a `step` column, then one column per metric."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["step", *rows[0][1].keys()])
        for step, m in rows:
            w.writerow([step, *(repr(v) for v in m.values())])


def final_metrics(m):
    """The last metrics, to 6 significant digits, for the printed record."""
    return {k: float(f"{v:.6g}") for k, v in m.items()}
