"""KPIs, comparisons and series on a hand-built shop whose figures are worked out by hand."""

from __future__ import annotations

from datetime import date

import pytest

from shopscope.errors import InvalidInputError, NotFoundError
from shopscope.insight.kpis import KPI_KEYS, NO_EVENTS, compare_kpis, compute_kpis
from shopscope.insight.periods import DateRange, resolve_range
from shopscope.insight.timeseries import kpi_series, series_with_comparison
from shopscope.warehouse.connection import Warehouse

JUNE = DateRange(date(2026, 6, 1), date(2026, 6, 30))

SHOP_SQL = """
INSERT INTO products (sku, category, price, unit_cost, item_kind) VALUES
  ('P1', 'A', 10, 4, 'product'), ('P2', 'B', 20, NULL, 'product'),
  ('SHIP', NULL, 5, NULL, 'shipping'), ('G', 'gifts', 25, NULL, 'gift_card');
INSERT INTO orders (order_id, customer_id, ordered_at, status, channel, discount_amount) VALUES
  ('O1', 'A', '2026-06-01 10:00', 'completed', 'email', 2),
  ('O2', 'A', '2026-06-03 10:00', 'completed', 'email', NULL),
  ('O3', 'B', '2026-06-05 10:00', 'cancelled', 'email', 1),
  ('R1', 'A', '2026-06-10 10:00', 'returned', NULL, NULL),
  ('O4', NULL, '2026-06-07 10:00', 'paid', 'direct', NULL),
  ('O5', 'C', '2026-05-20 10:00', 'completed', 'direct', NULL),
  ('O6', 'C', '2026-06-20 10:00', 'completed', 'direct', NULL),
  ('O7', 'D', '2026-06-21 10:00', 'completed', 'direct', NULL),
  ('O8', 'E', '2026-07-01 00:00', 'completed', 'direct', NULL);
INSERT INTO order_items (order_id, line_no, sku, quantity, unit_price, discount_amount) VALUES
  ('O1', 1, 'P1', 2, 10, NULL), ('O1', 2, 'SHIP', 1, 5, NULL),
  ('O2', 1, 'P2', 1, 20, 3),
  ('O3', 1, 'P1', 1, 10, NULL),
  ('R1', 1, 'P1', -1, 10, NULL),
  ('O4', 1, 'G', 1, 25, NULL), ('O4', 2, 'X', 1, 5, NULL),
  ('O5', 1, 'P1', 1, 10, NULL),
  ('O6', 1, 'P1', 3, 10, NULL),
  ('O7', 1, 'SHIP', 1, 5, NULL),
  ('O8', 1, 'P1', 1, 10, NULL);
INSERT INTO events (event_id, occurred_at, anonymous_id, customer_id, session_id, event_type)
VALUES
  ('e1', '2026-06-01 09:00', 'a', 'A', 'S1', 'page_view'),
  ('e2', '2026-06-01 09:01', 'a', 'A', 'S1', 'add_to_cart'),
  ('e3', '2026-06-01 10:00', 'a', 'A', 'S1', 'purchase'),
  ('e4', '2026-06-02 09:00', 'x', NULL, 'S2', 'page_view'),
  ('e5', '2026-06-02 09:01', 'x', NULL, 'S2', 'add_to_cart'),
  ('e6', '2026-06-03 09:00', 'y', NULL, 'S3', 'page_view'),
  ('e7', '2026-06-04 09:00', 'z', NULL, 'S4', 'purchase'),
  ('e8', '2026-06-04 09:00', 'w', NULL, NULL, 'page_view'),
  ('e9', '2026-07-04 09:00', 'v', NULL, 'S9', 'page_view');
"""

EXPECTED = {
    "gmv": 100.0,  # O1 20 + O2 20 + O4 (gift card 25 + unknown sku 5) + O6 30
    "net_revenue": 85.0,  # − return R1 10 − discounts (O1 order 2 + O2 line 3)
    "orders": 4.0,  # O1, O2, O4, O6 (O3 cancelled, O7 shipping only, O8 in July)
    "aov": 21.25,
    "units_per_order": 2.0,  # 2 + 1 + 2 + 3
    "customers": 2.0,  # A and C (O4 is a guest)
    "new_customers": 1.0,  # A; C bought in May
    "returning_customers": 1.0,
    "repeat_purchase_rate": 0.5,  # A has 2 sale orders
    "return_rate": 0.1,
    "gross_margin": 0.6,  # P1 lines: net 20 − 10 + 30 = 40, cost 8 − 4 + 12 = 16
    "sessions": 4.0,
    "visitors": 5.0,  # A, x, y, z, w
    "conversion_rate": 0.5,  # S1, S4
    "add_to_cart_rate": 0.5,  # S1, S2
    "cart_abandonment": 0.5,  # 1 − S1 / (S1, S2)
    "revenue_per_visitor": 17.0,
}


@pytest.fixture
def shop(wh: Warehouse) -> Warehouse:
    wh.duckdb.execute(SHOP_SQL)
    return wh


def test_every_kpi_matches_the_hand_computation(shop: Warehouse) -> None:
    kpis = compute_kpis(shop, JUNE)
    assert list(kpis.values) == list(KPI_KEYS)
    got = {k: v.value for k, v in kpis.values.items()}
    assert got == pytest.approx(EXPECTED, rel=1e-12)
    assert all(v.available and v.reason is None for v in kpis.values.values())


def test_empty_warehouse_has_zeros_and_reasons(wh: Warehouse) -> None:
    with pytest.raises(NotFoundError, match="no orders"):
        resolve_range(wh)
    kpis = compute_kpis(wh, JUNE).values
    for key in ("gmv", "net_revenue", "orders", "customers", "new_customers"):
        assert kpis[key].value == 0.0
    assert kpis["aov"].value is None
    assert kpis["aov"].reason is not None and "orders" in kpis["aov"].reason
    assert kpis["gross_margin"].reason is not None and "unit_cost" in kpis["gross_margin"].reason
    for key in ("sessions", "visitors", "conversion_rate", "revenue_per_visitor"):
        assert kpis[key].value is None and kpis[key].reason == NO_EVENTS


def test_no_events_means_unavailable_not_zero(shop: Warehouse) -> None:
    shop.duckdb.execute("DELETE FROM events")
    kpis = compute_kpis(shop, JUNE).values
    assert kpis["net_revenue"].value == pytest.approx(85.0)
    for key in ("sessions", "visitors", "conversion_rate", "cart_abandonment"):
        assert kpis[key].value is None
        assert kpis[key].reason == NO_EVENTS
        assert not kpis[key].available


def test_compare_with_previous_period(shop: Warehouse) -> None:
    rows = {c.key: c for c in compare_kpis(shop, JUNE)}
    gmv = rows["gmv"]
    assert (gmv.current, gmv.previous) == pytest.approx((100.0, 10.0))  # May: O5
    assert gmv.delta == pytest.approx(90.0)
    assert gmv.delta_rel == pytest.approx(9.0)
    conv = rows["conversion_rate"]
    assert conv.current == pytest.approx(0.5) and conv.previous is None and conv.delta is None
    assert conv.reason is not None and "comparison period" in conv.reason


def test_daily_series_is_zero_filled(shop: Warehouse) -> None:
    s = kpi_series(shop, JUNE, kpis=["net_revenue", "orders", "aov", "conversion_rate"])
    assert s.num_rows == 30
    assert s.column("bucket").to_pylist()[0] == date(2026, 6, 1)
    rows = {r["bucket"]: r for r in s.to_pylist()}
    assert rows[date(2026, 6, 1)]["net_revenue"] == pytest.approx(18.0)
    assert rows[date(2026, 6, 10)]["net_revenue"] == pytest.approx(-10.0)
    assert rows[date(2026, 6, 2)]["orders"] == 0.0
    assert rows[date(2026, 6, 2)]["aov"] is None
    assert rows[date(2026, 6, 2)]["conversion_rate"] == pytest.approx(0.0)
    assert rows[date(2026, 6, 1)]["conversion_rate"] == pytest.approx(1.0)
    assert sum(s.column("net_revenue").to_pylist()) == pytest.approx(85.0)


def test_weekly_and_monthly_buckets(shop: Warehouse) -> None:
    weeks = kpi_series(shop, JUNE, grain="week", kpis=["orders", "new_customers"])
    assert weeks.column("bucket").to_pylist()[0] == date(2026, 6, 1)  # a Monday
    assert weeks.num_rows == 5
    assert sum(weeks.column("orders").to_pylist()) == 4.0
    months = kpi_series(shop, DateRange(date(2026, 5, 15), date(2026, 7, 2)), grain="month")
    assert months.column("bucket").to_pylist() == [
        date(2026, 5, 1),
        date(2026, 6, 1),
        date(2026, 7, 1),
    ]
    assert months.column("orders").to_pylist() == [1.0, 4.0, 1.0]


def test_series_with_comparison_aligns_by_offset(shop: Warehouse) -> None:
    t = series_with_comparison(shop, JUNE, grain="month", kpi="gmv")
    row = t.to_pylist()[0]
    assert row["current"] == pytest.approx(100.0)
    assert row["previous"] == pytest.approx(10.0)  # 2026-05-02..05-31
    assert row["delta_rel"] == pytest.approx(9.0)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda wh: kpi_series(wh, JUNE, kpis=["revenue"]), "Unknown KPI 'revenue'.*gmv"),
        (lambda wh: kpi_series(wh, JUNE, grain="hour"), "Unknown grain 'hour'"),  # type: ignore[arg-type]
        (lambda wh: series_with_comparison(wh, JUNE, kpi="nope"), "KPIs: gmv, net_revenue"),
        (lambda wh: compare_kpis(wh, JUNE, compare="lastyear"), "Unknown comparison"),  # type: ignore[arg-type]
    ],
)
def test_bad_input_is_refused(shop: Warehouse, call, match: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInputError, match=match):
        call(shop)


def test_demo_store_kpis_are_consistent() -> None:
    from shopscope.insight.breakdowns import breakdown
    from shopscope.warehouse.connection import connect
    from shopscope.warehouse.demo import generate_demo

    demo = connect("duckdb://:memory:")
    generate_demo(demo, size=2000, seed=1, end_date=date(2026, 6, 30), days=120)
    period = DateRange(date(2026, 6, 1), date(2026, 6, 30))
    k = {key: v.value for key, v in compute_kpis(demo, period).values.items()}
    assert k["orders"] and k["gmv"] and k["net_revenue"]
    assert 0 < k["net_revenue"] < k["gmv"]
    for key in ("conversion_rate", "add_to_cart_rate", "cart_abandonment", "gross_margin"):
        assert 0 < k[key] < 1  # type: ignore[operator]
    daily = kpi_series(demo, period, kpis=["net_revenue", "orders", "new_customers"])
    assert sum(daily.column("net_revenue").to_pylist()) == pytest.approx(k["net_revenue"])
    assert sum(daily.column("orders").to_pylist()) == k["orders"]
    assert sum(daily.column("new_customers").to_pylist()) == k["new_customers"]
    for dim in ("channel", "category", "country", "customer_type", "segment"):
        b = breakdown(demo, period, dim, kpis=["net_revenue", "gmv"])
        assert sum(b.column("net_revenue").to_pylist()) == pytest.approx(k["net_revenue"])
        assert sum(b.column("gmv").to_pylist()) == pytest.approx(k["gmv"])
