"""Stock history from the ``inventory`` table, computed in the engine.

Demand at a location is read from its own stock movements, because orders do not say which
warehouse shipped them. With end-of-day snapshots, per SKU and location::

    receipts_t  = max(on_order_(t-1) - on_order_t, 0)          (orders that arrived)
    depletion_t = max(on_hand_(t-1) + receipts_t - on_hand_t, 0)  (units that left the shelf)

A day that ends with ``on_hand <= 0`` is a stock-out day: its depletion is censored (demand may
have been higher). An order placed on the day another arrives hides part of that receipt, so
depletion is a slight underestimate on such days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import ibis
import numpy as np
import pyarrow as pa

from shopscope.errors import InvalidInputError, NotFoundError
from shopscope.supply.forecast.series import DemandPanel
from shopscope.warehouse.connection import Warehouse

__all__ = ["SEP", "StockHistory", "snapshot_at", "stock_history", "stock_summary"]

SEP = "@"
"""Separator of SKU and location in series ids (``"TEA-0012@uk_warehouse"``)."""


@dataclass(frozen=True)
class StockHistory:
    """Location demand as a panel (ids ``"sku@location"``) and the snapshot on its last day.

    ``snapshot`` has one row per series id, in the panel's order: ``sku, location, on_hand,
    on_order, lead_time_days, moq, pack_size, unit_cost``.
    """

    panel: DemandPanel
    snapshot: pa.Table


def _filtered(
    wh: Warehouse, end: date | None, skus: tuple[str, ...] | None, location: str | None
) -> ibis.Table:
    inv = wh.table("inventory")
    if end is not None:
        inv = inv.filter(inv.date <= end)
    if skus is not None:
        inv = inv.filter(inv.sku.isin(list(skus)))
    if location is not None:
        inv = inv.filter(inv.location == location)
    return inv


def _ids(table: pa.Table) -> list[str]:
    skus = table.column("sku").to_pylist()
    locations = table.column("location").to_pylist()
    return [f"{s}{SEP}{loc}" for s, loc in zip(skus, locations, strict=True)]


def stock_history(
    wh: Warehouse,
    *,
    end: date | None = None,
    skus: tuple[str, ...] | None = None,
    location: str | None = None,
) -> StockHistory:
    """Depletion demand per SKU and location up to ``end`` (default: the last snapshot).

    Raises
    ------
    NotFoundError
        No inventory snapshots (load them with ``shopscope ingest``; the demo store has them).
    """
    inv = _filtered(wh, end, skus, location)
    snapshot = snapshot_at(wh, inv)
    if snapshot.num_rows == 0:
        where = f" for location {location!r}" if location else ""
        raise NotFoundError(
            f"No inventory snapshots{where}{' up to ' + str(end) if end else ''}. Load the "
            "inventory table (`shopscope ingest`, or `shopscope demo`) to plan replenishment."
        )
    w = ibis.window(group_by=[inv.sku, inv.location], order_by=inv.date)
    prev_hand = inv.on_hand.lag().over(w)
    prev_order = inv.on_order.fill_null(0).lag().over(w)
    receipts = ibis.greatest(prev_order - inv.on_order.fill_null(0), 0)
    depletion = ibis.greatest(prev_hand + receipts - inv.on_hand, 0).fill_null(0)
    moves = inv.mutate(depletion=depletion, out=inv.on_hand <= 0)
    moves = moves.filter((moves.depletion > 0) | moves.out)
    data = moves.select("sku", "location", "date", "depletion", "out").to_pyarrow()
    span = inv.aggregate(lo=inv.date.min(), hi=inv.date.max()).to_pyarrow()
    first, last = span.column("lo")[0].as_py(), span.column("hi")[0].as_py()
    ids = tuple(_ids(snapshot))
    index = {k: i for i, k in enumerate(ids)}
    periods = (last - first).days + 1
    values = np.zeros((len(ids), periods))
    censored = np.zeros((len(ids), periods), bool)
    if data.num_rows:
        r = np.array([index[k] for k in _ids(data)], dtype=np.int64)
        c = np.array([(d - first).days for d in data.column("date").to_pylist()], np.int64)
        values[r, c] = data.column("depletion").to_numpy(zero_copy_only=False)
        censored[r, c] = data.column("out").to_numpy(zero_copy_only=False)
    panel = DemandPanel(ids, first, "day", values, censored, np.zeros(periods, bool))
    return StockHistory(panel, snapshot)


def snapshot_at(wh: Warehouse, inv: ibis.Table) -> pa.Table:
    """The last snapshot of each SKU/location in ``inv``, with the product's unit cost,
    ordered by SKU and location."""
    last = inv.group_by("sku", "location").aggregate(last_date=inv.date.max())
    snap = inv.join(
        last,
        [inv.sku == last.sku, inv.location == last.location, inv.date == last.last_date],
    )
    snap = snap.select(
        "sku", "location", "on_hand", "on_order", "lead_time_days", "moq", "pack_size"
    )
    products = wh.table("products").select("sku", "unit_cost")
    snap = snap.left_join(products, snap.sku == products.sku).drop("sku_right")
    table = snap.order_by(["sku", "location"]).to_pyarrow()
    keys = _ids(table)
    if len(set(keys)) != len(keys):
        raise InvalidInputError(
            "The inventory table has several rows for one SKU, location and day; each "
            "(date, sku, location) must appear once. Re-ingest the snapshot."
        )
    return table


def stock_summary(wh: Warehouse, start: date, end: date, ids: tuple[str, ...]) -> pa.Table:
    """Actual behaviour over ``[start, end]`` per id: mean on hand and stock-out days."""
    inv = wh.table("inventory")
    inv = inv.filter((inv.date >= start) & (inv.date <= end))
    agg = inv.group_by("sku", "location").aggregate(
        mean_on_hand=inv.on_hand.clip(lower=0).mean(),
        stockout_days=(inv.on_hand <= 0).cast("int64").sum(),
        days=inv.count(),
    )
    table = agg.to_pyarrow()
    order = {k: i for i, k in enumerate(_ids(table))}
    take = [order.get(k) for k in ids]
    return table.take(pa.array(take, pa.int64()))
