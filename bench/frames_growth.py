#!/usr/bin/env python3
"""The growth model (Bouchaud-Mezard form) in mesa-frames: the mesa-frames peer of the
headline benchmark (DESIGN.md section 8; the same model as bench/numpy_growth.py and
bench/mesa_growth.py).

One agent set, a Polars frame with a `wealth` column. Per step of length dt (DESIGN.md
section 4.1, terms 4 and 5):
  1. exchange, exact relaxation toward the mean (conserves the total):
       m = mean(R);  R_i = m + (R_i - m) * exp(-J dt)
  2. multiplicative mean-preserving Ito shocks:
       R_i *= exp(sigma sqrt(dt) Z_i - sigma^2 dt / 2),  Z_i ~ N(0, 1) iid, from the
       model's own NumPy generator (`model.random`, seeded)
both as one Polars expression over the column, set back with the agent set's `[]`
operator. Metrics (HHI, Gini by the sorted formula, top-1 share, top-10% share, Theil T) at
step 0 and after every `every`-th step, in Polars. Written the way mesa-frames' own
tutorial writes a model: vectorised over the agent set, no per-agent Python.

Runs in bench/.venv-frames (mesa-frames 0.1 pins numpy < 2):
    python3 -m venv bench/.venv-frames && bench/.venv-frames/bin/pip install mesa-frames
    bench/.venv-frames/bin/python bench/frames_growth.py --n 1000000 --repeat 3

Prints one JSON line like bench/numpy_growth.py: the best wall-clock time of `--repeat` runs,
metrics included, interpreter start-up and imports excluded.
"""

import argparse
import json
import math
import sys
import time

import numpy as np
import polars as pl

try:  # mesa-frames 0.1.x
    from mesa_frames import AgentSetPolars as AgentSet, ModelDF as Model

    NEW_API = False
except ImportError:  # later releases
    from mesa_frames import AgentSet, Model

    NEW_API = True


class Actors(AgentSet):
    def __init__(self, n, model, decay, vol, drift):
        super().__init__(model)
        cols = {"wealth": pl.ones(n, eager=True, dtype=pl.Float64)}
        if not NEW_API:
            cols = {"unique_id": pl.arange(n, eager=True), **cols}
        self += pl.DataFrame(cols)
        self.n, self.decay, self.vol, self.drift = n, decay, vol, drift

    def frame(self):
        return self.df if NEW_API else self.agents

    def step(self):
        w = pl.col("wealth")
        z = pl.Series("z", self.model.random.standard_normal(self.n))
        new = self.frame().select(
            ((w.mean() + (w - w.mean()) * self.decay) * (z * self.vol + self.drift).exp())
            .alias("wealth")
        )["wealth"]
        self["wealth"] = new

    def metrics(self):
        n = self.n
        w = self.frame()["wealth"]
        total = w.sum()
        xs = w.sort()
        s = w / total
        k = math.ceil(0.1 * n)
        ranks = pl.int_range(1, n + 1, eager=True).cast(pl.Float64)
        y = s * n
        return {
            "hhi": float((s * s).sum()),
            "gini": float(2.0 * (ranks * xs).sum() / (n * total) - (n + 1) / n),
            "top1": float(xs[-1] / total),
            "top10pct": float(xs[n - k:].sum() / total),
            "theil": float((y * y.log()).mean()),
        }


class Growth(Model):
    def __init__(self, n, J, sigma, dt, seed):
        super().__init__(seed=seed)
        self.actors = Actors(
            n, self, math.exp(-J * dt), sigma * math.sqrt(dt), -0.5 * sigma * sigma * dt
        )
        if NEW_API:
            self.sets += self.actors
        else:
            self.agents += self.actors

    def step(self):
        (self.sets if NEW_API else self.agents).do("step")


def simulate(n, steps, every=10, J=1.0, sigma=1.0, dt=0.01, seed=42):
    """Run the model; return the list of (step, metrics)."""
    model = Growth(n, J, sigma, dt, seed)
    out = []
    if every:
        out.append((0, model.actors.metrics()))
    for step in range(1, steps + 1):
        model.step()
        if every and step % every == 0:
            out.append((step, model.actors.metrics()))
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--every", type=int, default=10, help="metrics every k steps (0: never)")
    p.add_argument("--repeat", type=int, default=3, help="report the best of this many runs")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--J", type=float, default=1.0)
    p.add_argument("--sigma", type=float, default=1.0)
    p.add_argument("--dt", type=float, default=0.01)
    p.add_argument("--csv", help="also write the metrics of the last run to this CSV file")
    a = p.parse_args(argv)

    import mesa_frames

    best = math.inf
    best_cpu = math.inf
    last = None
    for _ in range(max(1, a.repeat)):
        c0 = time.process_time()
        t0 = time.perf_counter()
        ms = simulate(a.n, a.steps, a.every, a.J, a.sigma, a.dt, a.seed)
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
        last = ms
    rec = {
        "impl": "mesa-frames",
        "n": a.n,
        "steps": a.steps,
        "seconds": round(best, 6),
        "actor_steps_per_s": a.n * a.steps / best,
        "cpu_seconds": round(best_cpu, 6),
        "every": a.every,
        "repeat": a.repeat,
        "mesa_frames_version": getattr(mesa_frames, "__version__", "?"),
        "polars_version": pl.__version__,
        "numpy_version": np.__version__,
        "python_version": sys.version.split()[0],
    }
    if a.csv and last:
        import csv

        with open(a.csv, "w", newline="") as f:
            wr = csv.writer(f)
            wr.writerow(["step", *last[0][1].keys()])
            for step, m in last:
                wr.writerow([step, *(repr(v) for v in m.values())])
    if last:
        rec["final_metrics"] = {k: float(f"{v:.6g}") for k, v in last[-1][1].items()}
    print(json.dumps(rec))


if __name__ == "__main__":
    main()
