"""Situations planted in the demo store for the daily brief to find, each with a control.

Every planted situation changes only its own rows, after the processes that drew them, so no
other table moves:

* **falling ROAS** — the paid channel with the most spend pays ``roas_factor`` times as much over
  the last ``window_days`` days for the same impressions, clicks and customers (CPM inflation,
  e.g. a bidding war), so its ROAS falls to about ``1 / roas_factor`` of its level; the other paid
  channels are the controls.
* **stock-out risk** — the most popular SKU at ``uk_warehouse`` stops being reordered
  ``window_days`` days before the end and its open orders are cancelled, leaving about
  ``cover_days`` days of stock and nothing on order at the end; the second most popular SKU is
  the control, restocked to comfortably more than its lead time.
* **VIP at risk** — the customer with the highest spend among those with at least six orders
  and an order in the last 30 days stops buying: their orders (lines, purchase events and
  tickets) after ``vip_quiet_days`` days before the end are removed. The next such customer is
  the control, still active.

``demo_truth`` rows with domain ``planted`` name the subjects and the controls.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from shopscope.warehouse.demo.marketing import PaidPlan
from shopscope.warehouse.demo.params import PlantedParams

if TYPE_CHECKING:
    import duckdb

__all__ = ["Planted", "StockPlant", "plant_roas_drop", "plant_vip_at_risk", "stock_plant"]


@dataclass
class Planted:
    """What was planted in one run (None where the history was too short to plant it)."""

    roas_channel: str | None = None
    roas_controls: tuple[str, ...] = ()
    stock_at_risk: str | None = None
    stock_control: str | None = None
    vip: str | None = None
    vip_control: str | None = None

    def truth_rows(self, params: PlantedParams) -> list[tuple[str, str, str, float | None, str]]:
        """The ``demo_truth`` rows of domain ``planted``."""
        w = params.window_days
        rows: list[tuple[str, str, str, float | None, str]] = []
        if self.roas_channel:
            rows.append(
                (
                    "planted",
                    "roas_drop",
                    self.roas_channel,
                    params.roas_factor,
                    f"spend x{params.roas_factor} over the last {w} days, same customers",
                )
            )
            rows += [
                ("planted", "roas_control", c, None, "spend as drawn") for c in self.roas_controls
            ]
        if self.stock_at_risk:
            rows.append(
                (
                    "planted",
                    "stockout_risk",
                    self.stock_at_risk,
                    params.cover_days,
                    "uk_warehouse: days of cover left at the end, nothing on order",
                )
            )
        if self.stock_control:
            rows.append(
                (
                    "planted",
                    "stock_control",
                    self.stock_control,
                    None,
                    "uk_warehouse: lead time + 30 days of cover at the end",
                )
            )
        if self.vip:
            rows.append(
                (
                    "planted",
                    "vip_at_risk",
                    self.vip,
                    float(params.vip_quiet_days),
                    "top recently active customer, silent for the last N days",
                )
            )
        if self.vip_control:
            rows.append(("planted", "vip_control", self.vip_control, None, "still active"))
        return rows  # fmt: skip


@dataclass(frozen=True)
class StockPlant:
    """Which simulated stock columns to plant (indices into the inventory simulation)."""

    at_risk: int
    control: int
    first_day: int


def stock_plant(
    popularity: npt.NDArray[np.float64],
    sku: npt.NDArray[np.int64],
    loc: npt.NDArray[np.int64],
    days: int,
    params: PlantedParams,
) -> StockPlant | None:
    """The UK stock columns of the two most popular SKUs (None for very short histories)."""
    if days < 3 * params.window_days:
        return None
    uk = np.flatnonzero(loc == 0)
    ranked = uk[np.argsort(-popularity[sku[uk]], kind="stable")]
    return StockPlant(int(ranked[0]), int(ranked[1]), days - params.window_days)


def plant_roas_drop(plan: PaidPlan, params: PlantedParams) -> tuple[PaidPlan, str | None]:
    """``plan`` with the biggest paid channel's spend scaled over the last window; its name.

    Customers, impressions and clicks stay as drawn from the unscaled spend.
    """
    days = plan.channel_spend.shape[1]
    if days < 3 * params.window_days:
        return plan, None
    ci = int(np.argmax(plan.channel_spend.sum(axis=1)))
    window = slice(days - params.window_days, days)
    campaigns = [c.copy() for c in plan.campaign_spend]
    campaigns[ci][window] = np.round(campaigns[ci][window] * params.roas_factor, 2)
    totals = plan.channel_spend.copy()
    totals[ci] = campaigns[ci].sum(axis=1)
    planted = dataclasses.replace(plan, campaign_spend=tuple(campaigns), channel_spend=totals)
    return planted, plan.curves[ci].channel


def plant_vip_at_risk(
    con: duckdb.DuckDBPyConnection, days: int, params: PlantedParams
) -> tuple[str, str] | None:
    """Silence the top recently active VIP (see the module docstring); ``(vip, control)``."""
    if days < 2 * params.vip_quiet_days:
        return None
    rows = con.execute(
        """
        WITH sales AS (
            SELECT customer_id, count(*) AS n, sum(gross_amount) AS value, max(ordered_at) AS last
            FROM orders
            WHERE customer_id IS NOT NULL AND status NOT IN ('cancelled', 'returned', 'refunded')
            GROUP BY customer_id
        )
        SELECT customer_id FROM sales, (SELECT max(ordered_at) AS end_ts FROM orders)
        WHERE n >= 6 AND last >= end_ts - INTERVAL 30 DAY
        ORDER BY value DESC, customer_id
        LIMIT 2
        """
    ).fetchall()
    if len(rows) < 2:
        return None
    vip, control = str(rows[0][0]), str(rows[1][0])
    end = con.execute("SELECT max(ordered_at) FROM orders").fetchone()
    assert end is not None
    cut = end[0] - dt.timedelta(days=params.vip_quiet_days)
    gone = "SELECT order_id FROM orders WHERE customer_id = $vip AND ordered_at > $cut"
    args = {"vip": vip, "cut": cut}
    con.execute(f"DELETE FROM order_items WHERE order_id IN ({gone})", args)
    con.execute(
        f"DELETE FROM events WHERE order_id IN ({gone}) "
        "OR (customer_id = $vip AND occurred_at > $cut)",
        args,
    )
    con.execute(f"DELETE FROM tickets WHERE order_id IN ({gone})", args)
    con.execute("DELETE FROM orders WHERE customer_id = $vip AND ordered_at > $cut", args)
    return vip, control
