"""The recommendation tables in the warehouse: layout, atomic replacement, key indexes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from shopscope.errors import InvalidInputError

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = [
    "BUILD_TABLE",
    "RECO_TABLES",
    "build_row",
    "ranked_compact",
    "with_display",
    "write_tables",
]

RECO_TABLES = ("reco_user_topk", "reco_item_topk", "reco_popular")
# one row per build (build_id, built_at, model), written with the lists: serving processes
# compare its build_id with the one they loaded to notice a new build (see index.py)
BUILD_TABLE = "reco_build"
_INDEX = {"reco_user_topk": "customer_id", "reco_item_topk": "sku, list"}


def write_tables(wh: Warehouse, tables: dict[str, pa.Table]) -> None:
    """Create or replace the recommendation tables (any backend).

    On DuckDB all of them are replaced in one transaction (readers see the old lists or the new
    ones, never a mix) and each lookup key gets an ART index, so serving reads a few rows.
    """
    allowed = (*RECO_TABLES, BUILD_TABLE)
    unknown = sorted(set(tables) - set(allowed))
    if unknown:
        raise InvalidInputError(f"write_tables writes {', '.join(allowed)}, not {unknown}.")
    if wh.backend_name != "duckdb":
        for name, data in tables.items():
            wh.write_arrow(name, data, mode="overwrite")
        return
    con = wh.duckdb
    con.execute("BEGIN TRANSACTION")
    try:
        for name, data in tables.items():
            con.register("_shopscope_reco", data)
            con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _shopscope_reco")
            con.unregister("_shopscope_reco")
            if name in _INDEX:
                con.execute(f"CREATE INDEX {name}_key ON {name} ({_INDEX[name]})")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def build_row(model: str, built_at: datetime) -> pa.Table:
    """The ``reco_build`` row of a new build: a fresh random ``build_id``."""
    return pa.table(
        {
            "build_id": pa.array([uuid.uuid4().hex], pa.string()),
            "built_at": pa.array([built_at], pa.timestamp("us")),
            "model": pa.array([model], pa.string()),
        }
    )


def with_display(table: pa.Table, display: pa.Table, key: str, built_at: datetime) -> pa.Table:
    """Add title, category and price of ``key`` (denormalised: a lookup reads one table)."""
    order = table.column_names
    if "category" in order:
        table = table.drop_columns(["category"])
        order = [c for c in order if c != "category"]
    shown = display.rename_columns([key, "title", "category", "price"])
    joined = table.join(shown, key, join_type="left outer")
    sort = [(c, "ascending") for c in order[:3] if c != "score"]
    joined = joined.select([*order, "title", "category", "price"]).sort_by(sort)
    stamp = pa.array([built_at] * joined.num_rows, pa.timestamp("us"))
    return joined.append_column("built_at", stamp)


def ranked_compact(table: pa.Table, key: str) -> pa.Table:
    """Renumber ranks 1..n per key after dropped slots, sorted by key (fast point lookups)."""
    table = table.sort_by([(key, "ascending"), ("rank", "ascending")])
    keys = table.column(key).to_numpy(zero_copy_only=False)
    if len(keys) == 0:
        return table
    starts = np.r_[True, keys[1:] != keys[:-1]]
    group_start = np.maximum.accumulate(np.where(starts, np.arange(len(keys)), 0))
    rank = np.arange(len(keys)) - group_start + 1
    return table.set_column(
        table.schema.get_field_index("rank"), "rank", pa.array(rank, pa.int64())
    )
