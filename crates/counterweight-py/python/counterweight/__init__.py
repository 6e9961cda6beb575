"""counterweight: a laboratory for the balance of power, from Python.

The Rust engine of the ``counterweight`` command, with its verbs as functions and its
tables as ``pyarrow.Table`` (``.to_pandas()``, ``polars.from_arrow``):

>>> import counterweight as cw
>>> r = cw.run("core-claim")                  # an embedded scenario, a path, TOML text or a dict
>>> r.metrics.to_pandas().tail()              # the columns of metrics.csv
>>> cw.scenarios()                            # the embedded examples
>>> cw.check("my-scenario.toml")              # validate (raises ScenarioError, located)
>>> s = cw.sweep("core-claim", vary={"growth.returns_to_scale": "1.0:1.4:0.1"}, replicates=4)
>>> s.summary.to_pandas()                     # mean and 95% CI per point
>>> cw.measure("stakes.csv", value="eth", entity="entity")   # or a DataFrame
>>> cw.govern.replay("timeline.toml")         # Dual Governance, one row per step

Distributed sweeps: :func:`counterweight.dask.sweep`. Everything runs in Rust with the GIL
released; Python is never called per actor or per step. See docs/python.md.
"""

from . import _core, govern
from ._errors import (
    CounterweightError,
    MeasureError,
    RunError,
    ScenarioError,
    SweepError,
    TimelineError,
)
from ._measure import Measurement, measure
from ._run import Run, check, run, scenario, scenarios
from ._sweep import Sweep, sweep

__version__: str = _core.__version__

__all__ = [
    "run",
    "Run",
    "check",
    "scenarios",
    "scenario",
    "sweep",
    "Sweep",
    "measure",
    "Measurement",
    "govern",
    "CounterweightError",
    "ScenarioError",
    "TimelineError",
    "MeasureError",
    "RunError",
    "SweepError",
    "__version__",
]


def __getattr__(name: str):
    # `counterweight.dask` needs dask.distributed: imported on first use.
    if name == "dask":
        import importlib

        return importlib.import_module(".dask", __name__)
    raise AttributeError(f"module 'counterweight' has no attribute {name!r}")
