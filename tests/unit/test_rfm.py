"""RFM: a hand-scored shop, the rule table, bad input, and Online Retail vs pandas."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shopscope.errors import InvalidInputError, NotFoundError
from shopscope.retention.rfm import (
    NEW_SEGMENT,
    SegmentRule,
    load_segment_rules,
    movers_between,
    rfm_scores,
    segment_migration,
    segment_summary,
)
from shopscope.warehouse.connection import Warehouse, connect

__all__: list[str] = []

AS_OF = date(2026, 2, 1)


@pytest.fixture
def hand(wh: Warehouse) -> Warehouse:
    """Five customers a..e, a guest, a cancelled order, a shipping line and a late order.

    Scored as of 2026-02-01 (worked out by hand in the tests below):

    ====  ==========  =======  =========  ========
    cust  last order  recency  frequency  monetary
    ====  ==========  =======  =========  ========
    a     2026-01-30  2        3          180
    b     2026-01-25  7        1          40
    c     2025-12-15  48       2          300
    d     2025-11-01  92       1          20
    e     2026-01-25  7        2          70
    ====  ==========  =======  =========  ========
    """
    con = wh.duckdb
    con.execute(
        "INSERT INTO products (sku, item_kind) VALUES ('P', 'product'), ('SHIP', 'shipping')"
    )
    orders = [
        ("a1", "a", "2026-01-10 09:00", "completed", 30.0),
        ("a2", "a", "2026-01-20 09:00", "completed", 50.0),
        ("a3", "a", "2026-01-30 23:59", "delivered", 105.0),
        ("b1", "b", "2026-01-25 12:00", "paid", 40.0),
        ("c1", "c", "2025-12-01 08:00", "completed", 200.0),
        ("c2", "c", "2025-12-15 08:00", "completed", 100.0),
        ("d1", "d", "2025-11-01 08:00", "completed", 20.0),
        ("d2", "d", "2026-01-31 08:00", "cancelled", 500.0),  # a reversal: not a sale
        ("e1", "e", "2026-01-05 08:00", "completed", 10.0),
        ("e2", "e", "2026-01-25 08:00", "completed", 60.0),
        ("g1", None, "2026-01-29 08:00", "completed", 999.0),  # a guest
        ("f1", "f", "2026-02-01 00:00", "completed", 80.0),  # on as_of: not yet counted
    ]
    for oid, cid, at, status, gross in orders:
        con.execute(
            "INSERT INTO orders (order_id, customer_id, ordered_at, status, gross_amount) "
            "VALUES (?, ?, CAST(? AS TIMESTAMP), ?, ?)",
            [oid, cid, at, status, gross],
        )
        if oid == "a3":  # 100 of goods (NOPROD has no products row: goods) + 5 shipping
            lines = [(1, "P", 1, 60.0), (2, "NOPROD", 2, 20.0), (3, "SHIP", 1, 5.0)]
        else:
            lines = [(1, "P", 1, gross)]
        for no, sku, qty, price in lines:
            con.execute(
                "INSERT INTO order_items (order_id, line_no, sku, quantity, unit_price) "
                "VALUES (?, ?, ?, ?, ?)",
                [oid, no, sku, qty, price],
            )
    return wh


def _rows(wh: Warehouse, **kw: object) -> dict[str, dict[str, object]]:
    t = rfm_scores(wh, **kw)  # type: ignore[arg-type]
    return {r["customer_id"]: r for r in t.to_pylist()}


def test_hand_scores_five_bins(hand: Warehouse) -> None:
    rows = _rows(hand, as_of=AS_OF)
    assert sorted(rows) == ["a", "b", "c", "d", "e"]
    measures = {c: (r["recency_days"], r["frequency"], r["monetary"]) for c, r in rows.items()}
    assert measures == {
        "a": (2, 3, 180.0),
        "b": (7, 1, 40.0),
        "c": (48, 2, 300.0),
        "d": (92, 1, 20.0),
        "e": (7, 2, 70.0),
    }
    # n = 5, score = floor(rank * 5 / 5) + 1 = rank + 1 (zero-based minimum rank).
    # R (recency descending): d 0, c 1, b/e tie 2, a 4.  F: b/d 0, c/e 2, a 4.
    # M: d 0, b 1, e 2, a 3, c 4.
    got = {c: (r["rfm"], r["segment"]) for c, r in rows.items()}
    assert got == {
        "a": ("554", "Champions"),
        "b": ("312", "About to Sleep"),
        "c": ("235", "At Risk"),
        "d": ("111", "Lost"),
        "e": ("333", "Need Attention"),
    }


def test_hand_scores_three_bins(hand: Warehouse) -> None:
    # score = floor(rank * 3 / 5) + 1: ranks 0, 1 -> 1; 2, 3 -> 2; 4 -> 3.
    rows = _rows(hand, as_of=AS_OF, bins=3)
    got = {c: (r["rfm"], r["segment"]) for c, r in rows.items()}
    assert got == {
        "a": ("332", "Champions"),
        "b": ("211", "About to Sleep"),
        "c": ("123", "At Risk"),
        "d": ("111", "Lost"),
        "e": ("222", "Need Attention"),
    }


def test_default_as_of_is_day_after_last_order(hand: Warehouse) -> None:
    rows = _rows(hand)  # last order 2026-02-01 -> as_of 2026-02-02
    assert rows["f"]["recency_days"] == 1
    assert rows["a"]["recency_days"] == 3


def test_segment_summary(hand: Warehouse) -> None:
    summary = segment_summary(hand, as_of=AS_OF)
    assert [s.segment for s in summary] == [
        "Champions",
        "Need Attention",
        "About to Sleep",
        "Lost",
        "At Risk",
    ]  # rule order
    assert sum(s.customers for s in summary) == 5
    assert sum(s.share for s in summary) == pytest.approx(1.0)
    risk = next(s for s in summary if s.segment == "At Risk")
    assert (risk.customers, risk.revenue, risk.avg_recency_days) == (1, 300.0, 48.0)


def test_migration_and_movers(hand: Warehouse) -> None:
    # As of 2026-01-01 only c and d had orders: n = 2, R: d 0, c 1 -> scores 1, 3 (5 bins);
    # F: d 1, c 3.  So c was Need Attention (3, 3), d Lost (1, 1).
    m = segment_migration(hand, from_date=date(2026, 1, 1), to_date=AS_OF)
    got = {(r["from_segment"], r["to_segment"]): r["customers"] for r in m.to_pylist()}
    assert got == {
        (NEW_SEGMENT, "About to Sleep"): 1,
        (NEW_SEGMENT, "Champions"): 1,
        (NEW_SEGMENT, "Need Attention"): 1,
        ("Need Attention", "At Risk"): 1,
        ("Lost", "Lost"): 1,
    }
    movers = movers_between(
        hand,
        from_date=date(2026, 1, 1),
        to_date=AS_OF,
        from_segment="Need Attention",
        to_segment="At Risk",
    ).to_pylist()
    assert movers == [
        {
            "customer_id": "c",
            "from_r": 3,
            "from_f": 3,
            "from_m": 3,
            "from_segment": "Need Attention",
            "to_r": 2,
            "to_f": 3,
            "to_m": 5,
            "to_segment": "At Risk",
        }
    ]
    new = movers_between(
        hand,
        from_date=date(2026, 1, 1),
        to_date=AS_OF,
        from_segment=NEW_SEGMENT,
        to_segment="Champions",
    )
    assert new.column("customer_id").to_pylist() == ["a"]


# -- the rule table ---------------------------------------------------------------------------


@pytest.mark.parametrize("bins", [3, 5])
def test_default_rules_cover_the_grid(bins: int) -> None:
    rules = load_segment_rules(bins=bins)  # type: ignore[arg-type]
    for r in range(1, bins + 1):
        for f in range(1, bins + 1):
            assert any(rule.matches(r, f) for rule in rules)
    assert all(rule.description_en and rule.description_zh and rule.action for rule in rules)


def test_five_bin_rules_have_all_eleven_segments() -> None:
    names = {rule.name for rule in load_segment_rules()}
    assert len(names) == 11
    assert {"Champions", "Lost", "Hibernating", "Can't Lose Them"} <= names


def test_user_rules_override(tmp_path: Path, hand: Warehouse) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(
        '[[rule]]\nname = "Recent"\nr5 = [4, 5]\nf5 = [1, 5]\n'
        '[[rule]]\nname = "Other"\nr5 = [1, 5]\nf5 = [1, 5]\n',
        encoding="utf-8",
    )
    rules = load_segment_rules(path)
    assert [r.name for r in rules] == ["Recent", "Other"]
    rows = _rows(hand, as_of=AS_OF, rules=rules)
    assert {c: r["segment"] for c, r in rows.items()} == {
        "a": "Recent",
        "b": "Other",
        "c": "Other",
        "d": "Other",
        "e": "Other",
    }


# -- bad input --------------------------------------------------------------------------------


def test_rules_with_gaps_list_uncovered_cells(tmp_path: Path) -> None:
    path = tmp_path / "gaps.toml"
    path.write_text('[[rule]]\nname = "Top"\nr3 = [2, 3]\nf3 = [1, 3]\n', encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"3 \(r, f\) cell.*\(1, 1\), \(1, 2\), \(1, 3\)"):
        load_segment_rules(path, bins=3)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('[[rule]]\nname = "X"\nr5 = [0, 5]\nf5 = [1, 5]\n', r"outside 1\.\.5"),
        ('[[rule]]\nname = "X"\nr5 = [5, 1]\nf5 = [1, 5]\n', "is empty"),
        ('[[rule]]\nname = "X"\nr5 = "all"\nf5 = [1, 5]\n', "two integers"),
        ("name = 1\n", r"\[\[rule\]\]"),
        ("[[rule", "Cannot read"),
    ],
)
def test_malformed_rules(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInputError, match=match):
        load_segment_rules(path)


def test_rules_argument_is_validated(hand: Warehouse) -> None:
    with pytest.raises(InvalidInputError, match=r"uncovered.*\(1, 1\)"):
        rfm_scores(hand, as_of=AS_OF, rules=[SegmentRule("Top", (2, 5), (1, 5))])


def test_empty_warehouse(wh: Warehouse) -> None:
    with pytest.raises(NotFoundError, match="no orders"):
        rfm_scores(wh)


def test_bad_bins(hand: Warehouse) -> None:
    with pytest.raises(InvalidInputError, match="bins must be 3 or 5, got 4"):
        rfm_scores(hand, bins=4)  # type: ignore[arg-type]


def test_as_of_before_first_order(hand: Warehouse) -> None:
    with pytest.raises(InvalidInputError, match="not after the first order"):
        rfm_scores(hand, as_of=date(2025, 11, 1))


def test_migration_from_before_the_data_is_all_new(hand: Warehouse) -> None:
    m = segment_migration(hand, from_date=date(2020, 1, 1), to_date=AS_OF)
    assert set(m.column("from_segment").to_pylist()) == {NEW_SEGMENT}
    assert sum(m.column("customers").to_pylist()) == 5


def test_migration_dates_and_segment_names(hand: Warehouse) -> None:
    with pytest.raises(InvalidInputError, match="must be before"):
        segment_migration(hand, from_date=AS_OF, to_date=AS_OF)
    with pytest.raises(InvalidInputError, match="Unknown to_segment 'Gone'; segments: Champions"):
        movers_between(
            hand, from_date=date(2026, 1, 1), to_date=AS_OF, from_segment="Lost", to_segment="Gone"
        )


# -- Online Retail vs an independent pandas computation ---------------------------------------


def _pandas_score(values: pd.Series, bins: int, *, ascending: bool) -> pd.Series:
    rank = values.rank(method="min", ascending=ascending) - 1
    return ((rank * bins) // len(values) + 1).astype("int64")


def test_online_retail_matches_pandas(shared_data: Path) -> None:
    from shopscope.warehouse.ingest import ingest_file
    from shopscope.warehouse.sources.online_retail import OnlineRetail

    wh = connect("duckdb://:memory:")
    try:
        ingest_file(wh, shared_data / "online-retail" / "online_retail.csv.gz", OnlineRetail())
        as_of = date(2011, 9, 1)
        got = rfm_scores(wh, as_of=as_of).to_pandas().set_index("customer_id")
        # Independent: plain SQL extract, pandas for everything else.
        orders = wh.duckdb.execute("SELECT * FROM orders").df()
        items = wh.duckdb.execute("SELECT * FROM order_items").df()
        kinds = wh.duckdb.execute("SELECT sku, item_kind FROM products").df()
    finally:
        wh.close()
    items = items.merge(kinds, on="sku", how="left")
    items["amount"] = items["quantity"] * items["unit_price"]
    goods = items["item_kind"].isna() | items["item_kind"].isin(["product", "gift_card"])
    items["rev"] = items["amount"].where(goods & (items["quantity"] > 0), 0.0)
    per_order = items.groupby("order_id").agg(rev=("rev", "sum"), total=("amount", "sum"))
    o = orders.merge(per_order, left_on="order_id", right_index=True, how="left")
    positive = np.where(o["gross_amount"].isna(), o["total"].fillna(0.0) > 0, o["gross_amount"] > 0)
    sale = o[
        ~o["status"].isin(["cancelled", "returned", "refunded"])
        & positive
        & o["customer_id"].notna()
        & (o["ordered_at"] < pd.Timestamp(as_of))
    ]
    exp = sale.groupby("customer_id").agg(
        last=("ordered_at", "max"),
        frequency=("order_id", "nunique"),
        monetary=("rev", lambda s: s.fillna(0.0).sum()),
    )
    exp["recency_days"] = (pd.Timestamp(as_of) - exp["last"].dt.normalize()).dt.days
    exp["monetary"] = exp["monetary"].round(2)
    exp["r_score"] = _pandas_score(exp["recency_days"], 5, ascending=False)
    exp["f_score"] = _pandas_score(exp["frequency"], 5, ascending=True)
    exp["m_score"] = _pandas_score(exp["monetary"], 5, ascending=True)

    assert len(got) == len(exp) > 3000
    exp = exp.loc[got.index]
    assert (got["recency_days"] == exp["recency_days"]).all()
    assert (got["frequency"] == exp["frequency"]).all()
    np.testing.assert_allclose(got["monetary"], exp["monetary"], rtol=0, atol=1e-9)
    for col in ("r_score", "f_score", "m_score"):
        assert (got[col] == exp[col]).all(), col
