"""Lido Dual Governance: replay a timeline of actions against the state machine.

The veto simulation (``counterweight govern simulate``) runs through
:func:`counterweight.run` once it is a registered model, and sweeps through
:func:`counterweight.sweep` already.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Union

from . import _core

__all__ = ["replay"]


def replay(timeline: Union[str, "os.PathLike[str]"]):
    """Replay a timeline (a path to its TOML file, or TOML text) and return a
    ``pyarrow.Table`` with one row per step and the columns of
    ``counterweight govern replay --json``: ``step, line, time, time_human, action,
    holder, proposal, amount_wei, escrow, result, detail, persisted_state, effective_state,
    r_percent, r_d16, t_lock, t_lock_human, rage_quit_round, expectation_failures``.

    A failed expectation does not raise: it is listed in ``expectation_failures`` (and
    the table's metadata ``failed_expectations`` counts them). Raises
    :class:`TimelineError` (with ``path``, ``line``, ``column``) for an invalid timeline.
    """
    import pyarrow as pa

    if isinstance(timeline, os.PathLike) or (
        isinstance(timeline, str) and "\n" not in timeline and "=" not in timeline
    ):
        path = Path(timeline)
        src, origin = path.read_text(encoding="utf-8"), os.fspath(path)
    else:
        src, origin = str(timeline), "<string>"
    rows_json, failures, fields = _core.replay(src, origin)
    rows: Any = json.loads(rows_json)
    table = pa.Table.from_pylist(rows).select(list(fields)) if rows else pa.table({f: pa.array([], pa.string()) for f in fields})
    # Columns that are null on every step (e.g. no step names a holder) are text columns.
    for i, field in enumerate(table.schema):
        if pa.types.is_null(field.type):
            table = table.set_column(i, field.name, table.column(i).cast(pa.string()))
        elif pa.types.is_list(field.type) and pa.types.is_null(field.type.value_type):
            table = table.set_column(i, field.name, table.column(i).cast(pa.list_(pa.string())))
    return table.replace_schema_metadata({"failed_expectations": str(failures)})
