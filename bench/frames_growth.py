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

import json
import math

import growth_peer

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
    a = growth_peer.arguments(
        __doc__, 1_000_000, "also write the metrics of the last run to this CSV file", argv)

    import mesa_frames

    best, best_cpu, last = growth_peer.best_of(
        a.repeat, lambda: simulate(a.n, a.steps, a.every, a.J, a.sigma, a.dt, a.seed))
    rec = growth_peer.record(
        "mesa-frames", a, best, best_cpu,
        mesa_frames_version=getattr(mesa_frames, "__version__", "?"),
        polars_version=pl.__version__,
        numpy_version=np.__version__,
    )
    if a.csv and last:
        growth_peer.write_metrics_csv(a.csv, last)
    if last:
        rec["final_metrics"] = growth_peer.final_metrics(last[-1][1])
    print(json.dumps(rec))


if __name__ == "__main__":
    main()
