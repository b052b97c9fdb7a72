"""Monthly targets and channel budgets of the demo store (the ``targets`` table).

For every month of the history (the first and last may be partial):

* **net revenue** and **orders**: ``ambition`` (1.05) × the month's level, where the level is
  the month's realised daily average (``insight.kpis`` definitions) × its days.
  The shop plans 5% above what it does, so it runs about 5% behind target: within the ±10%
  pacing tolerance, so no month is *behind*.
* **ad budgets**, one per paid channel: the channel's *planned* spend (the paid plan before any
  planted situation) as a daily average × the month's days, rounded to a unit. Every control
  channel spends exactly its plan, so it is on pace; the channel of the planted ROAS drop
  spends ``roas_factor`` (1.8) times its plan over the last ``window_days`` (28) days, so it is
  **over budget**. ``demo_truth`` records that (domain ``planted``: ``budget_overspend`` and one
  ``budget_control`` per other paid channel) and the ambition (domain ``targets``).

Nothing here is random, so no other table changes.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from shopscope.warehouse.demo.marketing import PaidPlan
from shopscope.warehouse.demo.params import PlantedParams
from shopscope.warehouse.demo.timeline import Timeline

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = ["AMBITION", "write_demo_targets"]

AMBITION = 1.05
_NOTE = "demo: {:.2f} x the month's realised level"


def _months(timeline: Timeline) -> list[tuple[dt.date, int, int]]:
    """``(first day, first index, stop index)`` of each month the history touches."""
    out: list[tuple[dt.date, int, int]] = []
    day = timeline.start
    while day <= timeline.end:
        first = day.replace(day=1)
        last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        i0 = (day - timeline.start).days
        i1 = min((last - timeline.start).days + 1, timeline.days)
        out.append((first, i0, i1))
        day = last + dt.timedelta(days=1)
    return out


def _sales(wh: Warehouse, timeline: Timeline) -> dict[dt.date, tuple[float, float]]:
    """Net revenue and orders per month, as ``insight.kpis`` defines them."""
    from shopscope.insight.periods import DateRange
    from shopscope.insight.timeseries import series_table

    period = DateRange(timeline.start, timeline.end)
    t = series_table(wh, period, grain="month", kpis=("net_revenue", "orders"))
    return {
        r["bucket"]: (float(r["net_revenue"] or 0.0), float(r["orders"] or 0.0))
        for r in t.to_pyarrow().to_pylist()
    }


def write_demo_targets(
    wh: Warehouse,
    write_truth: Callable[[str, pa.Table], None],
    plan: PaidPlan,
    timeline: Timeline,
    overspent: str | None,
    params: PlantedParams,
) -> int:
    """Replace ``targets`` with the demo's (see the module docstring); rows written.

    ``plan`` is the paid plan *before* planting; ``overspent`` the channel of the planted ROAS
    drop (None when the history was too short to plant it). ``write_truth(table, rows)``
    appends the ``demo_truth`` rows.
    """
    sales = _sales(wh, timeline)
    con = wh.duckdb
    now = dt.datetime(timeline.end.year, timeline.end.month, timeline.end.day)
    rows: list[tuple[str, str | None, dt.date, float, str]] = []
    for first, i0, i1 in _months(timeline):
        n = calendar.monthrange(first.year, first.month)[1]
        covered = i1 - i0
        revenue, orders = sales.get(first, (0.0, 0.0))
        note = _NOTE.format(AMBITION)
        rows.append(("net_revenue", None, first, round(AMBITION * revenue / covered * n, 2), note))
        rows.append(("orders", None, first, float(round(AMBITION * orders / covered * n)), note))
        for k, curve in enumerate(plan.curves):
            daily = float(np.mean(plan.channel_spend[k, i0:i1]))
            budget = float(round(daily * n))
            rows.append(("ad_spend", curve.channel, first, budget, "demo: planned spend level"))
    con.execute("DELETE FROM targets")
    con.executemany(
        "INSERT INTO targets (metric, channel, month, value, note, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(*r, now) for r in rows],
    )
    truth: list[tuple[str, str, str, float | None, str]] = [
        ("targets", "ambition", "", AMBITION, "net revenue and order targets / realised level")
    ]
    if overspent is not None:
        truth.append(
            ("planted", "budget_overspend", overspent, params.roas_factor,
             f"spends x{params.roas_factor} its budget over the last {params.window_days} days")
        )  # fmt: skip
        truth += [
            ("planted", "budget_control", c.channel, None, "spends its budget")
            for c in plan.curves
            if c.channel != overspent
        ]
    cols = list(zip(*truth, strict=True))
    write_truth(
        "demo_truth",
        pa.table(
            {
                "domain": pa.array(cols[0], pa.string()),
                "name": pa.array(cols[1], pa.string()),
                "key": pa.array(cols[2], pa.string()),
                "value": pa.array(cols[3], pa.float64()),
                "text": pa.array(cols[4], pa.string()),
            }
        ),
    )
    return len(rows)
