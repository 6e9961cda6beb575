#!/usr/bin/env python3
"""Check that the two Python peers implement the same model.

1. Metrics: the NumPy and the plain-Python (Mesa) metric functions give the same values on
   the same vector (to rounding).
2. Dynamics: both peers, at N = 10^4, J = 1, sigma = 1, dt = 0.01, 500 steps (t = 5, past
   the relaxation time ~4/J), give mean(1/w), w = R / mean(R), within +-0.05 of the
   Bouchaud-Mezard target mu / (mu - 1) = 1.5, mu = 1 + 2J/sigma^2 = 3
   (reference/validation.md section 1.2; SE of one snapshot at N = 10^4 is about 0.009,
   the dt = 0.01 bias about -0.007). mean(ln w) is printed too, against
   ln(mu - 1) - digamma(mu) = -0.229637, for information.

Exit status 0 if every check passes, 1 otherwise.
"""

import argparse
import math
import sys
import time

import numpy as np

import mesa_growth
import numpy_growth

TARGET_INV = 1.5  # mu / (mu - 1), mu = 3
TARGET_LN = math.log(2.0) - (1.5 - 0.5772156649015329)  # ln(mu-1) - psi(3) = -0.229637
TOL = 0.05


class _Holder:
    """Stands in for a Mesa model: the reporters only iterate over model.agents."""

    class _A:
        def __init__(self, w):
            self.wealth = w

    def __init__(self, x):
        self.agents = [self._A(float(v)) for v in x]


def check_metrics(seed=7):
    rng = np.random.default_rng(seed)
    ok = True
    for n in (1, 2, 10, 11, 1000):
        x = rng.lognormal(0.0, 1.5, size=n)
        a = numpy_growth.metrics(x, np.arange(1, n + 1, dtype=np.float64))
        holder = _Holder(x)
        b = {k: f(holder) for k, f in mesa_growth.REPORTERS.items()}
        for k in a:
            if not math.isclose(a[k], b[k], rel_tol=1e-9, abs_tol=1e-12):
                print(f"  metric {k} differs at n={n}: numpy {a[k]!r} mesa {b[k]!r}")
                ok = False
    # hand-checked vector: x = (1, 2, 3, 4): Gini = 0.25, HHI = 0.3, top1 = 0.4,
    # top-10% (ceil(0.4) = 1 actor) = 0.4
    x = np.array([4.0, 1.0, 3.0, 2.0])
    a = numpy_growth.metrics(x, np.arange(1, 5, dtype=np.float64))
    for k, v in {"gini": 0.25, "hhi": 0.3, "top1": 0.4, "top10pct": 0.4}.items():
        if not math.isclose(a[k], v, rel_tol=1e-12):
            print(f"  metric {k} on (1,2,3,4): {a[k]!r}, expected {v}")
            ok = False
    print(f"metrics: numpy and mesa definitions agree: {'ok' if ok else 'FAIL'}")
    return ok


def stats(r):
    r = np.asarray(r, dtype=np.float64)
    w = r / r.mean()
    return float(np.mean(1.0 / w)), float(np.mean(np.log(w)))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=10_000)
    p.add_argument("--steps", type=int, default=500)
    p.add_argument("--seed", type=int, default=42)
    a = p.parse_args(argv)
    ok = check_metrics()

    figs = {}
    for name, mod in (("numpy", numpy_growth), ("mesa", mesa_growth)):
        t0 = time.perf_counter()
        r, _ = mod.simulate(a.n, a.steps, every=0, J=1.0, sigma=1.0, dt=0.01, seed=a.seed)
        t = time.perf_counter() - t0
        inv, ln = stats(r)
        figs[name] = inv
        good = abs(inv - TARGET_INV) <= TOL
        ok &= good
        print(
            f"{name:5s}: N={a.n} steps={a.steps} mean(1/w)={inv:.4f} "
            f"(target {TARGET_INV} +-{TOL}: {'ok' if good else 'FAIL'})  "
            f"mean(ln w)={ln:.4f} (target {TARGET_LN:.4f})  [{t:.1f} s]"
        )
    diff = abs(figs["numpy"] - figs["mesa"])
    good = diff <= TOL
    ok &= good
    print(f"peers: |numpy - mesa| mean(1/w) = {diff:.4f} (<= {TOL}: {'ok' if good else 'FAIL'})")
    print("check_peers: PASS" if ok else "check_peers: FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
