#!/usr/bin/env python3
"""The yard-sale rule of counterweight's exchange model (reference/validation.md §2.1), written
as vectorised NumPy, the way a careful Python user would: per step a random perfect matching
(rng.permutation), stake sqrt(gamma dt) min(w_i, w_j), win probability
1/2 [1 + zeta sqrt(dt/gamma) (N/W)(w_i - w_j)], exact redistribution toward the mean.
Prints actor-steps per second.

    bench/.venv/bin/python bench/numpy_yardsale.py --agents 10000 100000 1000000 --steps 100
"""
import argparse
import time

import numpy as np


def run(n, steps, gamma=0.1, zeta=0.2, chi=0.05, seed=1):
    rng = np.random.default_rng(seed)
    dt = gamma / (zeta * n) ** 2  # never clips
    w = np.ones(n)
    f = np.sqrt(gamma * dt)
    e = np.exp(-chi * dt)
    half = n // 2
    t0 = time.perf_counter()
    for _ in range(steps):
        perm = rng.permutation(n)
        i, j = perm[:half], perm[half:2 * half]
        wi, wj = w[i], w[j]
        total = w.sum()
        p = 0.5 * (1.0 + zeta * np.sqrt(dt / gamma) * (n / total) * (wi - wj))
        stake = f * np.minimum(wi, wj)
        d = np.where(rng.random(half) < p, stake, -stake)
        w[i] = wi + d
        w[j] = wj - d
        m = w.sum() / n
        w = m + (w - m) * e
        _ = w.max()  # the observation counterweight's step also computes
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--agents", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    for n in a.agents:
        best = min(run(n, a.steps) for _ in range(a.repeat))
        print(f"numpy yard_sale agents={n} steps={a.steps} step_s={best:.3f} "
              f"agent_steps_per_s={n * a.steps / best:.4g}", flush=True)


if __name__ == "__main__":
    main()
