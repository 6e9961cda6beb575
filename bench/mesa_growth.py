#!/usr/bin/env python3
"""The growth model (Bouchaud-Mezard form) in Mesa: the Mesa peer of the headline benchmark
(DESIGN.md section 8).

Same model as numpy_growth.py. Per step of length dt, in this order:
  1. exchange, exact relaxation toward the mean (the mean computed once per step, before
     the exchange): R_i = m + (R_i - m) * exp(-J dt)
  2. multiplicative mean-preserving Ito shocks:
       R_i *= exp(sigma sqrt(dt) Z_i - sigma^2 dt / 2),  Z_i ~ N(0, 1) iid
Metrics on the shares at step 0 and after every `every`-th step, through a DataCollector:
HHI, Gini (population, sorted formula), top-1 share, top-10% share (largest ceil(0.1 n)),
Theil T -- the same definitions as the NumPy peer.

Written the way a typical Mesa (>= 3) user writes it: an Agent subclass with a `wealth`
attribute, a Model holding the agents, `self.agents.do(...)` per step, `self.random.gauss`
for the shocks, plain-Python reporter functions in a DataCollector.

Mesa cannot do 10^6 agents in reasonable time, so it runs at a smaller N (default 10^4);
the comparable figure is actor-steps per second (N * steps / seconds), which is what the
JSON line reports.
"""

import json
import math

import growth_peer

import mesa


# ---------------------------------------------------------------- metrics (plain Python)

def wealths(model):
    return [agent.wealth for agent in model.agents]


def compute_hhi(model):
    x = wealths(model)
    total = sum(x)
    return sum((xi / total) ** 2 for xi in x)


def compute_gini(model):
    x = sorted(wealths(model))  # ascending
    n = len(x)
    total = sum(x)
    return 2 * sum(i * xi for i, xi in enumerate(x, start=1)) / (n * total) - (n + 1) / n


def compute_top1(model):
    x = wealths(model)
    return max(x) / sum(x)


def compute_top10pct(model):
    x = sorted(wealths(model), reverse=True)
    k = math.ceil(0.1 * len(x))
    return sum(x[:k]) / sum(x)


def compute_theil(model):
    x = wealths(model)
    mu = sum(x) / len(x)
    return sum((xi / mu) * math.log(xi / mu) for xi in x) / len(x)


REPORTERS = {
    "hhi": compute_hhi,
    "gini": compute_gini,
    "top1": compute_top1,
    "top10pct": compute_top10pct,
    "theil": compute_theil,
}


# ---------------------------------------------------------------- model

class Actor(mesa.Agent):
    """An actor with resources (`wealth`)."""

    def __init__(self, model):
        super().__init__(model)
        self.wealth = 1.0

    def exchange(self):
        # exact relaxation toward the mean computed by the model at the start of the step
        m = self.model.mean_wealth
        self.wealth = m + (self.wealth - m) * self.model.decay

    def shock(self):
        z = self.random.gauss(0.0, 1.0)
        self.wealth *= math.exp(self.model.vol * z + self.model.drift)


class GrowthModel(mesa.Model):
    def __init__(self, n=10_000, J=1.0, sigma=1.0, dt=0.01, every=10, seed=42):
        super().__init__(seed=seed)
        self.num_agents = n
        self.decay = math.exp(-J * dt)
        self.vol = sigma * math.sqrt(dt)
        self.drift = -0.5 * sigma * sigma * dt
        self.every = every
        self.mean_wealth = 1.0
        Actor.create_agents(model=self, n=n)
        self.datacollector = mesa.DataCollector(model_reporters=REPORTERS) if every else None
        if self.datacollector:
            self.datacollector.collect(self)  # step 0

    def step(self):
        self.mean_wealth = sum(self.agents.get("wealth")) / self.num_agents
        self.agents.do("exchange")
        self.agents.do("shock")
        # Mesa 3 counts steps itself: self.steps is 1 after the first step
        if self.datacollector and self.steps % self.every == 0:
            self.datacollector.collect(self)


def simulate(n, steps, every=10, J=1.0, sigma=1.0, dt=0.01, seed=42):
    """Run the model; return (final wealths, the model)."""
    model = GrowthModel(n=n, J=J, sigma=sigma, dt=dt, every=every, seed=seed)
    for _ in range(steps):
        model.step()
    return wealths(model), model


def main(argv=None):
    a = growth_peer.arguments(
        __doc__, 10_000,
        "also write the DataCollector's model variables of the last run to this CSV file "
        "(as a Mesa user saves results; bench/whole.py uses it)", argv)
    best, best_cpu, (_, model) = growth_peer.best_of(
        a.repeat, lambda: simulate(a.n, a.steps, a.every, a.J, a.sigma, a.dt, a.seed))
    rec = growth_peer.record(
        "mesa", a, best, best_cpu,
        mesa_version=mesa.__version__,
        note="run at smaller N than the NumPy/Rust peers; compare actor_steps_per_s",
    )
    if model is not None and model.datacollector:
        df = model.datacollector.get_model_vars_dataframe()
        rec["metric_rows"] = len(df)
        if a.csv:
            df.to_csv(a.csv)
        rec["final_metrics"] = growth_peer.final_metrics(df.iloc[-1])
    print(json.dumps(rec))


if __name__ == "__main__":
    main()
