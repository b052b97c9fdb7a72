"""Inventory policy and replenishment: formulas, the plan on the demo store, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

import numpy as np
import pyarrow.compute as pc
import pytest

from shopscope.errors import InvalidInputError, NotFoundError
from shopscope.supply.inventory import (
    PolicyConfig,
    days_of_cover,
    economic_order_quantity,
    fill_rate,
    replenishment_plan,
    safety_factor,
    safety_stock,
    safety_stock_for_fill_rate,
    stock_history,
)
from shopscope.supply.inventory.policy import round_order


def test_safety_stock_is_zero_at_half_and_grows_with_service():
    assert float(safety_stock(0.5, 3.0, 10)) == pytest.approx(0.0, abs=1e-12)
    levels = safety_stock(np.array([0.8, 0.9, 0.95, 0.99]), 3.0, 10)
    assert (np.diff(levels) > 0).all()


def test_eoq_minimises_ordering_plus_holding_cost():
    """Independent check: brute-force minimum of D S / Q + H Q / 2 over a fine grid."""
    d, s, h = 5_000.0, 40.0, 2.5
    grid = np.linspace(1, 2_000, 200_000)
    cost = d * s / grid + h * grid / 2
    assert float(economic_order_quantity(d, s, h)) == pytest.approx(grid[cost.argmin()], abs=0.02)
    assert np.isnan(economic_order_quantity(d, s, 0.0))


def test_fill_rate_target_inverts_fill_rate():
    ss = safety_stock_for_fill_rate(0.99, 40.0, 200.0)
    assert float(fill_rate(ss, 40.0, 200.0)) == pytest.approx(0.99, abs=1e-9)


def test_round_order_respects_moq_and_packs():
    qty = round_order(np.array([0.0, 3.0, 13.0, 30.0]), np.full(4, 12.0), np.full(4, 5.0))
    assert qty.tolist() == [0.0, 15.0, 15.0, 30.0]


def test_days_of_cover_walks_the_forecast_path():
    path = np.array([[1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    cover = days_of_cover(np.array([4.5, 3.0, 10.0]), path)
    assert cover[0] == pytest.approx(2 + 1.5 / 3.0)
    assert np.isinf(cover[1])
    assert cover[2] == pytest.approx(10.0)
    assert days_of_cover(np.array([0.0]), path[:1])[0] == 0.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"service_level": 1.0}, "strictly between 0 and 1"),
        ({"lead_time_cv": -0.1}, ">= 0"),
        ({"default_lead_time": 0.0}, "must be > 0"),
    ],
)
def test_invalid_policy(kwargs, match):
    with pytest.raises(InvalidInputError, match=match):
        PolicyConfig(**kwargs)


def test_invalid_formula_input():
    with pytest.raises(InvalidInputError, match="strictly between 0 and 1"):
        safety_factor(0.0)
    with pytest.raises(InvalidInputError, match="lead_time must be >= 0"):
        safety_stock(0.9, 1.0, -2.0)


@pytest.fixture(scope="module")
def plan(demo_wh):
    return replenishment_plan(demo_wh, location="uk_warehouse")


def test_plan_orders_follow_the_policy(plan):
    rows = plan.rows.to_pandas()
    assert (rows.location == "uk_warehouse").all() and len(rows) == 200
    due = rows[rows.order_qty > 0]
    assert len(due) > 0
    assert (due.position <= due.reorder_point).all()
    assert (due.order_qty >= due.moq).all()
    assert np.allclose(due.order_qty % due.pack_size, 0)
    assert (due.position + due.order_qty >= due.order_up_to - 1e-9).all()
    idle = rows[rows.order_qty == 0]
    assert ((idle.position > idle.reorder_point) | (idle.mean_daily_demand == 0)).all()
    gap = [(a - b).days for a, b in zip(due.arrival, due.order_by, strict=True)]
    assert np.array_equal(gap, np.ceil(due.lead_time_days))
    assert (rows.stockout_risk.between(0, 1)).all()
    assert plan.orders.num_rows == len(due)
    assert (rows.lead_time_source == "data").all()


def test_plan_safety_stock_uses_the_forecast_error(plan):
    rows = plan.rows.to_pandas()
    z, b = float(safety_factor(0.95)), plan.error_growth
    assert 0.5 <= b <= 1.0
    expected = z * rows.sigma_daily * rows.lead_time_days**b
    assert np.allclose(rows.safety_stock, expected)
    rop = np.ceil(rows.mean_daily_demand * rows.lead_time_days + expected - 1e-9)
    assert np.array_equal(rows.reorder_point, rop)


def _tiny_shop(wh, *, lead_time: str = "10", on_hand_last: int = 2):
    """Two SKUs, 200 days of stock at one location: A sells 2 a day, B never sells."""
    con = wh.duckdb
    con.execute("INSERT INTO products (sku, item_kind, unit_cost) VALUES ('A', 'product', 4.0)")
    con.execute("INSERT INTO products (sku, item_kind, unit_cost) VALUES ('B', 'product', 9.0)")
    con.execute(
        f"""
        INSERT INTO inventory (date, sku, location, on_hand, on_order, lead_time_days, moq,
                               pack_size)
        SELECT DATE '2026-01-01' + CAST(d AS INTEGER), 'A', 'main',
               CASE WHEN d = 199 THEN {on_hand_last} ELSE 400 - 2 * d END, 0, {lead_time}, 10, 5
        FROM range(200) t(d)
        UNION ALL
        SELECT DATE '2026-01-01' + CAST(d AS INTEGER), 'B', 'main', 40, 0, {lead_time}, 0, 1
        FROM range(200) t(d)
        """
    )


def test_missing_lead_time_uses_the_default_with_a_warning(wh):
    _tiny_shop(wh, lead_time="NULL")
    with pytest.warns(UserWarning, match=r"No lead time for 2 .*assuming 14 days"):
        plan = replenishment_plan(wh)
    rows = plan.rows.to_pandas().set_index("sku")
    assert (rows.lead_time_days == 14.0).all() and (rows.lead_time_source == "default").all()
    assert rows.loc["A", "mean_daily_demand"] == pytest.approx(2.0, rel=0.1)
    assert rows.loc["B", "status"] == "no_demand" and rows.loc["B", "order_qty"] == 0
    assert any("default lead time" in n for n in plan.notes)


def test_negative_stock_is_flagged_and_planned_as_backorders(wh):
    _tiny_shop(wh, on_hand_last=-7)
    with pytest.warns(UserWarning, match="Negative stock for 1 SKU/location.*A@main"):
        plan = replenishment_plan(wh)
    a = plan.rows.to_pandas().set_index("sku").loc["A"]
    assert a.status == "negative_stock" and a.position == -7
    assert a.order_qty >= a.order_up_to + 7 - 1e-9 and a.days_of_cover == 0


def test_stock_history_depletion_and_stockouts(wh):
    _tiny_shop(wh, on_hand_last=0)
    hist = stock_history(wh)
    assert hist.panel.ids == ("A@main", "B@main")
    a = hist.panel.values[0]
    assert a[0] == 0 and (a[1:199] == 2).all() and a[199] == 4
    assert hist.panel.censored[0].tolist() == [False] * 199 + [True]
    assert hist.panel.start + timedelta(days=199) == hist.panel.dates()[-1]
    assert hist.snapshot["on_hand"].to_pylist() == [0, 40]
    assert hist.snapshot["unit_cost"].to_pylist() == [4.0, 9.0]


def test_no_inventory_is_a_clear_error(wh):
    with pytest.raises(NotFoundError, match=r"No inventory snapshots.*shopscope demo"):
        replenishment_plan(wh)


def test_replenish_command(demo_url, tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "shopscope", "-w", demo_url, "replenish", "--location",
         "cn_warehouse", "--service-level", "0.9", "-f", "json"],
        cwd=tmp_path, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["service_level"] == 0.9 and doc["rows"]
    assert all(row["order_qty"] > 0 for row in doc["rows"])
    values = [row["order_value"] for row in doc["rows"]]
    assert values == sorted(values, reverse=True)


def test_orders_table_is_sorted_by_value(plan):
    values = plan.orders.column("order_value").to_numpy()
    assert (np.diff(values) <= 0).all()
    assert pc.all(pc.greater(plan.orders.column("order_qty"), 0)).as_py()
