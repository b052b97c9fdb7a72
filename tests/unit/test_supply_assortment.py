"""Assortment: ABC/XYZ and basket rules against plain pandas/Python, slow movers, elasticity."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from shopscope.errors import InvalidInputError
from shopscope.insight.periods import DateRange
from shopscope.supply.assortment import (
    abc_xyz,
    association_rules,
    discount_elasticity,
    frequently_bought_together,
    slow_movers,
)
from shopscope.supply.assortment.elasticity import fit_elasticity
from shopscope.warehouse.connection import Warehouse, arrow_schema

__all__: list[str] = []


def _load(wh: Warehouse, name: str, rows: list[dict[str, Any]]) -> None:
    schema = arrow_schema(name)
    full = [{f.name: r.get(f.name) for f in schema} for r in rows]
    wh.write_arrow(name, pa.Table.from_pylist(full, schema=schema), mode="overwrite")


def _sold_lines_pandas(wh: Warehouse) -> pd.DataFrame:
    """The sold-lines definition, written independently in pandas."""
    con = wh.duckdb
    orders = con.execute("SELECT order_id, ordered_at, status, gross_amount FROM orders").df()
    items = con.execute("SELECT * FROM order_items").df()
    products = con.execute("SELECT sku, item_kind, category, unit_cost FROM products").df()
    lines = items.merge(products, on="sku", how="left")
    lines["amount"] = lines.quantity * lines.unit_price
    goods = lines.item_kind.isna() | lines.item_kind.isin(["product", "gift_card"])
    rev = (
        lines.assign(r=np.where(goods & (lines.quantity > 0), lines.amount, 0.0))
        .groupby("order_id")
        .agg(revenue=("r", "sum"), line_total=("amount", "sum"))
    )
    o = orders.merge(rev, left_on="order_id", right_index=True, how="left")
    positive = np.where(o.gross_amount.isna(), o.line_total.fillna(0) > 0, o.gross_amount > 0)
    sale = o[~o.status.isin(["cancelled", "returned", "refunded"]) & positive]
    sold = lines[goods & (lines.quantity > 0)].merge(
        sale[["order_id", "ordered_at"]], on="order_id"
    )
    sold["net"] = sold.amount - sold.discount_amount.fillna(0.0)
    return sold


def _abc(values: pd.Series, a: float = 0.8, b: float = 0.95) -> dict[str, str]:
    v = values.clip(lower=0).round(2).sort_index()
    order = sorted(v.index, key=lambda s: (-v[s], s))
    total, before, out = v.sum(), 0.0, {}
    for s in order:
        share = before / total
        out[s] = "A" if share < a else ("B" if share < b else "C")
        before += v[s]
    return out


def test_abc_xyz_matches_pandas_on_the_demo_store(demo_wh):
    result = abc_xyz(demo_wh)
    got = result.items.to_pandas().set_index("sku")
    sold = _sold_lines_pandas(demo_wh)
    per = sold.groupby("sku").agg(revenue=("net", "sum"), units=("quantity", "sum"))
    assert set(got.index) == set(per.index)
    assert np.allclose(got.loc[per.index, "revenue"], per.revenue)
    expected = _abc(per.revenue)
    assert {s: got.loc[s, "abc"] for s in per.index} == expected
    # XYZ: weekly units over every Monday week the period touches, zero weeks included
    weeks = pd.date_range(
        pd.Timestamp(result.period.start) - pd.Timedelta(days=result.period.start.weekday()),
        pd.Timestamp(result.period.end),
        freq="W-MON",
    )
    assert len(weeks) == result.weeks
    sold["week"] = sold.ordered_at.dt.to_period("W-SUN").dt.start_time
    w = sold.groupby(["sku", "week"]).quantity.sum().unstack(fill_value=0)
    w = w.reindex(columns=weeks, fill_value=0).astype(float)
    cv = w.std(axis=1, ddof=0) / w.mean(axis=1)
    assert np.allclose(got.loc[cv.index, "weekly_cv"], cv, rtol=1e-9)
    # the matrix accounts for every SKU and all revenue, with a policy per cell
    assert sum(c.skus for c in result.matrix) == len(got)
    assert sum(c.revenue_share for c in result.matrix) == pytest.approx(1.0)
    assert all(c.policy for c in result.matrix) and len(result.matrix) == 9


def _shop(wh: Warehouse) -> None:
    """SKU A sells every week, B in bursts, C once; D never sells but is stocked."""
    orders, items = [], []
    k = 0
    for week in range(8):
        day = datetime(2026, 3, 2, 10) + timedelta(weeks=week)  # Mondays from 2 March
        for sku, qty in (("A", 5), ("B", 20 if week % 4 == 0 else 0), ("C", 1 if week == 3 else 0)):
            if qty:
                k += 1
                orders.append({"order_id": f"o{k}", "ordered_at": day, "status": "completed"})
                items.append(
                    {
                        "order_id": f"o{k}",
                        "line_no": 1,
                        "sku": sku,
                        "quantity": qty,
                        "unit_price": {"A": 10.0, "B": 2.0, "C": 1.0}[sku],
                    }
                )
    _load(wh, "orders", orders)
    _load(wh, "order_items", items)
    _load(
        wh,
        "products",
        [
            {"sku": s, "item_kind": "product", "unit_cost": c, "price": p, "category": "x"}
            for s, c, p in (("A", 6.0, 10.0), ("B", 1.0, 2.0), ("C", 0.5, 1.0), ("D", 3.0, 4.0))
        ],
    )
    _load(
        wh,
        "inventory",
        [
            {"date": date(2026, 4, 26), "sku": "A", "location": "w", "on_hand": 10},
            {"date": date(2026, 4, 26), "sku": "C", "location": "w", "on_hand": 7},
            {"date": date(2026, 4, 26), "sku": "D", "location": "w", "on_hand": 4},
            {"date": date(2026, 4, 26), "sku": "B", "location": "w", "on_hand": -2},
        ],
    )


def test_abc_xyz_hand_computed(wh):
    _shop(wh)
    r = abc_xyz(wh, DateRange(date(2026, 3, 2), date(2026, 4, 26)))
    rows = {x["sku"]: x for x in r.items.to_pylist()}
    # revenue A 400, B 80, C 1 of 481: A holds 83 % -> A; B starts at 83 % -> B; C starts at 99.8 %
    assert [rows[s]["abc"] for s in "ABC"] == ["A", "B", "C"]
    assert rows["A"]["margin"] == pytest.approx(400 - 40 * 6)
    # weekly units over 8 weeks: A constant (CV 0) -> X; C once -> CV sqrt(7) -> Z
    assert rows["A"]["weekly_cv"] == pytest.approx(0.0) and rows["A"]["xyz"] == "X"
    assert rows["C"]["weekly_cv"] == pytest.approx(math.sqrt(7)) and rows["C"]["xyz"] == "Z"
    b = np.array([20, 0, 0, 0, 20, 0, 0, 0], dtype=float)
    assert rows["B"]["weekly_cv"] == pytest.approx(b.std() / b.mean())
    assert r.weeks == 8


def test_abc_xyz_bad_input(wh):
    _shop(wh)
    with pytest.raises(InvalidInputError, match="at least 4 weeks"):
        abc_xyz(wh, DateRange(date(2026, 3, 2), date(2026, 3, 10)))
    with pytest.raises(InvalidInputError, match="0 < first < second < 1"):
        abc_xyz(wh, thresholds=(0.95, 0.8))


def test_slow_movers_dead_stock_and_negative_stock(wh):
    _shop(wh)
    r = slow_movers(wh, date(2026, 4, 26), slow_days=30, dead_days=40)
    rows = {x["sku"]: x for x in r.items.to_pylist()}
    assert rows["D"]["status"] == "dead" and rows["D"]["last_sale"] is None
    assert rows["D"]["value_tied_up"] == pytest.approx(4 * 3.0)
    # C sold once on 23 March: 34 days without sale -> slow (>= 30, < 40)
    assert rows["C"]["days_without_sale"] == 34 and rows["C"]["status"] == "slow"
    assert rows["B"]["status"] == "negative_stock" and rows["B"]["value_tied_up"] == 0
    assert rows["A"]["status"] == "ok"
    # A sold 5 a week: 90-day window holds 8 weeks x 5 = 40 units
    assert rows["A"]["days_of_cover"] == pytest.approx(10 / (40 / 90))
    totals = {t.status: t for t in r.totals}
    assert totals["dead"].value_tied_up == pytest.approx(12.0)
    with pytest.raises(InvalidInputError, match="must not exceed dead_days"):
        slow_movers(wh, date(2026, 4, 26), slow_days=50, dead_days=40)


def test_basket_rules_match_brute_force_on_the_demo_store(demo_wh):
    result = association_rules(demo_wh, min_support=0.0005, min_confidence=0.0, limit=None)
    sold = _sold_lines_pandas(demo_wh)
    baskets = sold.groupby("order_id").sku.apply(lambda s: sorted(set(s)))
    n = len(baskets)
    single = Counter(s for b in baskets for s in b)
    pairs = Counter(p for b in baskets for p in itertools.combinations(b, 2))
    assert result.orders == n
    want = {p: c for p, c in pairs.items() if c >= result.min_count}
    got = result.rules.to_pylist()
    assert len(got) == 2 * len(want)
    for r in got:
        key = tuple(sorted((r["antecedent"], r["consequent"])))
        c = want[key]
        assert r["pair_orders"] == c
        assert r["support"] == pytest.approx(c / n)
        assert r["confidence"] == pytest.approx(c / single[r["antecedent"]])
        assert r["lift"] == pytest.approx(
            c * n / (single[r["antecedent"]] * single[r["consequent"]])
        )
    lifts = [r["lift"] for r in got]
    assert lifts == sorted(lifts, reverse=True)


def test_bought_together_lists(demo_wh):
    t = frequently_bought_together(demo_wh, top=3, min_count=2)
    rows = t.to_pylist()
    assert rows and all(r["lift"] > 1 and r["pair_orders"] >= 2 for r in rows)
    by: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by.setdefault(r["antecedent"], []).append(r)
    for lst in by.values():
        assert [r["rank"] for r in lst] == list(range(1, len(lst) + 1)) and len(lst) <= 3
        conf = [r["confidence"] for r in lst]
        assert conf == sorted(conf, reverse=True)
    one = next(iter(by))
    only = frequently_bought_together(demo_wh, sku=one, top=3, min_count=2).to_pylist()
    assert only == by[one]


def test_basket_bad_input(wh):
    with pytest.raises(InvalidInputError, match="min_support"):
        association_rules(wh, min_support=0)
    with pytest.raises(InvalidInputError, match="min_confidence"):
        association_rules(wh, min_confidence=1.5)


def test_fit_elasticity_recovers_a_simulated_elasticity():
    rng = np.random.default_rng(7)
    n = 400
    price = np.where(rng.random(n) < 0.15, 1 - rng.choice([0.1, 0.2, 0.3], n), 1.0)
    weekday = np.arange(n) % 7
    t = np.arange(n, dtype=float)
    units = np.exp(3.0 - 1.7 * np.log(price) + 0.1 * (weekday == 5) + rng.normal(0, 0.2, n))
    eps, se, dof = fit_elasticity(units, price, weekday, t)
    assert abs(eps + 1.7) < 3 * se and se < 0.2
    assert dof == n - 9


def test_elasticity_recovers_the_demo_promotions(demo_wh):
    """Promotions cut prices by ``discount`` and lift demand by ``uplift`` (demo_truth):
    the implied elasticity ln(uplift) / ln(1 - discount) is about -2 for every category."""
    truth = demo_wh.duckdb.execute(
        "SELECT key, name, value FROM demo_truth WHERE domain = 'promotions'"
    ).df()
    wide = truth.pivot(index="key", columns="name", values="value")
    implied = float((np.log(wide.uplift) / np.log(1 - wide.discount)).mean())
    estimates = [e for e in discount_elasticity(demo_wh) if e.status == "ok"]
    assert len(estimates) >= 8
    covered = [e.ci_low <= implied <= e.ci_high for e in estimates]  # type: ignore[operator]
    assert sum(covered) >= 0.8 * len(estimates)
    assert np.mean([e.elasticity for e in estimates]) == pytest.approx(implied, abs=0.4)
