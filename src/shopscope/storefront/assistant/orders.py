"""Live order facts for the assistant: one order (or a customer's latest) from the warehouse.

Privacy rule: with a ``customer_id`` (the self-service bot knows who is asking), an order of
another customer, a guest order or a missing order are all reported the same way, as not found,
so the answer never reveals that someone else's order exists. Without a ``customer_id`` the
caller is a trusted agent and any order can be read.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import ibis

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = [
    "OrderFacts",
    "OrderLine",
    "OrderLookup",
    "auto_index_orders",
    "ensure_order_indexes",
    "latest_order_id",
    "lookup_order",
    "missing_order_indexes",
]

log = logging.getLogger(__name__)

MAX_LINES = 50


@dataclass(frozen=True)
class OrderLine:
    """One line of an order as the customer sees it."""

    sku: str
    title: str | None
    quantity: int
    unit_price: float


@dataclass(frozen=True)
class OrderFacts:
    """What the warehouse knows about one order; every field comes from the tables."""

    order_id: str
    customer_id: str | None
    status: str
    ordered_at: datetime
    currency: str | None
    gross_amount: float | None
    shipping_amount: float | None
    channel: str | None
    lines: tuple[OrderLine, ...]
    line_count: int


_COMPILED: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {}
_ORDER = "__shopscope_order_id__"
_CUSTOMER = "__shopscope_customer_id__"
_PLACEHOLDER = re.compile(f"'({_ORDER}|{_CUSTOMER})'")
_HEAD = (
    "order_id",
    "customer_id",
    "status",
    "ordered_at",
    "currency",
    "gross_amount",
    "shipping_amount",
    "channel",
)


class OrderLookup:
    """Prepared order queries for one warehouse (build once, run per question).

    Two queries: the order row by id, then (only when it may be shown) its lines with product
    titles. On DuckDB each Ibis expression is built and compiled once with placeholder
    literals, and its SQL then runs as a prepared statement with the ids bound as parameters
    (building and compiling a join costs ~10 ms, running it ~1 ms). Other backends (Spark)
    build and run the Ibis expressions with the values for each question. The ownership check
    compares the one order row's ``customer_id`` with the caller's before anything else is
    read, so another customer's order lines are never even fetched.
    """

    def __init__(self, wh: Warehouse) -> None:
        self.wh = wh
        self._sql: dict[str, tuple[str, tuple[str, ...]]] = {}

    def prepare(self) -> None:
        """Compile the DuckDB statements now, so the first question does not pay for it, and
        index the order ids when they are not indexed yet (:func:`auto_index_orders`)."""
        if self.wh.backend_name == "duckdb" and self.wh.has_table("orders"):
            for kind in ("head", "lines", "latest"):
                self._compiled(kind)
            auto_index_orders(self.wh)

    def _compiled(self, kind: str) -> tuple[str, tuple[str, ...]]:
        if kind not in self._sql:
            # the SQL names tables, not the database: compile once per process and warehouse
            key = (str(self.wh.url), kind)
            if key not in _COMPILED:
                placeholders = {_ORDER: _ORDER, _CUSTOMER: _CUSTOMER}
                sql = str(ibis.to_sql(self._expr(kind, placeholders), dialect="duckdb"))
                names = tuple(m.group(1) for m in _PLACEHOLDER.finditer(sql))
                _COMPILED[key] = (_PLACEHOLDER.sub("?", sql), names)
            self._sql[kind] = _COMPILED[key]
        return self._sql[kind]

    def _expr(self, kind: str, values: dict[str, str]) -> ibis.Table:
        # One equality filter per table scan, so DuckDB can answer it from the order-id
        # indexes of ensure_order_indexes() instead of scanning the tables.
        orders = self.wh.table("orders")
        if kind == "latest":
            return (
                orders.filter(orders.customer_id == values[_CUSTOMER])
                .order_by([ibis.desc("ordered_at"), ibis.desc("order_id")])
                .limit(1)
                .select("order_id")
            )
        if kind == "head":
            return orders.filter(orders.order_id == values[_ORDER]).select(*_HEAD)
        items = self.wh.table("order_items")
        products = self.wh.table("products").select("sku", "title")
        return (
            items.filter(items.order_id == values[_ORDER])
            .select("line_no", "sku", "quantity", "unit_price")
            .left_join(products, "sku")
            .select("line_no", "sku", "title", "quantity", "unit_price")
            .order_by("line_no")
        )

    def _run(self, kind: str, values: dict[str, str]) -> list[dict[str, Any]]:
        if self.wh.backend_name != "duckdb":
            rows: list[dict[str, Any]] = self._expr(kind, values).to_pyarrow().to_pylist()
            return rows
        sql, names = self._compiled(kind)
        result = self.wh.duckdb.execute(sql, [values[n] for n in names]).to_arrow_table()
        rows = result.to_pylist()
        return rows

    def order(self, order_id: str, *, customer_id: str | None = None) -> OrderFacts | None:
        """The order with its lines and product titles, or None (see the module docstring)."""
        heads = self._run("head", {_ORDER: order_id})
        if len(heads) != 1:
            return None  # missing (or an ambiguous id, which is not shown to anyone)
        row = heads[0]
        if customer_id is not None and row["customer_id"] != customer_id:
            return None  # someone else's or a guest order: indistinguishable from missing
        lines = self._run("lines", {_ORDER: order_id})
        return OrderFacts(
            order_id=row["order_id"],
            customer_id=row["customer_id"],
            status=row["status"],
            ordered_at=row["ordered_at"],
            currency=row["currency"],
            gross_amount=row["gross_amount"],
            shipping_amount=row["shipping_amount"],
            channel=row["channel"],
            lines=tuple(
                OrderLine(r["sku"], r["title"], int(r["quantity"]), float(r["unit_price"]))
                for r in lines[:MAX_LINES]
            ),
            line_count=len(lines),
        )

    def latest(self, customer_id: str) -> str | None:
        """The customer's most recent order id (None when the customer has no orders)."""
        rows = self._run("latest", {_CUSTOMER: customer_id})
        return str(rows[0]["order_id"]) if rows else None


ORDER_INDEXES = (
    ("assist_orders_order_id", "orders"),
    ("assist_order_items_order_id", "order_items"),
)
# warehouses (file path, or the in-memory object) known to have the indexes, and when a
# read-only one was last found without them (checked again after RETRY_SECONDS)
_INDEXED: set[object] = set()
_MISSING_SINCE: dict[object, float] = {}
RETRY_SECONDS = 60.0


def missing_order_indexes(wh: Warehouse) -> list[str]:
    """The order-id indexes that do not exist (DuckDB; always empty on Spark)."""
    if wh.backend_name != "duckdb":
        return []
    rows = wh.duckdb.execute("SELECT index_name FROM duckdb_indexes()").fetchall()
    existing = {r[0] for r in rows}
    return [name for name, _ in ORDER_INDEXES if name not in existing]


def ensure_order_indexes(wh: Warehouse) -> list[str]:
    """Create the order-id indexes that make a lookup a point read (DuckDB; idempotent).

    Without them each lookup scans ``orders`` and ``order_items`` (~10-60 ms at a million
    lines); with them it takes well under a millisecond. The indexes change no data, and
    DuckDB keeps them up to date as orders are inserted, updated or deleted (a new order is
    found through the index at once). Returns the names of the indexes created (none on
    Spark, which has no indexes).
    """
    missing = missing_order_indexes(wh)
    tables = dict(ORDER_INDEXES)
    for name in missing:
        wh.duckdb.execute(f"CREATE INDEX {name} ON {tables[name]} (order_id)")
    return missing


def _key(wh: Warehouse) -> object:
    return str(wh.url.path.absolute()) if wh.url.path is not None else id(wh.duckdb)


def auto_index_orders(wh: Warehouse) -> list[str]:
    """Index the order ids when they are not indexed yet and the warehouse is writable.

    Called by every :meth:`OrderLookup.prepare` (so by the assistant) and, through
    ``store_kb``, by ``assist kb load``. Once the indexes are known to exist, nothing is
    checked again in this process. A read-only warehouse without them (a server opening the
    file read-only) is answered by scans and checked again after :data:`RETRY_SECONDS`; the
    first writable use creates them.
    """
    if wh.backend_name != "duckdb":
        return []
    key = _key(wh)
    if key in _INDEXED:
        return []
    con = wh.duckdb
    mode = con.execute("SELECT current_setting('access_mode')").fetchone()
    if mode is not None and mode[0] == "read_only":
        last = _MISSING_SINCE.get(key)
        if last is not None and time.monotonic() - last < RETRY_SECONDS:
            return []
        if missing_order_indexes(wh):
            log.info("order-id indexes missing on read-only %s; lookups scan the tables", wh.url)
            _MISSING_SINCE[key] = time.monotonic()
            return []
        created: list[str] = []
    else:
        created = ensure_order_indexes(wh)
    _INDEXED.add(key)
    _MISSING_SINCE.pop(key, None)
    return created


def lookup_order(
    wh: Warehouse, order_id: str, *, customer_id: str | None = None
) -> OrderFacts | None:
    """The order ``order_id`` with its lines, or None (see the module docstring)."""
    return OrderLookup(wh).order(order_id, customer_id=customer_id)


def latest_order_id(wh: Warehouse, customer_id: str) -> str | None:
    """The customer's most recent order id (None when the customer has no orders)."""
    return OrderLookup(wh).latest(customer_id)
