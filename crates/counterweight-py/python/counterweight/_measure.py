"""``measure``: concentration metrics of data you bring."""

from __future__ import annotations

import os
from typing import Any, List, Optional, Sequence, Union

from . import _core

__all__ = ["measure", "Measurement"]


class Measurement:
    """The result of :func:`measure`.

    Attributes:
        metrics: ``pyarrow.Table``: ``time`` (with a time column), ``n_entities``, then
            the concentration metrics with the names of ``metrics.csv`` (``hhi``,
            ``effective_number``, ``gini``, ``theil_t``, ``top1_share``, ...), one row per
            time (one row without a time column).
        holders: ``pyarrow.Table`` (``entity, value``) of the last time, largest first.
        times: the distinct times as written in the data, in table order.
    """

    def __init__(self, metrics: Any, holders: List[Any], times: List[str]) -> None:
        import pyarrow as pa

        self.metrics = metrics
        self.holders = pa.table(
            {
                "entity": pa.array([h[0] for h in holders], pa.string()),
                "value": pa.array([h[1] for h in holders], pa.float64()),
            }
        )
        self.times = times

    def __repr__(self) -> str:
        return f"<counterweight.Measurement {self.metrics.num_rows} time(s), {self.holders.num_rows} holders at the last>"


def _arrow_table(data: Any):
    """A pyarrow Table from a pandas or polars DataFrame, a pyarrow Table or RecordBatch,
    or any object with the Arrow PyCapsule stream interface."""
    import pyarrow as pa

    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    module = type(data).__module__.split(".")[0]
    if module == "polars":
        return data.to_arrow()
    if module == "pandas":
        return pa.Table.from_pandas(data, preserve_index=False)
    if hasattr(data, "__arrow_c_stream__"):
        return pa.table(data)
    raise TypeError(
        f"measure() takes a path to a CSV file, a pandas or polars DataFrame or a pyarrow Table, not {type(data).__name__}"
    )


def _column(table: Any, name: Optional[str], kind: str):
    import pyarrow as pa
    import pyarrow.compute as pc

    if name is None or name not in table.column_names:
        return None
    col = table.column(name).combine_chunks()
    t = col.type
    if pa.types.is_dictionary(t):
        col = col.dictionary_decode()
        t = col.type
    if kind == "value" and (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)):
        return pc.cast(col, pa.float64())
    if pa.types.is_string(t):
        return col
    if pa.types.is_large_string(t) or pa.types.is_string_view(t) or kind != "value":
        return pc.cast(col, pa.string())
    return col  # the extension names the unsupported type


def measure(
    data: Any,
    value: str,
    entity: Optional[str] = None,
    time: Optional[str] = None,
    *,
    exclude: Sequence[str] = (),
    top_k: Optional[int] = None,
) -> Measurement:
    """Concentration metrics of data you bring, as ``counterweight measure``.

    Args:
        data: a path to a CSV file with a header row, a pandas or polars DataFrame, or a
            pyarrow Table.
        value: the column holding the values (stake, wealth, market share, ...): numbers
            >= 0.
        entity: the column naming the holder; rows of the same holder (and time) are
            summed. Without it each row is its own holder.
        time: the column holding the time: one row of metrics per time, sorted
            numerically when every time is a number, else as text (ISO dates sort right).
        exclude: entities to leave out (e.g. an ``Other`` row); needs ``entity``.
        top_k: k of the ``top{k}_share`` column (default 3).

    A DataFrame gives the same metrics as the same data written to CSV (entities and
    times are compared as text). Raises :class:`MeasureError` for a missing column, a
    value that is not a finite number >= 0 (naming its line or row), no rows or all zeros.
    """
    exclude = list(exclude)
    if isinstance(data, (str, os.PathLike)):
        metrics, holders, times = _core.measure_file(
            os.fspath(data), value, entity, time, exclude, top_k
        )
        return Measurement(metrics, holders, times)
    table = _arrow_table(data)
    source = f"<{type(data).__module__.split('.')[0]}.{type(data).__name__}>"
    metrics, holders, times = _core.measure_arrays(
        source,
        list(table.column_names),
        _column(table, value, "value"),
        value,
        _column(table, entity, "entity"),
        entity,
        _column(table, time, "time"),
        time,
        exclude,
        top_k,
    )
    return Measurement(metrics, holders, times)
