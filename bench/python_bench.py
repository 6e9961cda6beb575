"""Benchmarks of the Python package (issue 9), one JSON line each:

1. overhead: the headline growth benchmark (Bouchaud-Mezard form, N = 10^6, 100 steps,
   metrics every 10 steps; bench/README.md) run by `cw.run(...)` and by the CLI. The
   Python call's overhead is its wall time minus the engine's own time (the "finished in"
   of `counterweight run`, which times only the run), as a share of the CLI's time.
2. actors: `Run.actors` (Rust table -> pyarrow, numeric columns not copied) and
   `.to_pandas()` on a 10^7-row actors table (N = 10^6 actors, 10 recorded steps): time
   and resident memory.
3. dask: sweep throughput (runs per second) on a LocalCluster of 2 single-threaded worker
   processes vs the local sweep on 2 threads, same sweep (byte-identical results).

Run from the repository root with the package installed (e.g. .venv-test/bin/python):
    python bench/python_bench.py [--only overhead|actors|dask] [--repeat 3]
Each part takes well under a minute on 2 cores.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import counterweight as cw

ROOT = Path(__file__).resolve().parents[1]
CLI = Path(os.environ.get("COUNTERWEIGHT_BIN", ROOT / "target" / "release" / "counterweight"))

HEADLINE = """name = "bench"
model = "growth"
seed = 42
time = {{ end = {end}, dt = 0.01 }}

[growth]
exchange = 1.0
volatility = 1.0

[[actors]]
group = "all"
count = {n}
initial = {{ constant = 1.0 }}

[output]
every = {every}
"""


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def emit(**kw) -> None:
    kw["load_average"] = load()
    print(json.dumps(kw), flush=True)


def overhead(repeat: int) -> None:
    n, steps, every = 1_000_000, 100, 10
    text = HEADLINE.format(end=steps * 0.01, n=n, every=every)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "bench.toml"
        path.write_text(text)
        py, cli_wall, cli_engine = [], [], []
        for i in range(repeat):
            gc.collect()
            t0 = time.perf_counter()
            r = cw.run(path, progress=False)
            m = r.metrics
            py.append(time.perf_counter() - t0)
            assert m.num_rows == steps // every + 1
            out = Path(d) / f"cli-{i}"
            t0 = time.perf_counter()
            p = subprocess.run([str(CLI), "run", str(path), "--out", str(out)], capture_output=True, text=True, check=True)
            cli_wall.append(time.perf_counter() - t0)
            cli_engine.append(float(re.search(r"finished in ([0-9.]+) s", p.stdout).group(1)))
            del r, m
        # The pieces of the Python call that are not the engine: loading the scenario
        # (into the library's Experiment) and converting the metrics table to pyarrow.
        load_s, convert_s = [], []
        for _ in range(repeat):
            t0 = time.perf_counter()
            exp = cw._core.load(path, [])
            load_s.append(time.perf_counter() - t0)
            out = cw._core.run(exp, None)
            t0 = time.perf_counter()
            out.metrics()
            convert_s.append(time.perf_counter() - t0)
    best_py, best_wall, best_engine = min(py), min(cli_wall), min(cli_engine)
    emit(bench="overhead", n=n, steps=steps, every=every, repeat=repeat,
         python_run_s=round(best_py, 4), cli_process_s=round(best_wall, 4), engine_s=round(best_engine, 4),
         python_overhead_s=round(best_py - best_engine, 4),
         overhead_share_of_cli=round((best_py - best_engine) / best_wall, 4),
         python_over_engine=round(best_py / best_engine, 4),
         load_s=round(min(load_s), 5), metrics_to_arrow_s=round(min(convert_s), 5),
         fixed_share_of_cli=round((min(load_s) + min(convert_s)) / best_wall, 5),
         all_python_s=[round(x, 4) for x in py], all_cli_s=[round(x, 4) for x in cli_wall],
         all_engine_s=[round(x, 4) for x in cli_engine])


def actors(repeat: int) -> None:
    n, steps = 1_000_000, 9
    text = HEADLINE.format(end=steps * 0.01, n=n, every=1)
    base = rss_mb()
    t0 = time.perf_counter()
    r = cw.run(text, actors=True, progress=False)
    t_run = time.perf_counter() - t0
    after_run = rss_mb()
    t0 = time.perf_counter()
    a = r.actors
    t_arrow = time.perf_counter() - t0
    after_arrow = rss_mb()
    rows = a.num_rows
    t0 = time.perf_counter()
    df = a.to_pandas()
    t_pandas = time.perf_counter() - t0
    after_pandas = rss_mb()
    emit(bench="actors", rows=rows, n=n, recorded_steps=steps + 1,
         run_s=round(t_run, 3), to_arrow_s=round(t_arrow, 3), to_pandas_s=round(t_pandas, 3),
         rss_mb_start=round(base), rss_mb_after_run=round(after_run), rss_mb_after_arrow=round(after_arrow),
         rss_mb_after_pandas=round(after_pandas), arrow_table_mb=round(a.nbytes / 2**20),
         pandas_mb=round(df.memory_usage(deep=False).sum() / 2**20),
         peak_rss_mb=round(__import__("resource").getrusage(__import__("resource").RUSAGE_SELF).ru_maxrss / 1024))


def dask(repeat: int) -> None:
    import logging

    from distributed import Client, LocalCluster

    from counterweight import dask as cwdask

    scenario = """name = "sweep-bench"
seed = 5
time = { end = 20.0, dt = 0.1 }
[growth]
returns_to_scale = 1.05
base_rate = 0.1
spillover = 0.2
volatility = 0.3
[[actors]]
group = "a"
count = 1000
initial = { lognormal = { mu = 0.0, sigma = 0.5 } }
openness = 0.5
[output]
every = 50
"""
    vary = {"growth.spillover": "0:1.9:0.1"}  # 20 points
    reps = 20                                # 400 runs of N = 1,000 x 200 steps
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        client.run(lambda: __import__("counterweight"))  # warm the workers' imports
        local_s, dask_s = [], []
        for i in range(repeat):
            with tempfile.TemporaryDirectory() as d:
                t0 = time.perf_counter()
                a = cw.sweep(scenario, vary, replicates=reps, threads=2, out=Path(d) / "local",
                             progress=False, pictures=False)
                local_s.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                b = cwdask.sweep(scenario, vary, replicates=reps, client=client, out=Path(d) / "dask",
                                 progress=False, pictures=False)
                dask_s.append(time.perf_counter() - t0)
                same = (Path(d) / "local" / "results.csv").read_bytes() == (Path(d) / "dask" / "results.csv").read_bytes()
                assert same and a.runs == b.runs
    runs = a.runs
    emit(bench="dask", runs=runs, n=1000, steps=200, workers=2, repeat=repeat,
         local_s=round(min(local_s), 3), dask_s=round(min(dask_s), 3),
         local_runs_per_s=round(runs / min(local_s), 1), dask_runs_per_s=round(runs / min(dask_s), 1),
         dask_over_local=round(min(local_s) / min(dask_s), 3), identical_results_csv=True,
         all_local_s=[round(x, 3) for x in local_s], all_dask_s=[round(x, 3) for x in dask_s])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=["overhead", "actors", "dask"])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    emit(bench="machine", cpus=os.cpu_count(), python=sys.version.split()[0], counterweight=cw.__version__)
    for name, f in [("overhead", overhead), ("actors", actors), ("dask", dask)]:
        if args.only in (None, name):
            f(args.repeat)


if __name__ == "__main__":
    main()
