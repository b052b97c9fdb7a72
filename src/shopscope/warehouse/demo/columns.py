"""Vectorised builders for Arrow columns: identifiers, vocabularies, timestamps, tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from shopscope.warehouse.connection import arrow_schema

__all__ = ["canonical_table", "format_ids", "join_strings", "timestamps", "vocab_take"]


def format_ids(prefix: str, numbers: npt.NDArray[np.int64], width: int) -> pa.Array:
    """``prefix`` followed by ``numbers`` zero-padded to ``width`` digits (``C0000042``)."""
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers, pa.int64()), pa.string()), width, "0")
    return pc.binary_join_element_wise(pa.scalar(prefix), digits, pa.scalar(""))


def join_strings(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation of string arrays and literals (null if any part is null)."""
    args = [pa.scalar(p) if isinstance(p, str) else p for p in parts]
    return pc.binary_join_element_wise(*args, pa.scalar(""))


def vocab_take(vocabulary: Sequence[str | None], codes: npt.NDArray[np.int64]) -> pa.Array:
    """Strings ``vocabulary[codes]``; a negative code or a ``None`` entry gives null."""
    vocab = pa.array(list(vocabulary), pa.string())
    idx = pa.array(codes, pa.int64(), mask=codes < 0)
    return vocab.take(idx)


def timestamps(us: npt.NDArray[np.int64]) -> pa.Array:
    """Naive UTC ``timestamp[us]`` from microseconds since the epoch."""
    return pa.array(np.asarray(us, dtype=np.int64), pa.int64()).cast(pa.timestamp("us"))


def canonical_table(name: str, columns: Mapping[str, Any]) -> pa.Table:
    """Arrow table of canonical table ``name`` with columns in schema order and types.

    ``columns`` maps names to arrays (NumPy or Arrow); every schema column must be present.
    """
    schema = arrow_schema(name)
    missing = [f.name for f in schema if f.name not in columns]
    if missing:
        raise KeyError(f"{name}: missing columns {missing}")
    arrays = []
    for f in schema:
        col = columns[f.name]
        arr = col if isinstance(col, pa.Array | pa.ChunkedArray) else pa.array(col)
        arrays.append(arr if arr.type == f.type else arr.cast(f.type))
    return pa.Table.from_arrays(arrays, schema=schema)
