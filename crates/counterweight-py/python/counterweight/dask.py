"""Sweeps on a Dask cluster: the same dataset as :func:`counterweight.sweep`, on as many
machines as the cluster has.

The sweep is cut into tasks of whole part files (batches of consecutive
``(point, replicate)`` runs); each task runs the Rust engine on a worker and either returns
its Parquet parts to the client (the default: works on any cluster) or, with
``shared=True``, writes them straight into ``out`` (a directory every worker sees). The
client writes the final ``results``/``summary`` from the parts in run order, so the files
are byte for byte those of a local sweep, whatever the cluster, the order in which tasks
finish or the number of workers. Parts already in ``out`` are skipped (resume); a run that
fails is a row with its error.

Works with any ``dask.distributed`` cluster: ``LocalCluster``, ``dask_jobqueue``
(SLURM, PBS, ...), ``dask_kubernetes``, Coiled (see docs/python.md).
"""

from __future__ import annotations

import builtins
import math
import os
import shutil
import tempfile
from collections import OrderedDict
from pathlib import Path
from typing import Any, List, Optional, Union

from . import _core, _progress
from ._errors import SweepError
from ._run import Overrides, ScenarioLike
from ._sweep import Sweep, Vary, finish, plan

__all__ = ["sweep"]

# Plans rebuilt on this worker, by spec (a plan checks every point: build it once).
_PLANS: "OrderedDict[str, _core.SweepPlan]" = OrderedDict()


def _plan_of(spec: str) -> "_core.SweepPlan":
    p = _PLANS.get(spec)
    if p is None:
        p = _core.SweepPlan.from_spec(spec)
        _PLANS[spec] = p
        while len(_PLANS) > 4:
            _PLANS.popitem(last=False)
    return p


def _task(spec: str, batches: List[int], out: Optional[str], threads: Optional[int]):
    """One Dask task: run these batches; their parts go to ``out`` or come back as bytes."""
    return _plan_of(spec).run_batches(batches, out, threads)


def _client(client: Any):
    from distributed import Client, get_client

    if client is None:
        return get_client()
    if isinstance(client, str):
        return Client(client)
    return client


def sweep(
    scenario: ScenarioLike,
    vary: Vary,
    *,
    client: Any = None,
    zip: bool = False,
    sample: Union[None, int, str] = None,
    replicates: Optional[int] = 1,
    chunk: Optional[int] = None,
    out: Union[None, str, "os.PathLike[str]"] = None,
    shared: bool = False,
    resume: bool = True,
    seed: Optional[int] = None,
    set: Overrides = None,
    threads_per_task: Optional[int] = 1,
    retries: int = 2,
    progress: _progress.Progress = None,
    pictures: Optional[bool] = None,
) -> Sweep:
    """Run a sweep on a Dask cluster; the arguments and the result are those of
    :func:`counterweight.sweep`, plus:

    Args:
        client: a ``distributed.Client``, a scheduler address (``"tcp://host:8786"``),
            or None for the current client (``distributed.get_client()``).
        chunk: runs per task, rounded up to whole part files (default: one part file,
            about 1% of the sweep, per task).
        shared: ``out`` is a directory every worker can write (a shared file system):
            tasks write their parts there instead of returning them.
        threads_per_task: threads each task uses on its worker (default 1: Dask's
            workers provide the parallelism).
        retries: how often Dask retries a task whose worker died.

    A task that still fails loses no finished work: the parts of every other task are
    kept in ``out`` and :class:`SweepError` names the missing batches; calling again with
    the same ``out`` runs only those.
    """
    from distributed import as_completed

    cl = _client(client)
    p = plan(scenario, vary, zip=zip, sample=sample, replicates=replicates, seed=seed, set=set)
    if shared and out is None:
        raise ValueError("shared=True needs out=, a directory every worker can write")
    temporary = out is None
    path = Path(tempfile.mkdtemp(prefix="counterweight-sweep-")) / "sweep" if temporary else Path(out)
    try:
        done, _resumed = p.open(os.fspath(path), resume)
        done_set = frozenset(done)
        todo = [b for b in range(p.batches) if b not in done_set]
        per_task = max(1, math.ceil(chunk / p.batch_size)) if chunk else 1
        groups = [todo[i : i + per_task] for i in range(0, len(todo), per_task)]
        spec = p.spec
        target = os.fspath(path) if shared else None
        runs_of = lambda g: sum(p.batch_runs(b)[1] - p.batch_runs(b)[0] for b in g)  # noqa: E731
        finished = p.runs - sum(runs_of(g) for g in groups)
        bar, callback = _progress.start(progress, p.runs, p.name, "run")
        futures = [
            cl.submit(_task, spec, g, target, threads_per_task, pure=False, retries=retries)
            for g in groups
        ]
        group_of = {f.key: g for f, g in builtins.zip(futures, groups)}  # `zip` is an argument
        failed: List[str] = []
        try:
            if callback:
                callback(finished)
            for fut in as_completed(futures):
                g = group_of[fut.key]
                try:
                    parts = fut.result()
                except KeyboardInterrupt:
                    raise
                except Exception as e:  # the task failed on every try
                    failed.append(f"batches {g[0]}..{g[-1]}: {type(e).__name__}: {e}")
                    continue
                for b, results, series in parts:
                    _core.store_part(os.fspath(path), b, results, series)
                finished += runs_of(g)
                if callback:
                    callback(finished)
        except BaseException:
            cl.cancel(futures)
            raise
        finally:
            _progress.close(bar)
        if failed:
            raise SweepError(
                f"{len(failed)} task(s) failed; the other parts are saved in {path}; "
                f"run the same sweep with out={os.fspath(path)!r} to finish it:\n  "
                + "\n  ".join(failed[:5])
            )
        # Every part is on disk: record them all (each worker recorded only its own).
        p.record_parts(os.fspath(path))
        return finish(p, path, temporary, pictures)
    finally:
        if temporary:
            shutil.rmtree(path.parent, ignore_errors=True)
