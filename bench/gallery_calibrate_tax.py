#!/usr/bin/env python3
"""Calibrate the wealth tax of the `gallery-tax` scenario to the revenue of its
proprietary tax, by bisection on the wealth-tax rate.

Revenue = the sum of `tax_collected` over every recorded step (the scenario records every
step: output.every = 1), averaged over replicates. The wealth tax's revenue is not
monotone in general (a higher rate lowers the excess above the mean it taxes, and the
total), but it is increasing on the bracket used here; the script checks the bracket.

    cargo build --release
    python3 bench/gallery_calibrate_tax.py            # prints the rate to put in tax.toml

Only the standard library is needed.
"""

import csv
import collections
import pathlib
import re
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIN = ROOT / "target" / "release" / "counterweight"
SCENARIO = ROOT / "scenarios" / "gallery" / "tax.toml"
PROPRIETARY = "proprietary tax 0.1, open rebate"
WEALTH = "wealth tax of equal revenue"


def revenues(rate: float) -> dict:
    """Mean (over replicates) revenue per variant with the wealth tax at `rate`."""
    text = SCENARIO.read_text()
    text, n = re.subn(
        r'kind = "wealth_tax", rate = [0-9.eE+-]+', f'kind = "wealth_tax", rate = {rate!r}', text
    )
    assert n == 1, "the wealth tax variant was not found"
    with tempfile.TemporaryDirectory() as tmp:
        scen = pathlib.Path(tmp) / "tax.toml"
        scen.write_text(text)
        out = pathlib.Path(tmp) / "run"
        subprocess.run([str(BIN), "run", str(scen), "--out", str(out), "-q"], check=True,
                       stdout=subprocess.DEVNULL)
        total = collections.defaultdict(float)
        reps = collections.defaultdict(set)
        with open(out / "metrics.csv") as f:
            for row in csv.DictReader(f):
                reps[row["variant"]].add(row["replicate"])
                if row.get("tax_collected"):
                    total[row["variant"]] += float(row["tax_collected"])
    return {v: total[v] / len(reps[v]) for v in reps}


def main() -> int:
    target = revenues(0.3)[PROPRIETARY]
    lo, hi = 0.0, 2.0
    assert revenues(lo)[WEALTH] < target < revenues(hi)[WEALTH], "bracket does not hold"
    for _ in range(20):
        mid = (lo + hi) / 2
        if revenues(mid)[WEALTH] < target:
            lo = mid
        else:
            hi = mid
    rate = (lo + hi) / 2
    got = revenues(round(rate, 4))[WEALTH]
    print(f"target revenue (proprietary tax): {target:.6g}")
    print(f"wealth tax rate: {rate:.4f}  (revenue at rate {round(rate, 4)}: {got:.6g}, "
          f"relative error {abs(got - target) / target:.1e})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
