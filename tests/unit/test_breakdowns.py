"""Breakdowns and movers on the hand-built shop of ``test_kpis`` (figures worked out by hand)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from test_kpis import JUNE, SHOP_SQL

from shopscope.errors import InvalidInputError
from shopscope.insight.breakdowns import DIMENSIONS, breakdown, movers
from shopscope.insight.kpis import compute_kpis
from shopscope.insight.periods import DateRange
from shopscope.warehouse.connection import Warehouse, connect


@pytest.fixture
def shop(wh: Warehouse) -> Warehouse:
    wh.duckdb.execute(SHOP_SQL)
    return wh


def rows(table) -> dict[str, dict[str, object]]:  # type: ignore[no-untyped-def]
    return {r["member"]: r for r in table.to_pylist()}


def test_by_channel(shop: Warehouse) -> None:
    t = breakdown(shop, JUNE, "channel")
    assert t.column_names == ["member", "net_revenue", "orders", "aov"]
    assert t.column("member").to_pylist() == ["direct", "email", "(none)"]
    r = rows(t)
    assert r["direct"]["net_revenue"] == pytest.approx(60.0)  # O4 30 + O6 30
    assert r["email"]["net_revenue"] == pytest.approx(35.0)  # 40 − discounts 5
    assert r["(none)"]["net_revenue"] == pytest.approx(-10.0)  # the return R1
    assert r["(none)"]["orders"] == 0 and r["(none)"]["aov"] is None
    assert breakdown(shop, JUNE, "channel", limit=1).num_rows == 1


def test_by_category_allocates_order_discounts(shop: Warehouse) -> None:
    r = rows(breakdown(shop, JUNE, "category", kpis=["net_revenue", "orders", "gmv"]))
    assert r["A"]["net_revenue"] == pytest.approx(38.0)  # 20 + 30 − return 10 − O1's 2
    assert r["B"]["net_revenue"] == pytest.approx(17.0)
    assert r["gifts"]["net_revenue"] == pytest.approx(25.0)
    assert r["(none)"]["net_revenue"] == pytest.approx(5.0)  # sku X without a products row
    assert r["A"]["orders"] == 2
    assert sum(x["net_revenue"] for x in r.values()) == pytest.approx(85.0)  # type: ignore[misc]


def test_customer_type_and_segment(shop: Warehouse) -> None:
    kinds = ["net_revenue", "customers", "new_customers"]
    r = rows(breakdown(shop, JUNE, "customer_type", kpis=kinds))
    assert r["new"]["net_revenue"] == pytest.approx(25.0)  # A: 18 + 17 − 10
    assert r["returning"]["net_revenue"] == pytest.approx(30.0)
    assert r["guest"]["net_revenue"] == pytest.approx(30.0)
    assert (r["new"]["customers"], r["new"]["new_customers"]) == (1, 1)
    s = rows(breakdown(shop, JUNE, "segment", kpis=kinds))
    assert set(s) == {"first-time", "high", "guest"}  # C alone has prior spend: top tier
    assert s["high"]["net_revenue"] == pytest.approx(30.0)


def test_movers(shop: Warehouse) -> None:
    risers, fallers = movers(shop, JUNE, "channel")
    assert [m.member for m in risers] == ["direct", "email"]
    direct = risers[0]
    assert (direct.current, direct.previous, direct.delta) == pytest.approx((60.0, 10.0, 50.0))
    assert direct.delta_rel == pytest.approx(5.0)
    assert direct.share_of_change == pytest.approx(50.0 / 75.0)
    assert risers[1].delta_rel is None  # email had nothing in May
    assert [m.member for m in fallers] == ["(none)"]
    ratio_risers, _ = movers(shop, JUNE, "channel", kpi="aov")
    assert all(m.share_of_change is None for m in ratio_risers)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"dimension": "colour"}, "Unknown dimension 'colour'. Dimensions: channel, campaign"),
        ({"dimension": "channel", "kpis": ["profit"]}, "Unknown KPI 'profit'.*gmv"),
        ({"dimension": "channel", "kpis": ["sessions"]}, "come from events"),
        ({"dimension": "channel", "limit": 0}, "limit must be at least 1"),
    ],
)
def test_bad_input_is_refused(shop: Warehouse, kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        breakdown(shop, JUNE, **kwargs)  # type: ignore[arg-type]


def test_movers_refuses_unknown_dimension(shop: Warehouse) -> None:
    with pytest.raises(InvalidInputError, match="Dimensions: channel"):
        movers(shop, JUNE, "weather")


def test_every_dimension_runs(shop: Warehouse) -> None:
    for name in DIMENSIONS:
        t = breakdown(shop, JUNE, name, kpis=["net_revenue", "customers"])
        assert sum(t.column("net_revenue").to_pylist()) == pytest.approx(85.0)


lines = st.lists(
    st.tuples(
        st.integers(0, 5),  # order
        st.sampled_from(["P1", "P2", "G", "SHIP", "X"]),
        st.integers(-3, 4).filter(lambda q: q != 0),
        st.sampled_from([0.0, 1.5, 10.0]),
        st.sampled_from(["email", "direct", None]),
        st.sampled_from(["completed", "cancelled", "returned"]),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=25, deadline=None, derandomize=True, phases=(Phase.explicit, Phase.generate))
@given(lines)
def test_breakdowns_add_up_to_the_total(
    data: list[tuple[int, str, int, float, str | None, str]],
) -> None:
    """Property: additive KPIs of any dimension's members sum to the period's KPI."""
    w = connect("duckdb://:memory:")
    try:
        w.duckdb.execute(SHOP_SQL.split("INSERT INTO orders")[0])
        seen: dict[int, tuple[str | None, str]] = {}
        for i, (o, sku, q, p, channel, status) in enumerate(data):
            channel, status = seen.setdefault(o, (channel, status))
            if i == min(k for k, d in enumerate(data) if d[0] == o):
                w.duckdb.execute(
                    "INSERT INTO orders (order_id, customer_id, ordered_at, status, channel, "
                    "discount_amount) VALUES (?, ?, ?, ?, ?, ?)",
                    [f"O{o}", f"C{o % 3}", f"2026-06-0{o + 1} 12:00", status, channel, o / 2],
                )
            w.duckdb.execute(
                "INSERT INTO order_items VALUES (?, ?, ?, ?, ?, NULL)", [f"O{o}", i + 1, sku, q, p]
            )
        total = compute_kpis(w, JUNE).values
        for dim in ("channel", "category", "product", "customer_type"):
            t = breakdown(w, JUNE, dim, kpis=["net_revenue", "gmv", "orders"])
            for k in ("net_revenue", "gmv"):
                assert sum(t.column(k).to_pylist()) == pytest.approx(total[k].value, abs=1e-9)
            if dim in ("channel", "customer_type"):
                assert sum(t.column("orders").to_pylist()) == total["orders"].value
    finally:
        w.close()


def test_dates_outside_the_data_give_empty_breakdowns(shop: Warehouse) -> None:
    t = breakdown(shop, DateRange(date(2020, 1, 1), date(2020, 1, 31)), "channel")
    assert t.num_rows == 0


def test_read_only_warehouse_reuses_compiled_queries_with_the_same_results(
    demo_wh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only file keeps the compiled SQL of a breakdown; results equal a fresh Ibis run."""
    from shopscope.insight.breakdowns import breakdown_table

    compiled: list[object] = []
    original = demo_wh.ibis.compile

    def counting(expr: object, *args: object, **kwargs: object) -> object:
        compiled.append(expr)
        return original(expr, *args, **kwargs)

    monkeypatch.setattr(demo_wh.ibis, "compile", counting)
    june = DateRange(date(2025, 6, 1), date(2025, 6, 30))
    may = DateRange(date(2025, 5, 1), date(2025, 5, 31))
    compiles = []
    for period in (june, may, june):
        before = len(compiled)
        got = breakdown(demo_wh, period, "channel", kpis=("net_revenue", "aov"))
        compiles.append(len(compiled) - before)
        fresh = breakdown_table(demo_wh, period, "channel", kpis=("net_revenue", "aov"))
        want = fresh.order_by([fresh.net_revenue.desc(), fresh.member]).to_pyarrow()
        assert got.schema == want.schema
        # Parallel float sums may differ in the last bits between two runs of one query.
        got_rows, want_rows = got.to_pylist(), want.to_pylist()
        assert [r["member"] for r in got_rows] == [r["member"] for r in want_rows]
        for got_row, want_row in zip(got_rows, want_rows, strict=True):
            numbers = {k: v for k, v in want_row.items() if k != "member"}
            assert {k: got_row[k] for k in numbers} == pytest.approx(numbers, rel=1e-9)
    assert compiles == [1, 1, 0]  # once per period: the second June call reused the SQL
