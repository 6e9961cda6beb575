#!/usr/bin/env python3
"""Build eth-staking-operators-2023-04-19.csv (operator, provider, validators) from the
entity snapshot eth-staking-entities-2023-04-19.csv, under the operator assumption that
docs/staking.md states:

* validators = ETH deposited / 32, rounded to the nearest whole validator (halves up);
* Lido: 29 curated node operators at the end of Q1 2023 (Lido research forum,
  research.lido.fi/t/inquiry-next-onboarding-round-for-lido-eth/4605/2), validators split
  as evenly as integers allow (ASSUMPTION: the router's min-first rule tends to this; the
  real spread was wider because newer operators had joined weeks before);
* RocketPool (Minipool): 1,659 node operators (IQ.wiki "Rocket Pool", figure for October
  2022, the nearest dated figure found), split evenly (ASSUMPTION: the real set had large
  and small nodes);
* Other (unidentified depositors: solo stakers and unlabelled operators): 1,000 anonymous
  operators split evenly (ASSUMPTION; any split into holders smaller than a Lido operator
  gives the same Nakamoto coefficients);
* every other entity is its own single operator (ASSUMPTION: exchanges and staking
  services run their own keys).

Run from the repository root: python3 scenarios/data/make_operators_2023.py
"""
import csv
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "eth-staking-entities-2023-04-19.csv")
OUT = os.path.join(HERE, "eth-staking-operators-2023-04-19.csv")

SPLIT = {
    "Lido": (29, "Lido operator"),
    "RocketPool (Minipool)": (1659, "Rocket Pool node"),
    "Other": (1000, "Other"),
}


def validators(eth):
    return int(float(eth) / 32 + 0.5)


def main():
    rows = []
    with open(SRC, newline="") as f:
        for r in csv.DictReader(f):
            v = validators(r["eth_deposited"])
            name = r["entity"]
            if name in SPLIT:
                count, prefix = SPLIT[name]
                width = len(str(count))
                q, rem = divmod(v, count)
                for i in range(count):
                    rows.append((f"{prefix} {i + 1:0{width}d}", name, q + (1 if i < rem else 0)))
            else:
                rows.append((name, name, v))
    with open(OUT, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["operator", "provider", "validators"])
        w.writerows(rows)


if __name__ == "__main__":
    main()
