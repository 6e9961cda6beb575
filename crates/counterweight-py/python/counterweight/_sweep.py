"""``sweep`` and the ``Sweep`` it returns."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from . import _core, _progress
from ._run import Overrides, ScenarioLike, _overrides

Vary = Union[Mapping[str, Any], Sequence[str]]

__all__ = ["sweep", "Sweep"]


def _item(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if hasattr(v, "item"):  # numpy scalars
        return _item(v.item())
    return str(v)


def vary_args(vary: Vary) -> List[str]:
    """``vary`` as the CLI's ``--vary KEY=SPEC`` arguments. A dict maps each key to a spec
    string (``"0:1:0.25"``, ``"log:1e-3:1:7"``, ``"a,b"``) or to a list of values."""
    if isinstance(vary, Mapping):
        out = []
        for key, spec in vary.items():
            if isinstance(spec, str):
                out.append(f"{key}={spec}")
            else:
                out.append(f"{key}=" + ",".join(_item(v) for v in spec))
        return out
    if isinstance(vary, str):
        return [vary]
    return [str(v) for v in vary]


def plan(
    scenario: ScenarioLike,
    vary: Vary,
    *,
    zip: bool = False,
    sample: Union[None, int, str] = None,
    replicates: Optional[int] = 1,
    seed: Optional[int] = None,
    set: Overrides = None,
) -> "_core.SweepPlan":
    """Check a sweep (every point's scenario validated) without running it."""
    if isinstance(sample, int) and not isinstance(sample, bool):
        sample = f"lhs:{sample}"
    return _core.SweepPlan(
        scenario, vary_args(vary), zip, sample, replicates, _overrides(set, seed)
    )


class Sweep:
    """The result of :func:`sweep` (and :func:`counterweight.dask.sweep`).

    Attributes:
        results: ``pyarrow.Table``, one row per run: ``point, replicate, seed``, each
            varied key, ``status`` (``ok``, ``stopped``, or the error of a failed run),
            then the final value of every metric (the columns of ``results.csv``).
        summary: ``pyarrow.Table``, one row per point: the varied keys, ``runs``,
            ``failed``, and ``{metric}_mean``, ``_ci_low``, ``_ci_high`` (95%) per
            metric (the columns of ``summary.csv``).
        out: the sweep directory, or None when it was a temporary one (removed).
        runs, failed, stopped: counts; failures: the first distinct failure messages.
    """

    def __init__(self, results: Any, summary: Any, info: Dict[str, Any], out: Optional[Path]):
        self.results = results
        self.summary = summary
        self.out = out
        self.runs: int = info["runs"]
        self.failed: int = info["failed"]
        self.stopped: int = info["stopped"]
        self.failures: List[str] = list(info["failures"])

    def __repr__(self) -> str:
        where = f" in {self.out}" if self.out else ""
        return f"<counterweight.Sweep {self.runs} runs ({self.failed} failed), {self.summary.num_rows} points{where}>"


def _read(out: Path, name: str):
    import pyarrow.parquet as pq

    return pq.read_table(out / f"{name}.parquet")


def finish(p: "_core.SweepPlan", out: Path, temporary: bool, pictures: Optional[bool]) -> Sweep:
    """Write the final dataset of a complete sweep directory and load it."""
    info = p.finalize(os.fspath(out), not temporary if pictures is None else pictures)
    sw = Sweep(_read(out, "results"), _read(out, "summary"), info, None if temporary else out)
    return sw


def sweep(
    scenario: ScenarioLike,
    vary: Vary,
    *,
    zip: bool = False,
    sample: Union[None, int, str] = None,
    replicates: Optional[int] = 1,
    threads: Optional[int] = None,
    out: Union[None, str, "os.PathLike[str]"] = None,
    resume: bool = True,
    seed: Optional[int] = None,
    set: Overrides = None,
    progress: _progress.Progress = None,
    pictures: Optional[bool] = None,
) -> Sweep:
    """Run a scenario over a grid of parameter values and replicates, as
    ``counterweight sweep``: in parallel, with results identical for any ``threads``.

    Args:
        scenario: as for :func:`counterweight.run` (or a governance simulation file).
        vary: ``{key: spec}`` with the CLI's specs (``"1.0:1.4:0.1"`` start:stop:step,
            ``"log:0.001:1:7"``, ``"constant,frontier"``) or a list of values; or a list of
            ``"key=spec"`` strings. Several keys: full factorial, first key slowest.
        zip: pair the i-th values of every key instead of crossing them.
        sample: a Latin hypercube of this many points (an int, or ``"lhs:N"``) over the
            ranges of ``vary``.
        replicates: replicates per point (None: the scenario's own ``replicates``).
        threads: worker threads (default: all cores).
        out: the sweep directory (as ``--out``): part files stream there, and an
            interrupted sweep resumes from them when called again. Default: a temporary
            directory, removed once the tables are loaded.
        resume: continue a sweep found in ``out``; ``False`` makes that an error.
        seed, set: the master seed and overrides for every run.
        progress: as for :func:`counterweight.run` (counted in runs).
        pictures: write the charts and ``report.html`` (default: when ``out`` is given).

    Run ``(point, replicate)`` is exactly ``run`` of the point's scenario with the seed
    in its ``seed`` column and one replicate. A failed run is a row with its error as
    ``status``. Ctrl-C raises ``KeyboardInterrupt``; completed parts stay in ``out``.
    """
    p = plan(scenario, vary, zip=zip, sample=sample, replicates=replicates, seed=seed, set=set)
    temporary = out is None
    path = Path(tempfile.mkdtemp(prefix="counterweight-sweep-")) / "sweep" if temporary else Path(out)
    try:
        done, _resumed = p.open(os.fspath(path), resume)
        bar, callback = _progress.start(progress, p.runs, p.name, "run")
        try:
            p.execute(os.fspath(path), done, threads, callback)
        finally:
            _progress.close(bar)
        return finish(p, path, temporary, pictures)
    finally:
        if temporary:
            shutil.rmtree(path.parent, ignore_errors=True)
