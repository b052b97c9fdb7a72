"""User-item interactions built in the engine, and their sparse matrix for the models.

An *interaction* is one signal that a customer is interested in a SKU:

``purchase``
    A goods line (``products.item_kind`` is ``product`` or the SKU has no products row) with
    positive quantity on an order whose status does not undo a sale (not cancelled, returned or
    refunded), for a known customer; plus ``purchase`` events that carry a SKU and whose order
    is not in ``orders`` (so a sale is never counted twice).
``add_to_cart`` / ``product_view``
    Events with a SKU. The customer is the event's ``customer_id`` or, for anonymous events,
    the customer that the same ``anonymous_id`` was identified as on any other event.

Each signal has a weight (:class:`InteractionWeights`); :func:`interaction_table` sums them per
(customer, SKU) in the engine and returns the compact aggregate, which
:meth:`InteractionMatrix.from_arrow` turns into a SciPy CSR matrix (users × items).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from shopscope.errors import InvalidInputError
from shopscope.insight.definitions import REVERSAL_STATUSES

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = [
    "InteractionMatrix",
    "InteractionWeights",
    "as_timestamp",
    "interaction_events",
    "interaction_table",
    "purchase_lines",
]


@dataclass(frozen=True)
class InteractionWeights:
    """How much each signal counts; a customer's weight for a SKU is the sum over signals."""

    purchase: float = 5.0
    add_to_cart: float = 3.0
    product_view: float = 1.0

    def __post_init__(self) -> None:
        for name in ("purchase", "add_to_cart", "product_view"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not np.isfinite(value) or value < 0:
                raise InvalidInputError(
                    f"Interaction weight {name}={value!r} is not allowed: use a finite number "
                    ">= 0 (0 switches the signal off)."
                )
        if self.purchase <= 0:
            raise InvalidInputError(
                f"Interaction weight purchase={self.purchase!r} must be > 0: purchases are the "
                "signal every model is evaluated on."
            )


def as_timestamp(value: date | datetime | None, what: str) -> datetime | None:
    """A date (start of that UTC day) or naive UTC datetime; anything else is an error."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise InvalidInputError(f"{what}={value!r}: give a naive UTC datetime or a date.")
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    raise InvalidInputError(f"{what}={value!r}: expected a date or datetime.")


def _window(ts: ir.TimestampValue, start: datetime | None, end: datetime | None) -> ir.BooleanValue:
    cond: ir.BooleanValue = ibis.literal(True)
    if start is not None:
        cond = cond & (ts >= start)
    if end is not None:
        cond = cond & (ts < end)
    return cond


def purchase_lines(
    wh: Warehouse, *, start: date | datetime | None = None, end: date | datetime | None = None
) -> ir.Table:
    """Goods lines bought by known customers in ``[start, end)``: customer_id, sku, order_id, at."""
    lo, hi = as_timestamp(start, "start"), as_timestamp(end, "end")
    orders = wh.table("orders")
    items = wh.table("order_items")
    products = wh.table("products").select("sku", "item_kind")
    sale = orders.filter(
        orders.customer_id.notnull()
        & orders.status.notin(list(REVERSAL_STATUSES))
        & _window(orders.ordered_at, lo, hi)
    ).select("order_id", "customer_id", "ordered_at")
    lines = items.filter(items.quantity > 0).select("order_id", "sku")
    joined = lines.join(sale, "order_id").left_join(products, "sku")
    goods = joined.filter(joined.item_kind.isnull() | (joined.item_kind == "product"))
    return goods.select("customer_id", "sku", "order_id", at=goods.ordered_at)


def interaction_events(
    wh: Warehouse,
    *,
    weights: InteractionWeights | None = None,
    start: date | datetime | None = None,
    end: date | datetime | None = None,
) -> ir.Table:
    """Every weighted signal in ``[start, end)``: customer_id, sku, at, kind, weight."""
    w = weights or InteractionWeights()
    lo, hi = as_timestamp(start, "start"), as_timestamp(end, "end")
    bought = purchase_lines(wh, start=lo, end=hi)
    parts = [
        bought.select(
            "customer_id",
            "sku",
            "at",
            kind=ibis.literal("purchase"),
            weight=ibis.literal(float(w.purchase)),
        )
    ]
    ev = wh.table("events")
    kinds = {"product_view": w.product_view, "add_to_cart": w.add_to_cart}
    active = [k for k, v in kinds.items() if v > 0]
    stitched = ev.filter(ev.customer_id.notnull() & ev.anonymous_id.notnull())
    identity = stitched.group_by("anonymous_id").aggregate(known=stitched.customer_id.min())
    relevant = ev.filter(ev.sku.notnull() & _window(ev.occurred_at, lo, hi))
    orders = wh.table("orders").select("order_id")
    own = relevant.filter(
        relevant.event_type.isin(active)
        | (
            (relevant.event_type == "purchase")
            & (relevant.order_id.isnull() | relevant.order_id.notin(orders.order_id))
        )
    )
    named = own.left_join(identity, "anonymous_id")
    who = ibis.coalesce(named.customer_id, named.known)
    weight = (
        ibis.cases(
            (named.event_type == "product_view", float(w.product_view)),
            (named.event_type == "add_to_cart", float(w.add_to_cart)),
            else_=float(w.purchase),
        )
        .cast("float64")
        .name("weight")
    )
    parts.append(
        named.filter(who.notnull()).select(
            customer_id=who,
            sku=named.sku,
            at=named.occurred_at,
            kind=named.event_type,
            weight=weight,
        )
    )
    return ibis.union(*parts, distinct=False)


def interaction_table(
    wh: Warehouse,
    *,
    weights: InteractionWeights | None = None,
    start: date | datetime | None = None,
    end: date | datetime | None = None,
) -> ir.Table:
    """Per (customer, SKU): ``weight`` (sum), ``purchases`` (count) and ``last_at``."""
    ev = interaction_events(wh, weights=weights, start=start, end=end)
    return ev.group_by("customer_id", "sku").aggregate(
        weight=ev.weight.sum(),
        purchases=(ev.kind == "purchase").sum().cast("int64"),
        last_at=ev.at.max(),
    )


@dataclass(frozen=True)
class InteractionMatrix:
    """Users × items weights as CSR; ``users`` and ``items`` are the sorted ids of rows/columns.

    ``bought`` marks the (user, item) pairs with at least one purchase (same shape).
    """

    users: np.ndarray
    items: np.ndarray
    weights: sp.csr_matrix
    bought: sp.csr_matrix

    @classmethod
    def from_arrow(cls, table: pa.Table, *, items: np.ndarray | None = None) -> InteractionMatrix:
        """Build from :func:`interaction_table` output (customer_id, sku, weight, purchases).

        ``items`` fixes the column catalogue (rows with other SKUs are dropped).
        """
        missing = {"customer_id", "sku", "weight", "purchases"} - set(table.column_names)
        if missing:
            raise InvalidInputError(
                f"Interaction table lacks column(s) {sorted(missing)}; found "
                f"{table.column_names}. Build it with interaction_table()."
            )
        user_ids = pc.unique(table.column("customer_id")).drop_null()
        user_ids = user_ids.take(pc.sort_indices(user_ids))
        if items is None:
            item_ids = pc.unique(table.column("sku")).drop_null()
            item_ids = item_ids.take(pc.sort_indices(item_ids))
        else:
            item_ids = pa.array(items, pa.string())
        rows = pc.index_in(table.column("customer_id"), value_set=user_ids)
        cols = pc.index_in(table.column("sku"), value_set=item_ids)
        keep = pc.and_(pc.is_valid(rows), pc.is_valid(cols))
        r = pc.filter(rows, keep).to_numpy(zero_copy_only=False).astype(np.int64)
        c = pc.filter(cols, keep).to_numpy(zero_copy_only=False).astype(np.int64)
        w = pc.filter(table.column("weight"), keep).to_numpy(zero_copy_only=False)
        b = pc.filter(table.column("purchases"), keep).to_numpy(zero_copy_only=False)
        shape = (len(user_ids), len(item_ids))
        weights = sp.csr_matrix((w.astype(np.float32), (r, c)), shape=shape)
        bought = sp.csr_matrix(((b > 0).astype(np.float32), (r, c)), shape=shape)
        bought.eliminate_zeros()
        return cls(
            users=np.asarray(user_ids.to_pylist(), dtype=object),
            items=np.asarray(item_ids.to_pylist(), dtype=object),
            weights=weights,
            bought=bought,
        )

    @property
    def shape(self) -> tuple[int, int]:
        """(users, items)."""
        return (len(self.users), len(self.items))

    @property
    def nnz(self) -> int:
        """Number of (user, item) pairs with an interaction."""
        return int(self.weights.nnz)

    def user_positions(self, ids: np.ndarray) -> np.ndarray:
        """Row of each id, -1 when unknown."""
        return _positions(self.users, ids)

    def item_positions(self, ids: np.ndarray) -> np.ndarray:
        """Column of each id, -1 when unknown."""
        return _positions(self.items, ids)


def _positions(sorted_ids: np.ndarray, ids: np.ndarray) -> np.ndarray:
    idx = pc.index_in(pa.array(list(ids), pa.string()), value_set=pa.array(list(sorted_ids)))
    return np.asarray(idx.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
