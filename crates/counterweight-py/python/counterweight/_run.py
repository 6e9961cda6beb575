"""``run``, ``check``, ``scenarios``, ``scenario`` and the ``Run`` they return."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from . import _core, _progress

ScenarioLike = Union[str, "os.PathLike[str]", Mapping[str, Any]]
Overrides = Union[None, Mapping[str, Any], Sequence[str]]

__all__ = ["run", "check", "scenarios", "scenario", "Run"]


def _overrides(
    set: Overrides,
    seed: Optional[int] = None,
    replicates: Optional[int] = None,
    actors: Union[bool, str] = False,
) -> List[str]:
    """The ``--set`` list of a call: ``set`` first, then ``seed``, ``replicates`` and
    ``actors`` (as the CLI's ``--seed`` and ``--actors`` add theirs)."""
    out: List[str] = list(_core.assignments(set))
    if seed is not None:
        out.append(f"seed={int(seed)}")
    if replicates is not None:
        out.append(f"replicates={int(replicates)}")
    if actors is True or actors == "all":
        out.append('output.actors="all"')
    elif actors == "final":
        out.append('output.actors="final"')
    elif actors not in (False, None):
        raise ValueError(f'actors= takes True, False, "all" or "final", not {actors!r}')
    return out


def _load(scenario: ScenarioLike, overrides: List[str]) -> "_core.Scenario":
    return _core.load(scenario, overrides)


class Run:
    """The result of :func:`run`.

    Attributes:
        metrics: ``pyarrow.Table``, one row per recorded step and replicate (and variant):
            the columns of the CLI's ``metrics.csv`` (``replicate, step, time, hhi,
            effective_number, gini, theil_t, top1_share, top10pct_share, nakamoto_1_3,
            nakamoto_1_2, ...``; a leading ``variant`` column for ``[[compare]]``).
        actors: ``pyarrow.Table`` (``replicate, step, time, actor, group, value``) when the
            run recorded actors (``actors=True`` or ``"final"``), else None.
        name: the scenario's name; ``scenario_toml`` the resolved scenario.

    ``metrics.to_pandas()`` and ``polars.from_arrow(metrics)`` give DataFrames.
    """

    def __init__(self, core: "_core.RunOutput") -> None:
        self._core = core
        self._metrics: Any = None
        self._actors: Any = None
        self._summary: Optional[Dict[str, Any]] = None

    @property
    def name(self) -> str:
        return self._core.name

    @property
    def scenario_toml(self) -> str:
        """The resolved scenario (overrides applied), as TOML."""
        return self._core.resolved_toml

    @property
    def variants(self) -> List[str]:
        """The variant labels (one for a scenario without ``[[compare]]``)."""
        return list(self._core.labels)

    @property
    def early_stops(self) -> List[Dict[str, Any]]:
        """Replicates ended by ``growth.stop_at_share``."""
        return list(self._core.early_stops())

    @property
    def metrics(self):  # -> pyarrow.Table
        if self._metrics is None:
            self._metrics = self._core.metrics()
        return self._metrics

    @property
    def actors(self):  # -> Optional[pyarrow.Table]
        if self._actors is None:
            self._actors = self._core.actors()
        return self._actors

    @property
    def summary(self) -> Dict[str, Any]:
        """What ``summary.json`` of the run directory holds: name, seed, version, the final
        metrics per variant and the key numbers."""
        if self._summary is None:
            self._summary = json.loads(self._core.summary_json())
        return self._summary

    def save(self, dir: Union[str, "os.PathLike[str]"]) -> Path:
        """Write the run directory, exactly as ``counterweight run --out DIR`` does
        (scenario.toml, metrics and actors as CSV and Parquet, summary.json, plots,
        report.html). The directory must not exist or be empty; it appears complete or
        not at all. Returns its path.

        Raises:
            FileExistsError: ``dir`` exists and is not empty.
        """
        return Path(self._core.save(os.fspath(dir)))

    def __repr__(self) -> str:
        m = self.metrics
        return f"<counterweight.Run {self.name!r}: {len(self.variants)} variant(s), metrics {m.num_rows} rows x {m.num_columns} columns>"

    def _repr_html_(self) -> str:
        """Jupyter's view: name, model, seed, the key numbers and the shares chart (the
        library's own card and chart, as in ``report.html``)."""
        return self._core.card_html()


def run(
    scenario: ScenarioLike = _core.DEFAULT_SCENARIO,
    *,
    seed: Optional[int] = None,
    set: Overrides = None,
    replicates: Optional[int] = None,
    actors: Union[bool, str] = False,
    progress: _progress.Progress = None,
) -> Run:
    """Run a scenario, as ``counterweight run`` does, and return its tables.

    Args:
        scenario: an embedded example's name (see :func:`scenarios`), a path to a
            scenario TOML file, TOML text, or a dict with the fields of the TOML.
            Default: ``"core-claim"``.
        seed: the master seed (overrides the scenario's ``seed``).
        set: overrides of any scenario field, as a dict
            (``{"growth.returns_to_scale": 1.2}``) or a list of ``"key=value"`` strings
            (the CLI's ``--set``).
        replicates: the number of replicates (overrides the scenario's).
        actors: also record every actor's value: ``True``/``"all"`` at every recorded
            step, ``"final"`` at the end only.
        progress: ``None`` a tqdm bar when tqdm is installed and someone watches (a
            terminal or a notebook); ``False`` none; ``True`` always; or a callable
            ``progress(steps_done, steps_total)`` called about ten times a second.

    The run releases the GIL; Ctrl-C (or a notebook's interrupt) stops it within a
    step and raises ``KeyboardInterrupt``, keeping nothing.

    Raises:
        ScenarioError: the scenario or an override is invalid (with path, line, column,
            field and what is valid).
        RunError: the run failed (e.g. a numerical blow-up).

    >>> import counterweight as cw
    >>> r = cw.run("two-oh-two", progress=False)
    >>> r.metrics.column_names[:3]
    ['replicate', 'step', 'time']
    """
    exp = _load(scenario, _overrides(set, seed, replicates, actors))
    bar, callback = _progress.start(progress, exp.total_steps, exp.name, "step")
    try:
        out = _core.run(exp, callback)
    finally:
        _progress.close(bar)
    return Run(out)


def check(scenario: ScenarioLike, *, set: Overrides = None) -> List[Dict[str, Any]]:
    """Validate a scenario without running it, as ``counterweight check``.

    Returns one dict per variant (``label, model, actors, groups, steps, dt, end,
    replicates, policies, seed``); raises :class:`ScenarioError` when it is invalid.
    """
    return list(_load(scenario, _overrides(set)).variants())


def scenarios() -> List[Dict[str, Any]]:
    """The embedded example scenarios: ``name``, ``summary``, ``default`` (the one
    :func:`run` uses without a scenario) and ``gallery`` (part of the essays' gallery)."""
    return [
        {"name": n, "summary": s, "default": d, "gallery": g}
        for (n, s, d, g) in _core.examples_list()
    ]


def scenario(name: str, *, toml: bool = False) -> Union[Dict[str, Any], str]:
    """An embedded example as a dict with the fields of its TOML (or, with
    ``toml=True``, its TOML text): a starting point to modify and pass to :func:`run`.

    >>> import counterweight as cw
    >>> s = cw.scenario("cheetah-and-tortoise")
    >>> s["growth"]["returns_to_scale"] = 1.3
    >>> r = cw.run(s, progress=False)
    """
    text = _core.example_toml(name)
    return text if toml else _core.toml_to_dict(text)
