#!/usr/bin/env python3
"""Statistical check of counterweight's `rule = "boltzmann"` against Mesa itself.

1. Mesa's own Boltzmann wealth model (bench/mesa_boltzmann.py, the tutorial code) over many
   seeds: the population Gini after T steps (bench/data/gini_mesa_n100_t50.csv, or --mesa).
2. `counterweight run bench/boltzmann.toml` (the same model, 2000 replicates); the Gini of the
   last recorded step of every replicate, read from metrics.csv.
3. Compare the two samples: mean, SD, quantiles, two-sample Kolmogorov–Smirnov and
   Mann–Whitney U tests. The samples are independent runs of the same random process when the
   implementations agree, so the p-values are uniform under agreement; the script fails
   (exit 1) when either p-value is below 0.001 or the means differ by more than 4 SE.

    bench/.venv/bin/python bench/mesa_boltzmann.py --agents 100 --steps 50 --seeds 2000 \
        --out bench/data/gini_mesa_n100_t50.csv
    bench/.venv/bin/python bench/check_boltzmann.py
"""
import argparse
import csv
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
from scipy import stats

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read_col(path, col, where=None):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if where:
        rows = [r for r in rows if where(r)]
    return rows, np.array([float(r[col]) for r in rows])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mesa", default=os.path.join(ROOT, "bench/data/gini_mesa_n100_t50.csv"))
    ap.add_argument("--scenario", default=os.path.join(ROOT, "bench/boltzmann.toml"))
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/counterweight"))
    a = ap.parse_args()

    _, mesa = read_col(a.mesa, "gini")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "run")
        subprocess.run([a.bin, "run", a.scenario, "--out", out, "--quiet"], check=True)
        rows, _ = read_col(os.path.join(out, "metrics.csv"), "gini")
        last = max(int(r["step"]) for r in rows)
        _, cw = read_col(os.path.join(out, "metrics.csv"), "gini",
                         where=lambda r: int(r["step"]) == last)

    def describe(name, x):
        q = np.quantile(x, [0.05, 0.5, 0.95])
        print(f"{name:>14}: n={len(x):5d} mean={x.mean():.5f} sd={x.std(ddof=1):.5f} "
              f"q05={q[0]:.4f} median={q[1]:.4f} q95={q[2]:.4f}")

    print(f"Gini after {last} steps, 100 agents, 1 unit each")
    describe("Mesa 3.3.1", mesa)
    describe("counterweight", cw)
    se = math.sqrt(mesa.var(ddof=1) / len(mesa) + cw.var(ddof=1) / len(cw))
    z = (cw.mean() - mesa.mean()) / se
    ks = stats.ks_2samp(mesa, cw)
    mw = stats.mannwhitneyu(mesa, cw, alternative="two-sided")
    lev = stats.levene(mesa, cw)
    print(f"difference of means: {cw.mean() - mesa.mean():+.5f} (SE {se:.5f}, z = {z:+.2f})")
    print(f"two-sample KS: D = {ks.statistic:.4f}, p = {ks.pvalue:.3f}")
    print(f"Mann-Whitney U: p = {mw.pvalue:.3f}")
    print(f"Levene (equal spread): p = {lev.pvalue:.3f}")
    ok = abs(z) < 4 and ks.pvalue > 1e-3 and mw.pvalue > 1e-3
    print("AGREE" if ok else "DISAGREE")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
