#!/usr/bin/env python3
"""The growth model (Bouchaud-Mezard form) in vectorised NumPy: the NumPy peer of the
headline benchmark (DESIGN.md section 8).

Per step of length dt, in this order (DESIGN.md section 4.1, terms 4 and 5):
  1. exchange, exact relaxation toward the mean (conserves the total):
       m = mean(R);  R_i = m + (R_i - m) * exp(-J dt)
  2. multiplicative mean-preserving Ito shocks:
       R_i *= exp(sigma sqrt(dt) Z_i - sigma^2 dt / 2),  Z_i ~ N(0, 1) iid
Metrics on the shares s_i = R_i / sum(R) at step 0 and after every `every`-th step:
HHI, Gini (population, sorted formula), top-1 share, top-10% share (largest ceil(0.1 n)),
Theil T.

Written the way a competent NumPy user writes it: one array, vectorised, in-place, one
reusable buffer for the normals, np.sort for the Gini.

Prints one JSON line: the best wall-clock time of `--repeat` runs, metrics included,
interpreter start-up and imports excluded.
"""

import json
import math

import growth_peer

import numpy as np


def metrics(r, ranks):
    """Concentration metrics of the shares of `r`. `ranks` is 1..n as float64."""
    n = r.size
    total = r.sum()
    s = r / total
    hhi = float(np.dot(s, s))
    xs = np.sort(r)  # ascending
    gini = float(2.0 * np.dot(ranks, xs) / (n * total) - (n + 1) / n)
    top1 = float(xs[-1] / total)
    k = math.ceil(0.1 * n)
    top10 = float(xs[n - k:].sum() / total)
    y = s * n  # x / mean(x)
    theil = float(np.mean(y * np.log(y)))
    return {"hhi": hhi, "gini": gini, "top1": top1, "top10pct": top10, "theil": theil}


def simulate(n, steps, every=10, J=1.0, sigma=1.0, dt=0.01, seed=42):
    """Run the model; return (final resources, list of (step, metrics))."""
    rng = np.random.default_rng(seed)
    r = np.ones(n)
    z = np.empty(n)
    ranks = np.arange(1, n + 1, dtype=np.float64)
    decay = math.exp(-J * dt)
    vol = sigma * math.sqrt(dt)
    drift = -0.5 * sigma * sigma * dt
    out = []
    if every:
        out.append((0, metrics(r, ranks)))
    for step in range(1, steps + 1):
        # 1. exchange: exact relaxation toward the mean, conserves the total
        m = r.mean()
        r -= m
        r *= decay
        r += m
        # 2. mean-preserving multiplicative shocks
        rng.standard_normal(out=z)
        z *= vol
        z += drift
        np.exp(z, out=z)
        r *= z
        if every and step % every == 0:
            out.append((step, metrics(r, ranks)))
    return r, out


def main(argv=None):
    a = growth_peer.arguments(
        __doc__, 1_000_000,
        "also write the metrics of the last run to this CSV file "
        "(bench/whole.py uses it so that every peer writes its results)", argv)
    best, best_cpu, (_, last) = growth_peer.best_of(
        a.repeat, lambda: simulate(a.n, a.steps, a.every, a.J, a.sigma, a.dt, a.seed))
    rec = growth_peer.record("numpy", a, best, best_cpu, numpy_version=np.__version__)
    if a.csv and last:
        growth_peer.write_metrics_csv(a.csv, last)
    if last:
        rec["final_metrics"] = growth_peer.final_metrics(last[-1][1])
    print(json.dumps(rec))


if __name__ == "__main__":
    main()
