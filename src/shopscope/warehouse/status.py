"""What is in the warehouse: tables, row counts, date ranges, quarantine, and a first summary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shopscope.warehouse.schema import CANONICAL_TABLES, SYSTEM_TABLES

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = ["ShopSummary", "TableStatus", "WarehouseStatus", "shop_summary", "warehouse_status"]

DATE_COLUMNS: dict[str, str] = {
    "customers": "first_seen_at",
    "orders": "ordered_at",
    "events": "occurred_at",
    "ad_spend": "date",
    "inventory": "date",
    "tickets": "created_at",
    "quarantine": "ingested_at",
    "ingest_log": "started_at",
}


@dataclass(frozen=True)
class TableStatus:
    """One table: rows and the range of its main date column."""

    name: str
    rows: int
    date_column: str | None
    first: Any = None
    last: Any = None


@dataclass(frozen=True)
class WarehouseStatus:
    """Tables, quarantine counts by table and reason, and ingest batches."""

    url: str
    backend: str
    tables: tuple[TableStatus, ...]
    quarantine: tuple[tuple[str, str, int], ...]
    batches: int
    last_ingest: datetime | None


@dataclass(frozen=True)
class ShopSummary:
    """A first look at the shop: size, revenue and period."""

    customers: int
    orders: int
    order_lines: int
    products: int
    gross_revenue: float
    returns_value: float
    average_order_value: float | None
    first_order: datetime | None
    last_order: datetime | None


def _table_status(wh: Warehouse, name: str) -> TableStatus:
    t = wh.table(name)
    column = DATE_COLUMNS.get(name)
    if column is None:
        return TableStatus(name, int(t.count().execute()), None)
    row = (
        t.aggregate(rows=t.count(), first=t[column].min(), last=t[column].max())
        .to_pyarrow()
        .to_pylist()[0]
    )
    return TableStatus(name, int(row["rows"]), column, row["first"], row["last"])


def warehouse_status(wh: Warehouse) -> WarehouseStatus:
    """Row counts and date ranges of every table, and quarantine counts by reason."""
    tables = tuple(
        _table_status(wh, t.name)
        for t in (*CANONICAL_TABLES, *SYSTEM_TABLES)
        if wh.has_table(t.name)
    )
    quarantine: tuple[tuple[str, str, int], ...] = ()
    if wh.has_table("quarantine"):
        q = wh.table("quarantine")
        counts = (
            q.group_by(["table_name", "reason_code"])
            .aggregate(n=q.count())
            .order_by([q.table_name, q.reason_code])
            .to_pyarrow()
            .to_pylist()
        )
        quarantine = tuple((r["table_name"], r["reason_code"], int(r["n"])) for r in counts)
    batches, last = 0, None
    if wh.has_table("ingest_log"):
        log = wh.table("ingest_log")
        row = log.aggregate(n=log.count(), last=log.finished_at.max()).to_pyarrow().to_pylist()[0]
        batches, last = int(row["n"]), row["last"]
    return WarehouseStatus(str(wh.url), wh.backend_name, tables, quarantine, batches, last)


def shop_summary(wh: Warehouse) -> ShopSummary:
    """Customers, orders, revenue (goods lines) and period, computed in the engine."""
    orders = wh.table("orders")
    items = wh.table("order_items")
    o = (
        orders.aggregate(
            n=orders.count(),
            sales=(orders.gross_amount > 0).ifelse(1, 0).sum(),
            first=orders.ordered_at.min(),
            last=orders.ordered_at.max(),
            revenue=(orders.gross_amount > 0).ifelse(orders.gross_amount, 0).sum(),
            returns=(orders.gross_amount < 0).ifelse(orders.gross_amount, 0).sum(),
        )
        .to_pyarrow()
        .to_pylist()[0]
    )
    lines = int(items.count().execute())
    customers = int(wh.table("customers").count().execute())
    products = int(wh.table("products").count().execute())
    sales = int(o["sales"] or 0)
    revenue = float(o["revenue"] or 0.0)
    return ShopSummary(
        customers=customers,
        orders=int(o["n"]),
        order_lines=lines,
        products=products,
        gross_revenue=revenue,
        returns_value=float(o["returns"] or 0.0),
        average_order_value=revenue / sales if sales else None,
        first_order=o["first"],
        last_order=o["last"],
    )
