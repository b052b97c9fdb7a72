"""The knowledge base in the warehouse: table ``kb_entries`` (not a canonical table).

Columns: ``entry_id``, ``question``, ``answer``, ``language``, ``tags`` (joined with ``;``),
``source``, ``loaded_at``. Loading replaces the whole table by default, or adds and updates
entries by id (``mode="upsert"``). Loading also creates the order-id indexes the assistant's
live order answers use, when they are missing (DuckDB).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

import pyarrow as pa

from shopscope.errors import InvalidInputError
from shopscope.storefront.assistant.knowledge import KBEntry
from shopscope.storefront.assistant.orders import ensure_order_indexes

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = ["KB_TABLE", "KBLoadResult", "read_kb", "store_kb"]

KB_TABLE = "kb_entries"
_SCHEMA = pa.schema(
    [
        ("entry_id", pa.string()),
        ("question", pa.string()),
        ("answer", pa.string()),
        ("language", pa.string()),
        ("tags", pa.string()),
        ("source", pa.string()),
        ("loaded_at", pa.timestamp("us")),
    ]
)
_DDL = (
    f"CREATE TABLE IF NOT EXISTS {KB_TABLE} (entry_id VARCHAR NOT NULL PRIMARY KEY, "
    "question VARCHAR NOT NULL, answer VARCHAR NOT NULL, language VARCHAR NOT NULL, "
    "tags VARCHAR, source VARCHAR, loaded_at TIMESTAMP)"
)


@dataclass(frozen=True)
class KBLoadResult:
    """What a load did."""

    loaded: int
    total: int
    languages: dict[str, int]
    mode: str
    order_indexes_created: tuple[str, ...] = ()


def _arrow(entries: Sequence[KBEntry]) -> pa.Table:
    now = datetime.now(UTC).replace(tzinfo=None)
    return pa.table(
        {
            "entry_id": [e.entry_id for e in entries],
            "question": [e.question for e in entries],
            "answer": [e.answer for e in entries],
            "language": [e.language for e in entries],
            "tags": [";".join(e.tags) for e in entries],
            "source": [e.source for e in entries],
            "loaded_at": [now] * len(entries),
        },
        schema=_SCHEMA,
    )


def read_kb(wh: Warehouse) -> list[KBEntry]:
    """Every entry stored in the warehouse (an empty list when none were loaded)."""
    if not wh.has_table(KB_TABLE):
        return []
    rows = wh.table(KB_TABLE).order_by("entry_id").to_pyarrow().to_pylist()
    return [
        KBEntry(
            r["entry_id"],
            r["question"],
            r["answer"],
            r["language"],
            tuple(t for t in (r["tags"] or "").split(";") if t),
            r["source"] or "",
        )
        for r in rows
    ]


def store_kb(
    wh: Warehouse, entries: Sequence[KBEntry], *, mode: Literal["replace", "upsert"] = "replace"
) -> KBLoadResult:
    """Write ``entries`` to ``kb_entries``: ``replace`` drops old entries, ``upsert`` keeps them."""
    if mode not in ("replace", "upsert"):
        raise InvalidInputError(f"Knowledge-base load mode {mode!r}: use 'replace' or 'upsert'.")
    if not entries:
        raise InvalidInputError("No knowledge-base entries to store; the file had none.")
    keep: list[KBEntry] = []
    if mode == "upsert":
        new_ids = {e.entry_id for e in entries}
        keep = [e for e in read_kb(wh) if e.entry_id not in new_ids]
    table = _arrow([*keep, *entries])
    if wh.backend_name == "duckdb":
        con = wh.duckdb
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(_DDL)
            con.register("_kb_incoming", table)
            con.execute(f"DELETE FROM {KB_TABLE}")
            con.execute(f"INSERT INTO {KB_TABLE} SELECT * FROM _kb_incoming")
            con.unregister("_kb_incoming")
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    else:
        wh.write_arrow(KB_TABLE, table, mode="overwrite")
    counts: dict[str, int] = {}
    for e in [*keep, *entries]:
        counts[e.language] = counts.get(e.language, 0) + 1
    # the assistant's live order answers need order-id indexes to meet their latency target;
    # loading the knowledge base is the setup step that always has a writable warehouse
    created = ensure_order_indexes(wh) if wh.has_table("orders") else []
    return KBLoadResult(len(entries), len(keep) + len(entries), counts, mode, tuple(created))
