#!/usr/bin/env python3
"""The adoption model (generalised Polya urn with interoperability) in vectorised NumPy:
the NumPy peer of `cargo bench --workspace --bench adoption`.

K platforms with counts n_k (start: 1 each); each adopter chooses platform k with
probability proportional to ((1 - theta) n_k + theta N)^gamma, N = sum n, i.e.
(n_k + theta * sum_{j != k} n_j)^gamma. Exact sequential sampling.

An urn is sequential within a run (each choice depends on the previous ones), so the
competent NumPy version vectorises across R independent replicates: one array (R, K) of
counts, one vectorised choice for all R urns per arrival (weights, cumulative sums, one
uniform per urn, a comparison), uniforms drawn in blocks, buffers reused.

Prints one JSON line: adoptions per second = R * adopters / best wall-clock seconds of
`--repeat` runs (imports excluded).
"""

import argparse
import json
import sys
import time

import numpy as np


def simulate(replicates, adopters, platforms=2, gamma=1.0, theta=0.0, seed=42, block=256):
    rng = np.random.default_rng(seed)
    R, K = replicates, platforms
    n = np.ones((R, K))
    total = float(K)
    rows = np.arange(R)
    a = np.empty((R, K))
    c = np.empty((R, K))
    done = 0
    while done < adopters:
        b = min(block, adopters - done)
        us = rng.random((b, R))
        for i in range(b):
            # attractiveness ((1 - theta) n_k + theta N)^gamma
            np.multiply(n, 1.0 - theta, out=a)
            a += theta * total
            if gamma != 1.0:
                np.power(a, gamma, out=a)
            np.cumsum(a, axis=1, out=c)
            u = us[i] * c[:, -1]
            k = (c < u[:, None]).sum(axis=1)
            n[rows, k] += 1.0
            total += 1.0
        done += b
    return n


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--replicates", type=int, default=1000)
    p.add_argument("--adopters", type=int, default=10_000, help="arrivals per replicate")
    p.add_argument("--platforms", type=int, default=2)
    p.add_argument("--gamma", type=float, default=1.0)
    p.add_argument("--theta", type=float, default=0.0)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--seed", type=int, default=42)
    args = p.parse_args(argv)
    best = float("inf")
    for r in range(args.repeat):
        t = time.perf_counter()
        n = simulate(args.replicates, args.adopters, args.platforms, args.gamma, args.theta,
                     args.seed + r)
        best = min(best, time.perf_counter() - t)
    assert np.all(n.sum(axis=1) == args.adopters + args.platforms)
    total = args.replicates * args.adopters
    print(json.dumps({
        "impl": "numpy", "numpy": np.__version__, "replicates": args.replicates,
        "adopters": args.adopters, "platforms": args.platforms, "gamma": args.gamma,
        "theta": args.theta, "seconds": best, "adoptions": total,
        "adoptions_per_s": total / best,
        "mean_leader_share": float((n.max(axis=1) / n.sum(axis=1)).mean()),
    }))


if __name__ == "__main__":
    sys.exit(main())
