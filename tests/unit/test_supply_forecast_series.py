"""Demand panels built in the engine from the demo store, checked against plain SQL and truth."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta

import numpy as np
import pytest

from shopscope.errors import InvalidInputError, NotFoundError
from shopscope.supply.forecast import demand_panel

SALE_UNITS = """
SELECT i.sku, CAST(o.ordered_at AS DATE) AS day, sum(i.quantity) AS units
FROM order_items i JOIN orders o USING (order_id) LEFT JOIN products p USING (sku)
WHERE i.quantity > 0 AND o.status NOT IN ('cancelled', 'returned', 'refunded')
  AND coalesce(p.item_kind, 'product') IN ('product', 'gift_card')
GROUP BY ALL
"""


def test_sku_panel_matches_sql(demo_wh):
    panel = demand_panel(demo_wh)
    rows = demo_wh.duckdb.execute(SALE_UNITS).fetchall()
    expected = np.zeros_like(panel.values)
    index = {k: i for i, k in enumerate(panel.ids)}
    for sku, day, units in rows:
        expected[index[sku], (day - panel.start).days] = units
    assert np.array_equal(panel.values, expected)
    assert "SHIP-STD" not in panel.ids


def test_levels_and_grains_add_up(demo_wh):
    sku = demand_panel(demo_wh)
    total = demand_panel(demo_wh, level="total")
    category = demand_panel(demo_wh, level="category")
    week = demand_panel(demo_wh, level="total", grain="week")
    assert total.ids == ("total",)
    assert np.allclose(total.values[0], sku.values.sum(axis=0))
    assert np.allclose(category.values.sum(axis=0), total.values[0])
    assert week.start.weekday() == 0 and week.values.sum() == total.values.sum()
    top = demand_panel(demo_wh, top=5)
    assert len(top.ids) == 5
    assert top.values.sum(axis=1).min() >= np.sort(sku.values.sum(axis=1))[-5]


def test_stockouts_are_censored_days(demo_wh):
    panel = demand_panel(demo_wh)
    rows = demo_wh.duckdb.execute(
        "SELECT sku, date FROM inventory GROUP BY sku, date HAVING sum(on_hand) <= 0"
    ).fetchall()
    index = {k: i for i, k in enumerate(panel.ids)}
    expected = np.zeros_like(panel.censored)
    for sku, day in rows:
        if sku in index and 0 <= (day - panel.start).days < panel.periods:
            expected[index[sku], (day - panel.start).days] = True
    assert expected.any()
    assert np.array_equal(panel.censored, expected)
    assert not demand_panel(demo_wh, level="category").censored.any()


def test_promotion_days_match_the_demo_truth(demo_wh):
    panel = demand_panel(demo_wh)
    truth = demo_wh.duckdb.execute(
        "SELECT text FROM demo_truth WHERE domain = 'promotions' AND name = 'discount'"
    ).fetchall()
    planted = np.zeros(panel.periods, bool)
    for (window,) in truth:
        lo, hi = (date.fromisoformat(s) for s in window.split(".."))
        for k in range((hi - lo).days + 1):
            offset = (lo + timedelta(days=k) - panel.start).days
            if 0 <= offset < panel.periods:
                planted[offset] = True
    assert planted.sum() >= 20
    assert (panel.promo & planted).sum() >= 0.9 * planted.sum()
    assert (panel.promo & ~planted).sum() <= 2


def test_bad_requests(demo_wh):
    with pytest.raises(InvalidInputError, match="Unknown level"):
        demand_panel(demo_wh, level="brand")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="NOPE-1"):
        demand_panel(demo_wh, skus=("NOPE-1", "TEA-0001"))
    with pytest.raises(NotFoundError, match="No sale lines"):
        demand_panel(demo_wh, start=date(2030, 1, 1))


def test_forecast_command(demo_url, tmp_path):
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "shopscope", "-w", demo_url, *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )

    r = cli("forecast", "--level", "category", "--statsforecast-series", "0", "--horizon", "7",
            "--show", "forecast", "-f", "csv")  # fmt: skip
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "series_id,date,forecast,lower,upper,promo"
    assert len(lines) == 1 + 12 * 7
