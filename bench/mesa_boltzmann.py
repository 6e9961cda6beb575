#!/usr/bin/env python3
"""Mesa's own Boltzmann wealth model (the introductory tutorial, Mesa 3 API), run over many
seeds; writes the population Gini after T steps, one line per seed.

The model is the tutorial's code: every agent starts with 1 unit; each step
`self.agents.shuffle_do("exchange")` activates every agent once in a fresh random order, and an
agent with wealth > 0 gives one unit to `self.random.choice(self.model.agents)` (any agent,
itself included). counterweight's `[exchange] rule = "boltzmann"` follows this exactly.

Usage: bench/.venv/bin/python bench/mesa_boltzmann.py --agents 100 --steps 100 --seeds 1000 \
           --out gini_mesa.csv
       bench/.venv/bin/python bench/mesa_boltzmann.py --bench --agents 10000 --steps 10
"""
import argparse
import csv
import sys
import time

import mesa


class MoneyAgent(mesa.Agent):
    """An agent with fixed initial wealth."""

    def __init__(self, model):
        super().__init__(model)
        self.wealth = 1

    def exchange(self):
        if self.wealth > 0:
            other_agent = self.random.choice(self.model.agents)
            if other_agent is not None:
                other_agent.wealth += 1
                self.wealth -= 1


class MoneyModel(mesa.Model):
    """A model with some number of agents."""

    def __init__(self, n, seed=None):
        super().__init__(seed=seed)
        self.num_agents = n
        MoneyAgent.create_agents(model=self, n=n)

    def step(self):
        self.agents.shuffle_do("exchange")


def gini(values):
    """Population Gini, sorted formula: 2 sum_i i x_(i) / (n X) - (n + 1)/n."""
    x = sorted(values)
    n = len(x)
    total = sum(x)
    return 2.0 * sum((i + 1) * v for i, v in enumerate(x)) / (n * total) - (n + 1) / n


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--agents", type=int, default=100)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--seeds", type=int, default=1000)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--out", default="-")
    ap.add_argument("--bench", action="store_true",
                    help="time one run and print agent-steps per second instead")
    a = ap.parse_args()
    if a.bench:
        t0 = time.perf_counter()
        m = MoneyModel(a.agents, seed=a.first_seed)
        t1 = time.perf_counter()
        for _ in range(a.steps):
            m.step()
        t2 = time.perf_counter()
        print(f"mesa boltzmann agents={a.agents} steps={a.steps} setup_s={t1 - t0:.3f} "
              f"step_s={t2 - t1:.3f} agent_steps_per_s={a.agents * a.steps / (t2 - t1):.4g}")
        return
    out = sys.stdout if a.out == "-" else open(a.out, "w", newline="")
    w = csv.writer(out)
    w.writerow(["seed", "gini"])
    t0 = time.perf_counter()
    for s in range(a.first_seed, a.first_seed + a.seeds):
        m = MoneyModel(a.agents, seed=s)
        for _ in range(a.steps):
            m.step()
        w.writerow([s, repr(gini([ag.wealth for ag in m.agents]))])
    dt = time.perf_counter() - t0
    print(f"mesa: {a.seeds} seeds x {a.agents} agents x {a.steps} steps in {dt:.1f} s "
          f"({a.seeds * a.agents * a.steps / dt:.4g} agent-steps/s)", file=sys.stderr)
    if out is not sys.stdout:
        out.close()


if __name__ == "__main__":
    main()
