"""Copying a warehouse into another one, table by table, through Arrow.

Ingestion writes DuckDB only (it needs SQL transactions and keyed upserts). A Spark warehouse is
populated by copying a DuckDB one::

    with connect("duckdb:///shop.duckdb", read_only=True) as src, connect("spark:///lake") as dst:
        copy_warehouse(src, dst)

Each table is replaced as a whole (the first batch overwrites, later batches append), so
re-running a copy does not duplicate rows. The copy works in either direction and between two
warehouses of the same backend.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

import ibis
import pyarrow as pa

from shopscope.errors import NotFoundError
from shopscope.warehouse.connection import Warehouse, arrow_schema
from shopscope.warehouse.schema import CANONICAL_TABLES, SYSTEM_TABLES, TABLES

__all__ = ["DEFAULT_BATCH_ROWS", "copy_warehouse", "copyable_tables"]

log = logging.getLogger(__name__)

DEFAULT_BATCH_ROWS = 500_000
"""Rows per Arrow batch: a large table crosses between backends in slices of this size."""


def copyable_tables(source: Warehouse) -> list[str]:
    """Canonical and system tables that exist in ``source``, in canonical order.

    Parameters
    ----------
    source
        The warehouse to inspect.

    Returns
    -------
    list of str
        Table names, dimensions first, then facts, then system tables.
    """
    present = set(source.list_tables())
    return [t.name for t in (*CANONICAL_TABLES, *SYSTEM_TABLES) if t.name in present]


def copy_warehouse(
    source: Warehouse,
    target: Warehouse,
    *,
    tables: Sequence[str] | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
) -> dict[str, int]:
    """Copy whole tables from ``source`` into ``target``, replacing what ``target`` held.

    Parameters
    ----------
    source
        Warehouse to read (any backend).
    target
        Warehouse to write (any backend). Each copied table is overwritten.
    tables
        Names to copy; default every canonical and system table that exists in ``source``
        (see :func:`copyable_tables`). A name that does not exist raises
        :class:`~shopscope.errors.NotFoundError`.
    batch_rows
        Rows per Arrow batch; bounds the memory a large table needs in transit.

    Returns
    -------
    dict of str to int
        Rows copied per table, in copy order. Empty tables are copied too (count 0), so the
        target ends up with the same set of tables.

    Raises
    ------
    NotFoundError
        A requested table is not in ``source``.
    ValueError
        ``source`` and ``target`` are the same object, or ``batch_rows`` < 1.

    Notes
    -----
    Canonical tables cross in their canonical Arrow schema (``timestamp[us]`` naive UTC,
    ``int64``, ``double``, ...), so timestamps keep their microseconds and nullable integers
    stay integers on both sides.
    """
    if source is target:
        raise ValueError("copy_warehouse: source and target are the same warehouse.")
    if batch_rows < 1:
        raise ValueError(f"copy_warehouse: batch_rows must be >= 1, got {batch_rows}.")
    names = list(tables) if tables is not None else copyable_tables(source)
    missing = [n for n in names if not source.has_table(n)]
    if missing:
        raise NotFoundError(
            f"Cannot copy {', '.join(missing)}: not in {source.url}. Tables there: "
            f"{', '.join(source.list_tables()) or '(none)'}."
        )
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = _copy_table(source, target, name, batch_rows)
        log.info("copied %s: %d rows from %s to %s", name, counts[name], source.url, target.url)
    return counts


def _copy_table(source: Warehouse, target: Warehouse, name: str, batch_rows: int) -> int:
    schema = arrow_schema(name) if name in TABLES else None
    rows = 0
    written = False
    for batch in _batches(source, name, batch_rows):
        data = pa.Table.from_batches([batch])
        if schema is not None:
            data = data.select(schema.names).cast(schema)
        _ensure_table(target, name, data.schema)
        target.write_arrow(name, data, mode="append" if written else "overwrite")
        written = True
        rows += data.num_rows
    if not written:
        empty = schema.empty_table() if schema is not None else _source_schema(source, name)
        _ensure_table(target, name, empty.schema)
        target.write_arrow(name, empty, mode="overwrite")
    return rows


def _batches(source: Warehouse, name: str, batch_rows: int) -> Iterator[pa.RecordBatch]:
    reader = source.table(name).to_pyarrow_batches(chunk_size=batch_rows)
    for batch in reader:
        if batch.num_rows:
            yield batch


def _source_schema(source: Warehouse, name: str) -> pa.Table:
    schema: pa.Schema = source.table(name).schema().to_pyarrow()
    return schema.empty_table()


def _ensure_table(target: Warehouse, name: str, schema: pa.Schema) -> None:
    # Spark creates a table on first write; DuckDB needs it to exist (normally init_schema
    # made it; not when the target was opened with create=False).
    if target.backend_name != "duckdb" or target.has_table(name):
        return
    if name in TABLES:
        target.duckdb.execute(TABLES[name].ddl())
    else:
        target.ibis.create_table(name, schema=ibis.Schema.from_pyarrow(schema))
