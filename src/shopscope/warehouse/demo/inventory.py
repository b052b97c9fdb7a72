"""Daily stock snapshots per SKU and warehouse, driven by the generated sales.

Each SKU is stocked at ``uk_warehouse``; about 60% (the more popular ones more often) also at
``cn_warehouse``. Demand at a warehouse is the units of non-cancelled product lines shipped from
it each day (orders to China of SKUs not stocked there ship from the UK); returned units go back
on the shelf on the return day. Replenishment is a continuous-review ``(s, Q)`` policy::

    s = mu * L + k * sigma * sqrt(L)        Q = max(moq, 30 * mu) rounded up to pack_size

with ``mu``, ``sigma`` the SKU's daily demand mean and standard deviation, lead time ``L`` days
and a safety factor ``k ~ U(-0.5, 2)``; low ``k`` produces stock-outs. Unmet demand is
backordered (on_hand floors at 0).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from shopscope.warehouse.demo.catalog import Catalog
from shopscope.warehouse.demo.columns import canonical_table, vocab_take
from shopscope.warehouse.demo.orders import OrderChunk
from shopscope.warehouse.demo.params import DemoParams, PlantedParams
from shopscope.warehouse.demo.planted import StockPlant, stock_plant
from shopscope.warehouse.demo.timeline import US_PER_DAY, Timeline

__all__ = ["LOCATIONS", "DemandLedger", "inventory_tables"]

IntArray = npt.NDArray[np.int64]

LOCATIONS = ("uk_warehouse", "cn_warehouse")
_LEAD_TIMES = np.array([7.0, 10.0, 14.0, 21.0, 30.0, 45.0])
_MOQ = np.array([0, 12, 24, 50, 100])
_PACK = np.array([1, 6, 12, 24])


@dataclass
class DemandLedger:
    """Units shipped (positive) or returned (negative) per location, SKU and day."""

    n_products: int
    days: int
    units: npt.NDArray[np.int64]

    @classmethod
    def empty(cls, n_products: int, days: int) -> DemandLedger:
        """A ledger with no movements."""
        return cls(n_products, days, np.zeros(len(LOCATIONS) * n_products * days, np.int64))

    def add(self, orders: OrderChunk, timeline: Timeline, params: DemoParams) -> None:
        """Record a chunk's product lines (cancelled orders excluded)."""
        o = orders.line_order
        ok = orders.status[o] != 5
        loc_of_depot = np.array([LOCATIONS.index(d.location) for d in params.depots])
        loc = loc_of_depot[orders.depot[o[ok]]]
        day = (orders.ts_us[o[ok]] - timeline.start_us) // US_PER_DAY
        flat = (loc * self.n_products + orders.line_sku[ok]) * self.days + day
        counts = np.bincount(flat, weights=orders.line_qty[ok], minlength=self.units.size)
        self.units += np.round(counts).astype(np.int64)

    def matrix(self) -> npt.NDArray[np.int64]:
        """Array ``(location, sku, day)``."""
        return self.units.reshape(len(LOCATIONS), self.n_products, self.days)


def inventory_tables(
    rng: np.random.Generator,
    ledger: DemandLedger,
    catalog: Catalog,
    timeline: Timeline,
    *,
    block_days: int = 60,
    planted: PlantedParams | None = None,
    record: dict[str, str] | None = None,
) -> Iterator[pa.Table]:
    """Simulate stock and yield ``inventory`` tables, ``block_days`` days at a time.

    With ``planted``, the stock-out situation of :mod:`~shopscope.warehouse.demo.planted` is
    planted; the SKUs involved are written to ``record`` (``at_risk``, ``control``).
    """
    demand = ledger.matrix().copy()
    n = catalog.n
    rank = np.argsort(np.argsort(-catalog.popularity))
    cn_stocked = rng.random(n) < np.clip(0.9 - 0.6 * rank / n, 0.2, 0.9)
    demand[0, ~cn_stocked] += demand[1, ~cn_stocked]
    demand[1, ~cn_stocked] = 0
    stocked = np.concatenate([np.ones(n, bool), cn_stocked])
    dem = demand.reshape(2 * n, timeline.days)[stocked]
    sku = np.concatenate([np.arange(n), np.arange(n)])[stocked]
    loc = np.concatenate([np.zeros(n, np.int64), np.ones(n, np.int64)])[stocked]
    m = sku.size

    mu = np.maximum(dem.clip(min=0).mean(axis=1), 0.02)
    sigma = np.maximum(dem.clip(min=0).std(axis=1), 0.2)
    lead = _LEAD_TIMES[rng.integers(0, _LEAD_TIMES.size, m)] + np.where(loc == 1, 0.0, 7.0)
    moq = _MOQ[rng.integers(0, _MOQ.size, m)]
    pack = _PACK[rng.integers(0, _PACK.size, m)]
    k = rng.uniform(-0.5, 2.0, m)
    reorder = mu * lead + k * sigma * np.sqrt(lead)
    qty = np.maximum(moq, np.ceil(30 * mu))
    qty = (np.ceil(qty / pack) * pack).astype(np.int64)
    lead_days = lead.astype(np.int64)

    on_hand = np.maximum(np.round(reorder + qty / 2), 0).astype(np.int64)
    on_order = np.zeros(m, np.int64)
    arrivals = np.zeros((timeline.days + int(lead_days.max()) + 1, m), np.int64)
    cols = np.arange(m)
    dates = np.arange(np.datetime64(timeline.start, "D"), np.datetime64(timeline.end, "D") + 1)
    sku_codes = catalog.skus.take(pa.array(sku))
    hand_block: list[IntArray] = []
    order_block: list[IntArray] = []
    first_day = 0
    plant = stock_plant(catalog.popularity, sku, loc, timeline.days, planted) if planted else None
    frozen = np.zeros(m, bool)
    if plant is not None and record is not None:
        record["at_risk"] = str(catalog.sku_list[sku[plant.at_risk]])
        record["control"] = str(catalog.sku_list[sku[plant.control]])
    for d in range(timeline.days):
        on_hand += arrivals[d]
        on_order -= arrivals[d]
        if plant is not None and planted is not None and d == plant.first_day:
            _plant_stock(plant, planted, dem, lead, on_hand, on_order, arrivals, frozen)
        on_hand = np.maximum(on_hand - dem[:, d], 0)
        trigger = (on_hand + on_order <= reorder) & ~frozen
        arrivals[d + lead_days[trigger], cols[trigger]] += qty[trigger]
        on_order += np.where(trigger, qty, 0)
        hand_block.append(on_hand.copy())
        order_block.append(on_order.copy())
        if len(hand_block) == block_days or d == timeline.days - 1:
            nd = len(hand_block)
            yield canonical_table(
                "inventory",
                {
                    "date": pa.array(np.repeat(dates[first_day : first_day + nd], m), pa.date32()),
                    "sku": pa.chunked_array([sku_codes] * nd).combine_chunks(),
                    "location": vocab_take(LOCATIONS, np.tile(loc, nd)),
                    "on_hand": np.concatenate(hand_block),
                    "on_order": np.concatenate(order_block),
                    "lead_time_days": np.tile(lead, nd),
                    "moq": np.tile(moq, nd),
                    "pack_size": np.tile(pack, nd),
                },
            )
            first_day += nd
            hand_block, order_block = [], []


def _plant_stock(
    plant: StockPlant,
    params: PlantedParams,
    dem: IntArray,
    lead: npt.NDArray[np.float64],
    on_hand: IntArray,
    on_order: IntArray,
    arrivals: IntArray,
    frozen: npt.NDArray[np.bool_],
) -> None:
    """Stop reordering two SKUs; leave ``cover_days`` (at risk) or lead + 30 days (control)."""
    d = plant.first_day
    for col, cover in ((plant.at_risk, params.cover_days), (plant.control, None)):
        rest = dem[col, d:].clip(min=0)
        recent = max(float(rest.mean()), 0.1)
        days_left = cover if cover is not None else float(lead[col]) + 30.0
        on_hand[col] = int(rest.sum()) + int(np.ceil(days_left * recent))
        on_order[col] = 0
        arrivals[d:, col] = 0
        frozen[col] = True
