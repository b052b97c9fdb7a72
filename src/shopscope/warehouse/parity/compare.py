"""Comparing two query results: rows matched on keys, floats within a tolerance."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["DEFAULT_TOLERANCE", "compare_results"]

DEFAULT_TOLERANCE = 1e-9
"""Relative tolerance for floats: sums in a different order differ in the last bits."""


_MAX_REPORTED = 20


def compare_results(
    a: pa.Table | pd.DataFrame,
    b: pa.Table | pd.DataFrame,
    *,
    sort_by: Sequence[str] = (),
    rtol: float = DEFAULT_TOLERANCE,
    atol: float = 1e-12,
) -> list[str]:
    """Differences between two query results; an empty list when they are equal.

    Parameters
    ----------
    a, b
        The results ("left" and "right" in messages), as Arrow tables or DataFrames.
    sort_by
        Key columns: rows are sorted by them and matched on them, so a missing row is reported
        by its key. Empty: rows are sorted by every column and matched by position.
    rtol
        Relative tolerance for floating-point and decimal columns.
    atol
        Absolute tolerance for floats near zero (a sum that is 0 on one backend may be 1e-17
        on the other).

    Returns
    -------
    list of str
        One message per difference (at most 20 per column, then a count of the rest).

    Notes
    -----
    Nulls equal nulls and a float NaN counts as null (pandas writes missing floats as NaN).
    Integers and floats compare numerically; other columns compare exactly, timestamps to
    the microsecond after converting zone-aware values to UTC.
    """
    left, right = _as_arrow(a), _as_arrow(b)
    diffs: list[str] = []
    only_left = [c for c in left.column_names if c not in right.column_names]
    only_right = [c for c in right.column_names if c not in left.column_names]
    if only_left or only_right:
        diffs.append(f"columns differ: only left {only_left}, only right {only_right}")
    columns = [c for c in left.column_names if c in right.column_names]
    keys = list(sort_by) or columns
    unknown = [k for k in keys if k not in columns]
    if unknown:
        raise ValueError(f"sort_by columns {unknown} not in both results; columns: {columns}")

    lvals = {c: _normalise(left.column(c)) for c in columns}
    rvals = {c: _normalise(right.column(c)) for c in columns}
    for c in columns:
        lk, rk = _kind(left.schema.field(c).type), _kind(right.schema.field(c).type)
        if lk != rk:
            diffs.append(
                f"column {c}: type {left.schema.field(c).type} vs {right.schema.field(c).type}"
            )
    lrows = _sorted_rows(lvals, keys, left.num_rows)
    rrows = _sorted_rows(rvals, keys, right.num_rows)
    if left.num_rows != right.num_rows:
        diffs.append(f"row count: left {left.num_rows}, right {right.num_rows}")

    pairs: list[tuple[int, int]]
    lkeys = [_key(lvals, keys, i) for i in lrows]
    rkeys = [_key(rvals, keys, i) for i in rrows]
    if sort_by and len(set(lkeys)) == len(lkeys) and len(set(rkeys)) == len(rkeys):
        rindex = {k: i for k, i in zip(rkeys, rrows, strict=True)}
        lindex = {k: i for k, i in zip(lkeys, lrows, strict=True)}
        diffs += _report(
            [f"row {_show_key(keys, k)} only in left" for k in lkeys if k not in rindex]
        )
        diffs += _report(
            [f"row {_show_key(keys, k)} only in right" for k in rkeys if k not in lindex]
        )
        pairs = [(lindex[k], rindex[k]) for k in lkeys if k in rindex]
    else:
        pairs = list(zip(lrows, rrows, strict=False))

    for c in columns:
        if _kind(left.schema.field(c).type) != _kind(right.schema.field(c).type):
            continue
        messages = []
        for i, j in pairs:
            x, y = lvals[c][i], rvals[c][j]
            if not _equal(x, y, rtol=rtol, atol=atol):
                where = _show_key(keys, _key(lvals, keys, i))
                messages.append(f"row {where}: column {c}: left {x!r} != right {y!r}")
        diffs += _report(messages)
    return diffs


def _as_arrow(data: pa.Table | pd.DataFrame) -> pa.Table:
    if isinstance(data, pd.DataFrame):
        return pa.Table.from_pandas(data, preserve_index=False)
    return data


def _kind(dtype: pa.DataType) -> str:
    if pa.types.is_integer(dtype) or pa.types.is_floating(dtype) or pa.types.is_decimal(dtype):
        return "number"
    if pa.types.is_timestamp(dtype):
        return "timestamp"
    if pa.types.is_date(dtype):
        return "date"
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        return "string"
    return str(dtype)


def _normalise(column: pa.ChunkedArray) -> list[Any]:
    """Python values that compare the way the suite wants (see :func:`compare_results`)."""
    dtype = column.type
    if pa.types.is_timestamp(dtype):
        if dtype.tz is not None:
            column = pc.cast(column, pa.timestamp(dtype.unit, "UTC")).cast(pa.timestamp(dtype.unit))
        # Exact integer microseconds (nanoseconds kept when present).
        micros = pc.cast(column, pa.timestamp("ns")).cast(pa.int64())
        return [None if v is None else _Stamp(v) for v in micros.to_pylist()]
    if pa.types.is_floating(dtype) or pa.types.is_decimal(dtype):
        return [None if v is None or math.isnan(float(v)) else float(v) for v in column.to_pylist()]
    return list(column.to_pylist())


@dataclass(frozen=True, order=True)
class _Stamp:
    """A naive UTC timestamp as integer nanoseconds; prints as an ISO string."""

    ns: int

    def __repr__(self) -> str:
        return str(pd.Timestamp(self.ns, unit="ns"))


def _sort_value(v: Any) -> tuple[int, Any]:
    # Nulls last; values of one column share a type, so they compare with each other.
    return (1, 0) if v is None else (0, v)


def _key(values: dict[str, list[Any]], keys: Sequence[str], i: int) -> tuple[Any, ...]:
    return tuple(values[k][i] for k in keys)


def _sorted_rows(values: dict[str, list[Any]], keys: Sequence[str], n: int) -> list[int]:
    return sorted(range(n), key=lambda i: tuple(_sort_value(values[k][i]) for k in keys))


def _show_key(keys: Sequence[str], key: tuple[Any, ...]) -> str:
    return "(" + ", ".join(f"{k}={_show(v)}" for k, v in zip(keys, key, strict=True)) + ")"


def _show(v: Any) -> str:
    if isinstance(v, date | datetime):
        return v.isoformat()
    return repr(v)


def _equal(x: Any, y: Any, *, rtol: float, atol: float) -> bool:
    if x is None or y is None:
        return x is None and y is None
    if isinstance(x, bool) or isinstance(y, bool):
        return bool(x == y)
    if isinstance(x, float) or isinstance(y, float):
        fx, fy = float(x), float(y)
        return abs(fx - fy) <= max(rtol * max(abs(fx), abs(fy)), atol)
    return bool(x == y)


def _report(messages: list[str]) -> list[str]:
    if len(messages) <= _MAX_REPORTED:
        return messages
    rest = len(messages) - _MAX_REPORTED
    return [*messages[:_MAX_REPORTED], f"... and {rest} more like these"]
