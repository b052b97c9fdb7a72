"""Drivers of change: hand-built warehouses with known answers, bad input, the demo store."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest

from shopscope.errors import InvalidInputError, NotFoundError
from shopscope.insight.drivers import (
    DIMENSIONS,
    DriverReport,
    explain_revenue_change,
    lmdi_contributions,
    log_mean,
)
from shopscope.insight.periods import DateRange
from shopscope.warehouse.connection import Warehouse, connect
from shopscope.warehouse.demo import generate_demo

PREV = DateRange(date(2026, 1, 1), date(2026, 1, 7))
CUR = DateRange(date(2026, 1, 8), date(2026, 1, 14))


def add_orders(
    wh: Warehouse,
    day: date,
    n: int,
    amount: float,
    *,
    device: str | None = "desktop",
    channel: str | None = "direct",
    status: str = "completed",
    discount: float = 0.0,
    sku: str | None = None,
) -> None:
    """``n`` orders of ``amount`` on ``day`` (one line of ``sku`` each when given)."""
    con = wh.duckdb
    base = con.execute("SELECT count(*) FROM orders").fetchone()[0]  # type: ignore[index]
    for i in range(n):
        oid = f"T{base + i:06d}"
        ts = datetime.combine(day, datetime.min.time()) + timedelta(hours=1 + i % 20)
        con.execute(
            "INSERT INTO orders (order_id, ordered_at, status, channel, device, gross_amount,"
            " discount_amount, ship_country) VALUES (?, ?, ?, ?, ?, ?, ?, 'GB')",
            [oid, ts, status, channel, device, amount, discount],
        )
        if sku is not None:
            con.execute(
                "INSERT INTO order_items (order_id, line_no, sku, quantity, unit_price,"
                " discount_amount) VALUES (?, 1, ?, 1, ?, ?)",
                [oid, sku, amount, discount],
            )


def add_sessions(
    wh: Warehouse, day: date, n: int, *, device: str = "desktop", medium: str | None = None
) -> None:
    """``n`` one-event sessions on ``day``."""
    con = wh.duckdb
    base = con.execute("SELECT count(*) FROM events").fetchone()[0]  # type: ignore[index]
    ts = datetime.combine(day, datetime.min.time()) + timedelta(hours=3)
    con.executemany(
        "INSERT INTO events (event_id, occurred_at, anonymous_id, session_id, event_type,"
        " device, utm_medium) VALUES (?, ?, ?, ?, 'page_view', ?, ?)",
        [[f"E{base + i}", ts, f"V{base + i}", f"S{base + i}", device, medium] for i in range(n)],
    )


def add_products(wh: Warehouse) -> None:
    wh.duckdb.execute(
        "INSERT INTO products (sku, category, item_kind) VALUES ('TEA-1', 'Tea', 'product'),"
        " ('CAN-1', 'Candles', 'product'), ('SHIP', NULL, 'shipping')"
    )


def factor(report: DriverReport, name: str) -> float:
    return next(f.contribution for f in report.factors if f.factor == name)


def test_conversion_halves_with_constant_sessions(wh: Warehouse) -> None:
    add_sessions(wh, PREV.start, 100)
    add_sessions(wh, CUR.start, 100)
    add_orders(wh, PREV.start, 10, 50.0)
    add_orders(wh, CUR.start, 5, 50.0)
    r = explain_revenue_change(wh, CUR)
    assert r.previous == PREV
    assert (r.revenue_previous, r.revenue_current, r.change) == (500.0, 250.0, -250.0)
    assert r.change_rel == pytest.approx(-0.5)
    assert [f.factor for f in r.factors] == ["traffic", "conversion", "order_value"]
    assert factor(r, "conversion") == pytest.approx(-250.0, abs=1e-9)
    assert factor(r, "traffic") == 0.0
    assert factor(r, "order_value") == 0.0
    conv = r.factors[1]
    assert (conv.previous, conv.current, conv.change_rel) == (0.1, 0.05, pytest.approx(-0.5))
    assert r.reason is None
    assert r.headline.startswith("Revenue −50.0% vs previous period: conversion −50.0%")
    assert "device=desktop" in r.headline
    assert "转化率 −50.0%" in r.headline_zh


def test_traffic_and_order_value_split_exactly(wh: Warehouse) -> None:
    """Sessions ×2 and order value ×1.5 at constant conversion: R 500 → 1500."""
    add_sessions(wh, PREV.start, 100)
    add_sessions(wh, CUR.start, 200)
    add_orders(wh, PREV.start, 10, 50.0)
    add_orders(wh, CUR.start, 20, 75.0)
    r = explain_revenue_change(wh, CUR)
    lm = (1500 - 500) / math.log(3)
    assert factor(r, "traffic") == pytest.approx(lm * math.log(2), rel=1e-12)
    assert factor(r, "order_value") == pytest.approx(lm * math.log(1.5), rel=1e-12)
    assert factor(r, "conversion") == pytest.approx(0.0, abs=1e-9)
    assert sum(f.contribution for f in r.factors) == pytest.approx(1000.0, rel=1e-12)


def test_member_absent_in_one_period_gets_its_whole_change_as_traffic(wh: Warehouse) -> None:
    add_sessions(wh, PREV.start, 100)
    add_sessions(wh, CUR.start, 100)
    add_sessions(wh, CUR.start, 20, device="tablet")
    add_orders(wh, PREV.start, 10, 50.0)
    add_orders(wh, CUR.start, 10, 50.0)
    add_orders(wh, CUR.start, 2, 30.0, device="tablet")
    add_orders(wh, CUR.start, 1, 40.0, device=None)  # no device: member "(none)"
    r = explain_revenue_change(wh, CUR, dimensions=["device"])
    members = {m.member: m for m in r.by_dimension["device"]}
    assert set(members) == {"desktop", "tablet", "(none)"}
    tablet = members["tablet"]
    assert (tablet.revenue_previous, tablet.revenue_current, tablet.contribution) == (0, 60, 60)
    assert [(f.factor, f.contribution) for f in tablet.factors] == [
        ("traffic", 60.0),
        ("conversion", 0.0),
        ("order_value", 0.0),
    ]
    assert tablet.factors[0].change_rel == math.inf
    assert members["(none)"].factors == ()  # orders but no sessions: no session split
    assert members["desktop"].contribution == 0.0
    assert sum(m.contribution for m in r.by_dimension["device"]) == pytest.approx(r.change)
    assert [m.member for m in r.by_dimension["device"]] == ["tablet", "(none)", "desktop"]
    assert tablet.share == pytest.approx(60 / 100)
    for m in r.by_dimension["device"]:
        for f in m.factors:
            assert not math.isnan(f.contribution)


def test_conversion_falls_to_zero_for_a_member(wh: Warehouse) -> None:
    for day in (PREV.start, CUR.start):
        add_sessions(wh, day, 50)
        add_sessions(wh, day, 50, device="mobile")
    add_orders(wh, PREV.start, 5, 20.0, device="mobile")
    add_orders(wh, PREV.start, 5, 20.0)
    add_orders(wh, CUR.start, 5, 20.0)
    r = explain_revenue_change(wh, CUR, dimensions=["device"])
    mobile = next(m for m in r.by_dimension["device"] if m.member == "mobile")
    assert [f.contribution for f in mobile.factors] == [0.0, -100.0, 0.0]
    assert "conversion −50.0% (mostly device=mobile)" in r.headline


def test_channel_from_utm_and_orders(wh: Warehouse) -> None:
    for day, n in ((PREV.start, 4), (CUR.start, 8)):
        add_sessions(wh, day, 100, medium="cpc")
        add_sessions(wh, day, 100)  # no UTM, no referrer: direct
        add_orders(wh, day, n, 25.0, channel="paid_search")
        add_orders(wh, day, 4, 25.0, channel="direct")
    r = explain_revenue_change(wh, CUR, dimensions=["channel"])
    paid, direct = r.by_dimension["channel"]
    assert (paid.member, paid.contribution, paid.share) == ("paid_search", 100.0, 1.0)
    assert [f.factor for f in paid.factors] == ["traffic", "conversion", "order_value"]
    assert paid.factors[1].contribution == pytest.approx(100.0)
    assert (direct.member, direct.contribution) == ("direct", 0.0)


def test_category_uses_line_revenue_and_reconciles(wh: Warehouse) -> None:
    add_products(wh)
    add_sessions(wh, PREV.start, 100)
    add_sessions(wh, CUR.start, 100)
    add_orders(wh, PREV.start, 4, 10.0, sku="TEA-1")
    add_orders(wh, PREV.start, 2, 30.0, sku="CAN-1", discount=3.0)
    add_orders(wh, CUR.start, 4, 10.0, sku="TEA-1")
    add_orders(wh, CUR.start, 1, 30.0, sku="CAN-1", discount=3.0)
    add_orders(wh, CUR.start, 1, 12.0)  # no lines at all: unallocated
    r = explain_revenue_change(wh, CUR, dimensions=["category"])
    cats = {m.member: m for m in r.by_dimension["category"]}
    assert cats["Candles"].contribution == pytest.approx(-27.0)
    assert cats["Tea"].contribution == 0.0
    assert cats["(unallocated)"].contribution == pytest.approx(12.0)
    assert cats["(unallocated)"].factors == ()
    assert [f.factor for f in cats["Candles"].factors] == ["orders", "order_value"]
    assert cats["Candles"].factors[0].contribution == pytest.approx(-27.0)
    assert sum(m.contribution for m in cats.values()) == pytest.approx(r.change)
    assert "category=Candles explains 180% of the drop" in r.headline


def test_no_events_falls_back_to_orders_times_order_value(wh: Warehouse) -> None:
    add_orders(wh, PREV.start, 10, 50.0)
    add_orders(wh, CUR.start, 12, 50.0)
    r = explain_revenue_change(wh, CUR, dimensions=["device", "category"])
    assert r.reason is not None and "orders × order value" in r.reason
    assert [f.factor for f in r.factors] == ["orders", "order_value"]
    assert factor(r, "orders") == pytest.approx(100.0)
    assert [f.factor for f in r.by_dimension["device"][0].factors] == ["orders", "order_value"]


def test_excluded_statuses_and_non_positive_orders_do_not_count(wh: Warehouse) -> None:
    add_sessions(wh, PREV.start, 10)
    add_sessions(wh, CUR.start, 10)
    add_orders(wh, PREV.start, 1, 100.0)
    add_orders(wh, CUR.start, 1, 100.0, discount=10.0)
    for status in ("cancelled", "returned", "refunded"):
        add_orders(wh, CUR.start, 1, 999.0, status=status)
    add_orders(wh, CUR.start, 1, -50.0)
    r = explain_revenue_change(wh, CUR)
    assert (r.revenue_previous, r.revenue_current) == (100.0, 90.0)


def test_current_range_without_data_is_a_reason_not_a_crash(wh: Warehouse) -> None:
    add_orders(wh, PREV.start, 3, 10.0)
    r = explain_revenue_change(wh, DateRange(date(2030, 1, 1), date(2030, 1, 7)))
    assert r.reason is not None and "current period (2030-01-01..2030-01-07)" in r.reason
    assert r.factors == () and r.by_dimension == {}
    assert r.change == 0.0 and r.change_rel is None
    assert r.headline_zh.startswith("本期")
    r = explain_revenue_change(wh, CUR)  # data only in the previous period
    assert r.reason is not None and r.reason.startswith("No sale orders or sessions in the current")


def test_unknown_dimension_lists_the_allowed_ones(wh: Warehouse) -> None:
    add_orders(wh, PREV.start, 1, 10.0)
    with pytest.raises(InvalidInputError, match=r"'colour'.*device, channel, category, country"):
        explain_revenue_change(wh, CUR, dimensions=["device", "colour"])
    assert DIMENSIONS == ("device", "channel", "category", "country", "campaign")


def test_empty_warehouse_is_not_found(wh: Warehouse) -> None:
    with pytest.raises(NotFoundError, match="no orders"):
        explain_revenue_change(wh, CUR)


def test_log_mean_and_lmdi_helpers() -> None:
    assert log_mean(2.0, 2.0) == 2.0
    assert log_mean(math.e, 1.0) == pytest.approx(math.e - 1.0)
    assert log_mean(1.0 + 1e-9, 1.0) == pytest.approx(1.0 + 5e-10, rel=1e-15)
    with pytest.raises(InvalidInputError, match="positive"):
        log_mean(0.0, 1.0)
    with pytest.raises(InvalidInputError, match="equal length"):
        lmdi_contributions([1.0, 2.0], [1.0])
    with pytest.raises(InvalidInputError, match="finite"):
        lmdi_contributions([1.0, math.nan], [1.0, 2.0])
    assert lmdi_contributions([0.0, 1.0], [0.0, 2.0]).tolist() == [0.0, 0.0]


# -- the demo store -------------------------------------------------------------------------

DEMO_CUR = DateRange(date(2026, 6, 24), date(2026, 6, 30))


@pytest.fixture(scope="module")
def demo() -> Iterator[Warehouse]:
    warehouse = connect("duckdb://:memory:")
    generate_demo(warehouse, size="small", seed=1, end_date=date(2026, 6, 30))
    yield warehouse
    warehouse.close()


def test_demo_partitions_and_factors_are_exact(demo: Warehouse) -> None:
    r = explain_revenue_change(demo, DEMO_CUR, dimensions=DIMENSIONS)
    assert r.reason is None
    assert sum(f.contribution for f in r.factors) == pytest.approx(r.change, abs=1e-9)
    for dim, members in r.by_dimension.items():
        assert sum(m.contribution for m in members) == pytest.approx(r.change, abs=1e-6), dim
        assert sum(m.share for m in members) == pytest.approx(1.0)
        for m in members:
            if m.factors:
                assert sum(f.contribution for f in m.factors) == pytest.approx(
                    m.contribution, abs=1e-9
                )
    # cross-check the totals with plain SQL
    got = demo.duckdb.execute(
        "SELECT sum(gross_amount - coalesce(discount_amount, 0)) FROM orders WHERE ordered_at"
        " >= '2026-06-24' AND ordered_at < '2026-07-01' AND gross_amount > 0 AND status NOT IN"
        " ('cancelled', 'returned', 'refunded')"
    ).fetchone()
    assert got is not None and r.revenue_current == pytest.approx(got[0])
    sessions = demo.duckdb.execute(
        "SELECT count(DISTINCT session_id) FROM events WHERE occurred_at >= '2026-06-24'"
    ).fetchone()
    assert sessions is not None and r.factors[0].current == sessions[0]


def test_demo_injected_mobile_conversion_drop_is_found() -> None:
    wh = connect("duckdb://:memory:")
    generate_demo(wh, size="small", seed=1, end_date=date(2026, 6, 30))
    # remove 40% of mobile sale orders in the last 7 days (sessions stay: conversion falls)
    wh.duckdb.execute(
        "DELETE FROM orders WHERE order_id IN (SELECT order_id FROM (SELECT order_id,"
        " row_number() OVER (ORDER BY order_id) AS rn FROM orders WHERE device = 'mobile' AND"
        " ordered_at >= '2026-06-24' AND gross_amount > 0 AND status NOT IN ('cancelled',"
        " 'returned', 'refunded')) WHERE rn % 5 IN (0, 1))"
    )
    r = explain_revenue_change(wh, DEMO_CUR)
    largest = max(r.factors, key=lambda f: abs(f.contribution))
    assert largest.factor == "conversion" and largest.contribution < 0
    assert r.headline.startswith("Revenue −")
    assert "conversion" in r.headline and "(mostly device=mobile)" in r.headline
    assert "（主要来自 device=mobile）" in r.headline_zh
    top_device = r.by_dimension["device"][0]
    assert top_device.member == "mobile" and top_device.contribution < 0
    wh.close()
