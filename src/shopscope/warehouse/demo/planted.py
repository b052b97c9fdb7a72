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
* **falling demand** — the most popular product SKU (other than the stock-out subject and its
  control) loses ``trend_drop`` of its sale lines over the last ``trend_days`` days (every
  line but an evenly spaced remainder, among sale orders that were not returned): a line is
  removed from its order (the order's amounts, its purchase event and line numbers follow), an
  order left without products is removed with its events and tickets. Its demand falls well
  below its forecast and its own previous weeks; the next most popular SKU is the control.

``demo_truth`` rows with domain ``planted`` name the subjects and the controls.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from shopscope.warehouse.demo.marketing import PaidPlan
from shopscope.warehouse.demo.params import PlantedParams

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "Planted",
    "StockPlant",
    "plant_demand_drop",
    "plant_roas_drop",
    "plant_vip_at_risk",
    "stock_plant",
]


@dataclass
class Planted:
    """What was planted in one run (None where the history was too short to plant it)."""

    roas_channel: str | None = None
    roas_controls: tuple[str, ...] = ()
    stock_at_risk: str | None = None
    stock_control: str | None = None
    vip: str | None = None
    vip_control: str | None = None
    demand_drop: str | None = None
    demand_control: str | None = None

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
        if self.demand_drop:
            rows.append(
                (
                    "planted",
                    "demand_drop",
                    self.demand_drop,
                    params.trend_drop,
                    f"share of its sale lines removed over the last {params.trend_days} days",
                )
            )
        if self.demand_control:
            rows.append(("planted", "demand_control", self.demand_control, None, "as drawn"))
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


def plant_demand_drop(
    con: duckdb.DuckDBPyConnection,
    days: int,
    params: PlantedParams,
    exclude: tuple[str | None, ...] = (),
) -> tuple[str, str] | None:
    """Remove ``trend_drop`` of the top product SKU's recent sale lines; ``(sku, control)``."""
    if days < 3 * params.window_days:
        return None
    skip = [s for s in exclude if s]
    ranked = con.execute(
        """
        SELECT i.sku FROM order_items i
        JOIN orders o USING (order_id) JOIN products p USING (sku)
        WHERE p.item_kind = 'product' AND i.quantity > 0
          AND o.status NOT IN ('cancelled', 'returned', 'refunded')
          AND NOT list_contains($skip, i.sku)
        GROUP BY i.sku ORDER BY count(*) DESC, i.sku LIMIT 2
        """,
        {"skip": skip},
    ).fetchall()
    if len(ranked) < 2:
        return None
    sku, control = str(ranked[0][0]), str(ranked[1][0])
    end = con.execute("SELECT max(ordered_at) FROM orders").fetchone()
    assert end is not None
    cut = dt.datetime.combine(end[0].date() - dt.timedelta(days=params.trend_days - 1), dt.time())
    lines = con.execute(
        """
        SELECT i.order_id, i.line_no, i.quantity * i.unit_price, coalesce(i.discount_amount, 0),
               (SELECT count(*) FROM order_items j JOIN products q USING (sku)
                WHERE j.order_id = i.order_id AND q.item_kind = 'product') AS products
        FROM order_items i JOIN orders o USING (order_id)
        WHERE i.sku = $sku AND i.quantity > 0 AND o.ordered_at >= $cut
          AND o.status NOT IN ('cancelled', 'returned', 'refunded')
          AND NOT EXISTS (SELECT 1 FROM orders r WHERE r.order_id = 'R' || o.order_id[2:])
        ORDER BY o.ordered_at, i.order_id, i.line_no
        """,
        {"sku": sku, "cut": cut},
    ).fetchall()
    kept = np.floor(np.arange(len(lines) + 1) * (1.0 - params.trend_drop))
    gone = [line for k, line in enumerate(lines) if kept[k + 1] == kept[k]]  # a remainder stays
    per_order: dict[str, int] = {}
    for line in gone:
        per_order[line[0]] = per_order.get(line[0], 0) + 1
    table = pa.table(
        {
            "order_id": [g[0] for g in gone],
            "line_no": pa.array([g[1] for g in gone], pa.int64()),
            "gross": pa.array([round(g[2], 2) for g in gone], pa.float64()),
            "discount": pa.array([round(g[3], 2) for g in gone], pa.float64()),
            "whole": pa.array([per_order[g[0]] >= g[4] for g in gone], pa.bool_()),
        }
    )
    con.register("planted_gone", table)
    try:
        _remove_lines(con)
    finally:
        con.unregister("planted_gone")
    return sku, control


def _remove_lines(con: duckdb.DuckDBPyConnection) -> None:
    """Apply the removals listed in ``planted_gone`` (set-based: fast on the large demo)."""
    whole = "SELECT order_id FROM planted_gone WHERE whole"
    for table in ("order_items", "events", "tickets", "orders"):
        con.execute(f"DELETE FROM {table} WHERE order_id IN ({whole})")
    con.execute(
        "CREATE TEMP TABLE planted_part AS SELECT * FROM planted_gone WHERE NOT whole; "
        "DELETE FROM order_items WHERE (order_id, line_no) IN "
        "(SELECT (order_id, line_no) FROM planted_part); "
        "UPDATE order_items SET line_no = line_no - (SELECT count(*) FROM planted_part g "
        "  WHERE g.order_id = order_items.order_id AND g.line_no < order_items.line_no) "
        "WHERE order_id IN (SELECT order_id FROM planted_part); "
        "UPDATE orders SET gross_amount = round(orders.gross_amount - s.gross, 2), "
        "  discount_amount = round(orders.discount_amount - s.discount, 2) "
        "FROM (SELECT order_id, sum(gross) AS gross, sum(discount) AS discount "
        "      FROM planted_part GROUP BY 1) s WHERE orders.order_id = s.order_id; "
        "UPDATE events SET revenue = round(events.revenue - s.net, 2) "
        "FROM (SELECT order_id, sum(gross - discount) AS net FROM planted_part GROUP BY 1) s "
        "WHERE events.order_id = s.order_id AND events.event_type = 'purchase'; "
        "DROP TABLE planted_part"
    )
