"""Live today: today so far vs the same weekday last week up to the same clock time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from shopscope.errors import NotFoundError
from shopscope.insight.live import LIVE_FIGURES, live_today
from shopscope.warehouse.connection import Warehouse, connect
from shopscope.warehouse.demo import generate_demo

NOW = datetime(2026, 3, 11, 15, 30)  # a Wednesday
WEEK = timedelta(days=7)


def order(wh: Warehouse, oid: str, ts: datetime, amount: float, **kw: object) -> None:
    wh.duckdb.execute(
        "INSERT INTO orders (order_id, ordered_at, status, gross_amount, discount_amount)"
        " VALUES (?, ?, ?, ?, ?)",
        [oid, ts, kw.get("status", "paid"), amount, kw.get("discount", 0.0)],
    )


def event(wh: Warehouse, eid: str, ts: datetime, session: str, visitor: str | None) -> None:
    wh.duckdb.execute(
        "INSERT INTO events (event_id, occurred_at, anonymous_id, customer_id, session_id,"
        " event_type) VALUES (?, ?, ?, 'C1', ?, 'page_view')",
        [eid, ts, visitor, session],
    )


@pytest.fixture
def shop(wh: Warehouse) -> Warehouse:
    day = datetime(2026, 3, 11)
    order(wh, "A1", day + timedelta(hours=1), 100.0, discount=10.0)
    order(wh, "A2", day + timedelta(hours=15), 50.0)
    order(wh, "A3", day + timedelta(hours=15, minutes=31), 999.0)  # after now
    order(wh, "A4", day + timedelta(hours=2), 999.0, status="cancelled")
    order(wh, "A5", day - timedelta(seconds=1), 999.0)  # yesterday
    order(wh, "B1", day - WEEK + timedelta(hours=9), 40.0)
    order(wh, "B2", day - WEEK + timedelta(hours=16), 999.0)  # after last week's "now"
    for i, (ts, visitor) in enumerate(
        [(day + timedelta(hours=1), "V1"), (day + timedelta(hours=2), "V1"),
         (day + timedelta(hours=3), "V2"), (day + timedelta(hours=4), None),
         (day + timedelta(hours=20), "V9"), (day - WEEK + timedelta(hours=5), "V3"),
         (day - WEEK + timedelta(hours=6), "V4")]
    ):  # fmt: skip
        event(wh, f"E{i}", ts, f"S{i}", visitor)
    event(wh, "E99", day + timedelta(hours=1, minutes=5), "S0", "V1")  # same session
    return wh


def test_figures_with_a_fixed_now(shop: Warehouse) -> None:
    live = live_today(shop, now=NOW)
    assert (live.now, live.day) == (NOW, date(2026, 3, 11))
    assert [f.key for f in live.figures] == list(LIVE_FIGURES)
    got = {f.key: (f.today, f.last_week) for f in live.figures}
    assert got["revenue"] == (140.0, 40.0)
    assert got["orders"] == (2.0, 1.0)
    assert got["sessions"] == (4.0, 2.0)
    assert got["visitors"] == (3.0, 2.0)  # V1, V2 and C1 (no anonymous id)
    assert got["conversion_rate"] == (0.5, 0.5)
    assert got["aov"] == (70.0, 40.0)
    assert live.figure("revenue").delta_rel == pytest.approx(2.5)
    assert live.figure("conversion_rate").delta_rel == 0.0
    assert live.figure("revenue").label == "Revenue"
    with pytest.raises(KeyError, match="revenue, orders"):
        live.figure("profit")


def test_now_defaults_to_the_latest_data_when_it_ends_before_the_clock(shop: Warehouse) -> None:
    live = live_today(shop)
    assert live.now == datetime(2026, 3, 11, 20, 0)  # event E4, the latest timestamp
    assert live.figure("sessions").today == 5.0
    assert live.figure("orders").today == 3.0  # A3 at 15:31 is now in


def test_aware_now_is_converted_to_utc(shop: Warehouse) -> None:
    cst = timezone(timedelta(hours=8))
    live = live_today(shop, now=datetime(2026, 3, 11, 23, 30, tzinfo=cst))
    assert live.now == NOW
    assert live_today(shop, now=NOW.replace(tzinfo=UTC)).now == NOW


def test_empty_windows_give_none_ratios(shop: Warehouse) -> None:
    live = live_today(shop, now=datetime(2026, 5, 1, 12, 0))
    assert live.figure("revenue").today == 0.0
    assert live.figure("revenue").delta_rel is None
    assert live.figure("conversion_rate").today is None
    assert live.figure("aov").last_week is None


def test_empty_warehouse_is_not_found(wh: Warehouse) -> None:
    with pytest.raises(NotFoundError, match="no orders or events"):
        live_today(wh)


def test_demo_matches_plain_sql() -> None:
    wh = connect("duckdb://:memory:")
    generate_demo(wh, size="small", seed=1, end_date=date(2026, 6, 30))
    now = datetime(2026, 6, 30, 12, 0)
    live = live_today(wh, now=now)
    for start, end, attr in (
        (datetime(2026, 6, 30), now, "today"),
        (datetime(2026, 6, 23), now - WEEK, "last_week"),
    ):
        row = wh.duckdb.execute(
            "SELECT count(*), sum(gross_amount - discount_amount) FROM orders WHERE ordered_at"
            " BETWEEN ? AND ? AND gross_amount > 0 AND status NOT IN ('cancelled', 'returned',"
            " 'refunded')",
            [start, end],
        ).fetchone()
        sessions = wh.duckdb.execute(
            "SELECT count(DISTINCT session_id) FROM events WHERE occurred_at BETWEEN ? AND ?",
            [start, end],
        ).fetchone()
        assert row is not None and sessions is not None
        assert getattr(live.figure("orders"), attr) == row[0]
        assert getattr(live.figure("revenue"), attr) == pytest.approx(row[1])
        assert getattr(live.figure("sessions"), attr) == sessions[0]
    assert live_today(wh).now == datetime(2026, 6, 30, 23, 57, 50, 999999)
    wh.close()
