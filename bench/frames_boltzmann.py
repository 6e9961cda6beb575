#!/usr/bin/env python3
"""mesa-frames' Boltzmann wealth model (its own introductory tutorial: Polars agent set),
timed at the sizes mesa-frames publishes. Prints agent-steps per second.

Note: mesa-frames' version activates all agents at once (every agent with wealth > 0 gives one
unit to a recipient sampled with replacement from all agents, simultaneously), not Mesa's
sequential `shuffle_do`; it is the model mesa-frames benchmarks against Mesa, so it is the fair
speed peer, but its Gini statistics differ slightly from the sequential model.

Runs in bench/.venv-frames (mesa-frames pins its own numpy):
    python3 -m venv bench/.venv-frames && bench/.venv-frames/bin/pip install mesa-frames
    bench/.venv-frames/bin/python bench/frames_boltzmann.py --agents 10000 100000 300000 --steps 100
"""
import argparse
import time

import polars as pl

try:  # mesa-frames 0.1.x
    from mesa_frames import AgentSetPolars as AgentSet, ModelDF as Model
    NEW_API = False
except ImportError:  # later releases
    from mesa_frames import AgentSet, Model
    NEW_API = True


class MoneyAgents(AgentSet):
    def __init__(self, n, model):
        super().__init__(model)
        if NEW_API:
            self += pl.DataFrame({"wealth": pl.ones(n, eager=True)})
        else:
            self += pl.DataFrame({"unique_id": pl.arange(n, eager=True),
                                  "wealth": pl.ones(n, eager=True)})

    def step(self):
        self.do("give_money")

    def give_money(self):
        self.select(self.wealth > 0)
        pool = self.df if NEW_API else self.agents
        other_agents = pool.sample(n=len(self.active_agents), with_replacement=True)
        self["active", "wealth"] -= 1
        new_wealth = other_agents.group_by("unique_id").len()
        if NEW_API:
            self[new_wealth, "wealth"] += new_wealth["len"]
        else:
            self[new_wealth["unique_id"], "wealth"] += new_wealth["len"]


class MoneyModel(Model):
    def __init__(self, n):
        super().__init__()
        if NEW_API:
            self.sets += MoneyAgents(n, self)
        else:
            self.agents += MoneyAgents(n, self)

    def step(self):
        (self.sets if NEW_API else self.agents).do("step")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--agents", type=int, nargs="+", default=[10_000, 100_000, 300_000])
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=1)
    a = ap.parse_args()
    for n in a.agents:
        best = float("inf")
        for _ in range(a.repeat):
            m = MoneyModel(n)
            t0 = time.perf_counter()
            for _ in range(a.steps):
                m.step()
            best = min(best, time.perf_counter() - t0)
        w = (m.sets if NEW_API else m.agents)
        print(f"mesa-frames boltzmann agents={n} steps={a.steps} step_s={best:.3f} "
              f"agent_steps_per_s={n * a.steps / best:.4g}", flush=True)


if __name__ == "__main__":
    main()
