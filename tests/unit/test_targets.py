"""Targets: storage and validation, and progress checked against a hand computation."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from shopscope.errors import InvalidInputError, NotFoundError
from shopscope.team.targets import (
    import_targets,
    list_targets,
    parse_month,
    set_target,
    target_progress,
)

JUNE = date(2026, 6, 1)
AS_OF = date(2026, 6, 10)


def _orders(wh, days: dict[date, int], price: float = 10.0) -> None:
    """One paid order per day with ``days[day]`` units of SKU A at ``price``."""
    con = wh.duckdb
    con.execute("INSERT INTO products (sku, price, item_kind) VALUES ('A', ?, 'product')", [price])
    for i, (day, qty) in enumerate(sorted(days.items())):
        oid = f"O{i:05d}"
        con.execute(
            "INSERT INTO orders (order_id, customer_id, ordered_at, status, currency, "
            "gross_amount, discount_amount) VALUES (?, ?, ?, 'paid', 'GBP', ?, 0)",
            [oid, f"C{i % 7}", f"{day} 12:00:00", qty * price],
        )
        con.execute(
            "INSERT INTO order_items (order_id, line_no, sku, quantity, unit_price, "
            "discount_amount) VALUES (?, 1, 'A', ?, ?, 0)",
            [oid, qty, price],
        )


def _spend(wh, channel: str, first: date, days: int, per_day: float) -> None:
    for k in range(days):
        wh.duckdb.execute(
            "INSERT INTO ad_spend (date, channel, campaign, spend) VALUES (?, ?, 'c', ?)",
            [first + timedelta(days=k), channel, per_day],
        )


@pytest.fixture
def shop(wh):
    """June 2025 (1 unit/day on the 1st-10th, 3 after) and June 1-10 2026 (2 units/day)."""
    last_year = {date(2025, 6, d): (1 if d <= 10 else 3) for d in range(1, 31)}
    this_year = {date(2026, 6, d): 2 for d in range(1, 11)}
    _orders(wh, {**last_year, **this_year})
    _spend(wh, "search", JUNE, 10, 20.0)
    _spend(wh, "social", JUNE, 10, 10.0)
    return wh, last_year, this_year


def test_progress_matches_a_hand_computation(shop):
    wh, last_year, this_year = shop
    set_target(wh, "net_revenue", "2026-06", 1400)
    set_target(wh, "orders", "2026-06", 700)
    set_target(wh, "aov", "2026-06", 20)
    set_target(wh, "ad_spend", "2026-06", 300, channel="search")
    set_target(wh, "ad_spend", "2026-06", 300, channel="social")
    set_target(wh, "ad_spend", "2026-06", 600)
    rows = {(r.metric, r.channel): r for r in target_progress(wh, "2026-06", AS_OF)}
    assert len(rows) == 6

    # Independent: last year's share of the same days, from the raw rows.
    rev_ly = {d: q * 10.0 for d, q in last_year.items()}
    share_rev = sum(v for d, v in rev_ly.items() if d.day <= 10) / sum(rev_ly.values())
    share_orders = sum(1 for d in last_year if d.day <= 10) / len(last_year)
    actual_rev = sum(q * 10.0 for q in this_year.values())

    rev = rows[("net_revenue", None)]
    assert rev.prorating == "last_year" and rev.days_elapsed == 10 and rev.days_in_month == 30
    assert rev.share == pytest.approx(share_rev)
    assert rev.actual == pytest.approx(actual_rev)
    assert rev.target_to_date == pytest.approx(1400 * share_rev)
    assert rev.projected == pytest.approx(actual_rev / share_rev)
    assert rev.gap == pytest.approx(actual_rev - 1400 * share_rev)
    assert rev.status == "on_track"

    orders = rows[("orders", None)]
    assert orders.share == pytest.approx(share_orders)
    assert orders.actual == len(this_year)
    assert orders.gap_rel == pytest.approx(len(this_year) / (700 * share_orders) - 1)
    assert orders.status == "behind"

    aov = rows[("aov", None)]
    assert aov.prorating == "level" and aov.share == 1.0
    assert aov.actual == pytest.approx(actual_rev / len(this_year)) and aov.status == "on_track"

    # Budgets pace by days: 10 of 30.
    search, social, shop_total = (rows[("ad_spend", c)] for c in ("search", "social", None))
    assert search.prorating == "days" and search.share == pytest.approx(10 / 30)
    assert search.actual == pytest.approx(200.0) and search.target_to_date == pytest.approx(100.0)
    assert search.projected == pytest.approx(600.0) and search.status == "over_budget"
    assert social.actual == pytest.approx(100.0) and social.status == "on_track"
    assert shop_total.actual == pytest.approx(300.0)
    assert shop_total.gap_rel == pytest.approx(300.0 / 200.0 - 1) and shop_total.status == (
        "over_budget"
    )
    # A looser tolerance calls the shop total on track, a spend cut under budget.
    loose = {(r.metric, r.channel): r for r in target_progress(wh, "2026-06", AS_OF, tolerance=0.6)}
    assert loose[("ad_spend", None)].status == "on_track"
    set_target(wh, "ad_spend", "2026-06", 3000, channel="social")
    cut = {(r.metric, r.channel): r for r in target_progress(wh, "2026-06", AS_OF)}
    assert cut[("ad_spend", "social")].status == "under_budget"


def test_pro_rating_by_days_without_a_year_of_history(wh):
    _orders(wh, {date(2026, 6, d): 1 for d in range(1, 16)})
    set_target(wh, "net_revenue", "2026-06", 300)
    (row,) = target_progress(wh, None, date(2026, 6, 15))
    assert row.prorating == "days" and row.share == pytest.approx(15 / 30)
    assert row.target_to_date == pytest.approx(150.0) and row.actual == pytest.approx(150.0)
    assert row.status == "on_track" and row.month == JUNE
    # A day after the month counts the whole month; a day before it is an error.
    (whole,) = target_progress(wh, "2026-06", date(2026, 8, 3))
    assert whole.as_of == date(2026, 6, 30) and whole.share == 1.0 and whole.status == "behind"
    with pytest.raises(InvalidInputError, match="before the month"):
        target_progress(wh, "2026-07", date(2026, 6, 15))
    assert target_progress(wh, "2026-05", date(2026, 5, 31)) == []


def test_set_replaces_and_lists(wh):
    _spend(wh, "search", JUNE, 3, 1.0)
    a = set_target(wh, "ad_spend", "2026-06", 100, channel="search", note=" first ")
    assert a.note == "first" and a.month == JUNE
    set_target(wh, "ad_spend", date(2026, 6, 1), 250, channel="search")
    set_target(wh, "ad_spend", "2026-06-01", 400)
    set_target(wh, "orders", "2026-07", 10)
    listed = list_targets(wh, "2026-06")
    assert [(t.metric, t.channel, t.value) for t in listed] == [
        ("ad_spend", None, 400.0),
        ("ad_spend", "search", 250.0),
    ]
    assert len(list_targets(wh)) == 3 and list_targets(wh, metric="orders")[0].value == 10.0
    json.dumps([t.value for t in listed])


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (("revenue", "2026-06", 1), {}, "Unknown target metric 'revenue'; metrics: net_revenue"),
        (("orders", "2026-06", -5), {}, "number >= 0"),
        (("orders", "2026-06", float("nan")), {}, "number >= 0"),
        (("orders", "2026-06", "lots"), {}, "number >= 0"),
        (("orders", "2026-13", 5), {}, "month must be 01-12"),
        (("orders", "June 2026", 5), {}, "Malformed month 'June 2026': use YYYY-MM"),
        (("orders", "2026-06-15", 5), {}, "Malformed month"),
        (("orders", date(2026, 6, 15), 5), {}, "not the first day of a month; use 2026-06"),
        (("ad_spend", "2026-06", 5), {"channel": "tv"}, "Unknown channel 'tv'.*search"),
        (("orders", "2026-06", 5), {"channel": "search"}, "applies only to ad_spend"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error(wh, args, kwargs, message):
    _spend(wh, "search", JUNE, 1, 1.0)
    with pytest.raises(InvalidInputError, match=message):
        set_target(wh, *args, **kwargs)
    assert list_targets(wh) == []


def test_import_checks_every_row_first(wh, tmp_path):
    _spend(wh, "search", JUNE, 1, 1.0)
    good = tmp_path / "targets.csv"
    good.write_text(
        "metric,channel,month,value,note\n"
        "net_revenue,,2026-06,1000,plan\n"
        "ad_spend,search,2026-06,50,\n"
        "orders,,2026-07,20,\n"
    )
    assert len(import_targets(wh, good)) == 3
    bad = tmp_path / "bad.csv"
    bad.write_text("metric,month,value\norders,2026-08,5\norders,2026-8,5\n")
    with pytest.raises(InvalidInputError, match=r"bad\.csv line 3: Malformed month '2026-8'"):
        import_targets(wh, bad)
    dup = tmp_path / "dup.csv"
    dup.write_text("metric,month,value\norders,2026-08,5\norders,2026-08,6\n")
    with pytest.raises(InvalidInputError, match="line 3: duplicates line 2"):
        import_targets(wh, dup)
    header = tmp_path / "header.csv"
    header.write_text("kpi,month,amount\norders,2026-08,5\n")
    with pytest.raises(InvalidInputError, match="header must be"):
        import_targets(wh, header)
    with pytest.raises(NotFoundError):
        import_targets(wh, tmp_path / "missing.csv")
    assert len(list_targets(wh)) == 3  # nothing of the bad files was written


def test_parse_month_forms():
    assert parse_month("2026-06") == parse_month("2026-06-01") == parse_month(JUNE) == JUNE
    with pytest.raises(InvalidInputError):
        parse_month("26-06")


def test_progress_on_a_warehouse_without_targets_or_orders(wh):
    assert target_progress(wh, "2026-06", AS_OF) == []
    with pytest.raises(NotFoundError, match="No orders"):
        target_progress(wh)
