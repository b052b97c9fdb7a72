"""Pick-list batching and pick paths for a day's orders.

The day's sold lines come from the engine; each SKU's slot comes from a
:class:`~.slotting.SlottingPlan` (SKUs without a slot are listed, not picked). Orders are
batched with the seed algorithm (De Koster, Van der Poort & Wolters 1999): a batch starts
from the unbatched order whose farthest aisle is farthest (the seed) and repeatedly adds the
order that opens the fewest new aisles (ties: more shared aisles, then order id) while the
cart holds at most ``max_orders`` orders and ``max_units`` units. Each batch is walked with
the S-shape route of :func:`~.layout.s_shape`; the plan reports the distance of the batches
and of picking each order on its own.

References
----------
.. [1] De Koster, M. B. M., Van der Poort, E. S., & Wolters, M. (1999). Efficient
   orderbatching methods in warehouses. *International Journal of Production Research*,
   37(7), 1479-1504.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from shopscope.errors import InvalidInputError
from shopscope.insight.periods import DateRange
from shopscope.supply.assortment.sales import sold_lines
from shopscope.supply.warehousing.layout import Layout, Slot, s_shape

if TYPE_CHECKING:
    from shopscope.supply.warehousing.slotting import SlottingPlan
    from shopscope.warehouse.connection import Warehouse

__all__ = ["PickBatch", "PickPlan", "PickStop", "batch_orders", "pick_plan"]


@dataclass(frozen=True)
class PickStop:
    """One stop of a pick path: a slot, the SKU there and how many units for which orders."""

    sequence: int
    slot: str
    sku: str
    quantity: int
    orders: tuple[str, ...]


@dataclass(frozen=True)
class PickBatch:
    """One cart trip: its orders, units, S-shape distance and the pick path."""

    batch: int
    orders: tuple[str, ...]
    units: int
    distance_m: float
    stops: tuple[PickStop, ...]


@dataclass(frozen=True)
class PickPlan:
    """The day's batches and what batching saves over picking order by order."""

    day: date
    orders: int
    lines: int
    batches: tuple[PickBatch, ...]
    distance_m: float
    single_order_distance_m: float
    unslotted_skus: tuple[str, ...]

    def pick_list(self) -> list[dict[str, object]]:
        """One row per stop: batch, sequence, slot, SKU, quantity and the orders it serves."""
        return [
            {
                "batch": b.batch,
                "sequence": s.sequence,
                "slot": s.slot,
                "sku": s.sku,
                "quantity": s.quantity,
                "orders": " ".join(s.orders),
            }
            for b in self.batches
            for s in b.stops
        ]


def batch_orders(
    aisles: dict[str, set[int]],
    units: dict[str, int],
    *,
    max_orders: int = 8,
    max_units: int = 60,
) -> list[list[str]]:
    """Seed batching over orders described by their aisle sets (see the module docstring).

    An order above ``max_units`` on its own gets a batch of its own.
    """
    if max_orders < 1 or max_units < 1:
        raise InvalidInputError("max_orders and max_units must be >= 1.")
    left = set(aisles)
    batches: list[list[str]] = []
    while left:
        seed = max(left, key=lambda o: (max(aisles[o], default=-1), len(aisles[o]), o))
        batch, covered, load = [seed], set(aisles[seed]), units[seed]
        left.remove(seed)
        while len(batch) < max_orders:
            fits = [o for o in left if load + units[o] <= max_units]
            if not fits:
                break
            best = min(fits, key=lambda o: (len(aisles[o] - covered), -len(aisles[o] & covered), o))
            batch.append(best)
            covered |= aisles[best]
            load += units[best]
            left.remove(best)
        batches.append(sorted(batch))
    return batches


def pick_plan(
    wh: Warehouse,
    day: date,
    slots: SlottingPlan,
    *,
    max_orders: int = 8,
    max_units: int = 60,
) -> PickPlan:
    """Batches and S-shape pick paths for the orders placed on ``day``.

    Parameters
    ----------
    wh
        The warehouse.
    day
        Orders placed this day are picked.
    slots
        Where each SKU is (e.g. :func:`~.slotting.slotting`).
    max_orders, max_units
        Cart capacity: orders (totes) and units per batch.
    """
    layout: Layout = slots.layout
    lines = sold_lines(wh, DateRange(day, day))
    rows = (
        lines.group_by(["order_id", "sku"])
        .aggregate(quantity=lines.quantity.sum())
        .order_by(["order_id", "sku"])
        .to_pyarrow()
        .to_pylist()
    )
    where = slots.slot_of
    unslotted = sorted({r["sku"] for r in rows if r["sku"] not in where})
    by_order: dict[str, list[tuple[str, int]]] = {}
    for r in rows:
        if r["sku"] in where:
            by_order.setdefault(r["order_id"], []).append((r["sku"], int(r["quantity"])))
    aisles = {o: {where[s].aisle for s, _ in v} for o, v in by_order.items()}
    units = {o: sum(q for _, q in v) for o, v in by_order.items()}
    groups = batch_orders(aisles, units, max_orders=max_orders, max_units=max_units)
    batches: list[PickBatch] = []
    total = 0.0
    for k, group in enumerate(groups, start=1):
        need: dict[str, tuple[int, list[str]]] = {}
        for o in group:
            for sku, q in by_order[o]:
                qty, who = need.get(sku, (0, []))
                need[sku] = (qty + q, [*who, o])
        order, dist = s_shape(layout, [where[s] for s in need])
        sku_at: dict[Slot, str] = {where[s]: s for s in need}
        stops = tuple(
            PickStop(i + 1, sl.code, sku_at[sl], need[sku_at[sl]][0], tuple(need[sku_at[sl]][1]))
            for i, sl in enumerate(order)
        )
        batches.append(PickBatch(k, tuple(group), sum(units[o] for o in group), dist, stops))
        total += dist
    single = sum(s_shape(layout, [where[s] for s, _ in v])[1] for v in by_order.values())
    return PickPlan(
        day,
        len(by_order),
        sum(len(v) for v in by_order.values()),
        tuple(batches),
        total,
        single,
        tuple(unslotted),
    )
