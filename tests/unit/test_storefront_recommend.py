"""Interactions, co-occurrence, trending on a hand-built shop; build, lookup, export on a demo."""

from __future__ import annotations

import csv
import math
from collections import Counter
from contextlib import nullcontext
from datetime import date, datetime, timedelta
from itertools import combinations

import numpy as np
import pyarrow as pa
import pytest

from shopscope.errors import InvalidInputError, NotFoundError
from shopscope.storefront.recommend import (
    build_recommendations,
    evaluate,
    export_campaign,
    interaction_table,
    item_popularity,
    recommend_for_item,
    recommend_for_user,
    trending_items,
)
from shopscope.storefront.recommend.build import AUTO_CANDIDATES
from shopscope.storefront.recommend.cache import IndexCache, serving_index
from shopscope.storefront.recommend.cooccurrence import bought_together
from shopscope.storefront.recommend.interactions import purchase_lines
from shopscope.storefront.recommend.rules import out_of_stock
from shopscope.warehouse.connection import Warehouse, arrow_schema, connect
from shopscope.warehouse.demo import generate_demo

T = datetime(2026, 1, 1)


def put(wh: Warehouse, name: str, rows: list[dict]) -> None:
    schema = arrow_schema(name)
    full = [{f.name: r.get(f.name) for f in schema} for r in rows]
    wh.write_arrow(name, pa.Table.from_pylist(full, schema=schema))


def order(oid, cust, day, status="paid"):
    return {
        "order_id": oid,
        "customer_id": cust,
        "ordered_at": datetime(2026, 1, day),
        "status": status,
    }


def line(oid, n, sku, qty=1):
    return {"order_id": oid, "line_no": n, "sku": sku, "quantity": qty, "unit_price": 1.0}


def event(eid, day, kind, *, cust=None, anon=None, sku=None, order_id=None, session=None):
    return {
        "event_id": eid,
        "occurred_at": datetime(2026, 1, day),
        "event_type": kind,
        "customer_id": cust,
        "anonymous_id": anon,
        "sku": sku,
        "order_id": order_id,
        "session_id": session,
    }


@pytest.fixture
def shop(wh: Warehouse) -> Warehouse:
    cats = {"A": "X", "B": "X", "C": "X", "D": "Y", "E": "Y"}
    put(
        wh,
        "products",
        [{"sku": s, "category": c, "item_kind": "product", "title": s} for s, c in cats.items()]
        + [{"sku": "SHIP", "item_kind": "shipping"}, {"sku": "GC", "item_kind": "gift_card"}],
    )
    put(
        wh,
        "customers",
        [{"customer_id": c, "email_opt_in": c != "c2"} for c in ("c1", "c2", "c3", "c4")],
    )
    put(
        wh,
        "orders",
        [
            order("o1", "c1", 1),
            order("o2", "c2", 2, "completed"),
            order("o3", "c2", 3, "cancelled"),
            order("o4", None, 3),
            order("o5", "c3", 5),
        ],
    )
    put(
        wh,
        "order_items",
        [
            line("o1", 1, "A"),
            line("o1", 2, "B", 2),
            line("o1", 3, "SHIP"),
            line("o2", 1, "A"),
            line("o2", 2, "C"),
            line("o3", 1, "D"),
            line("o4", 1, "A"),
            line("o4", 2, "E"),
            line("o5", 1, "B"),
            line("o5", 2, "C", -1),
            line("o5", 3, "GC"),
        ],
    )
    put(
        wh,
        "events",
        [
            event("e1", 2, "product_view", cust="c1", sku="D", session="s1"),
            event("e2", 4, "product_view", anon="a9", sku="E", session="s2"),
            event("e3", 6, "login", cust="c3", anon="a9"),
            event("e4", 2, "add_to_cart", cust="c2", sku="D"),
            event("e5", 1, "purchase", cust="c1", sku="A", order_id="o1"),
            event("e6", 7, "purchase", cust="c3", sku="D", order_id="ext-9"),
            event("e7", 3, "product_view", cust="c1", sku="D", session="s1"),
            event("e8", 3, "search", cust="c1"),
        ],
    )
    return wh


def test_interactions_weigh_and_filter_every_signal(shop):
    """Purchases 5, carts 3, views 1; cancelled, guest, returned, fee and gift lines left out;
    the anonymous view is stitched to c3; the purchase event of a known order not counted twice."""
    got = {
        (r["customer_id"], r["sku"]): (r["weight"], r["purchases"])
        for r in interaction_table(shop).to_pyarrow().to_pylist()
    }
    assert got == {
        ("c1", "A"): (5.0, 1),
        ("c1", "B"): (5.0, 1),
        ("c1", "D"): (2.0, 0),
        ("c2", "A"): (5.0, 1),
        ("c2", "C"): (5.0, 1),
        ("c2", "D"): (3.0, 0),
        ("c3", "B"): (5.0, 1),
        ("c3", "E"): (1.0, 0),
        ("c3", "D"): (5.0, 1),
    }
    window = interaction_table(shop, start=date(2026, 1, 2), end=date(2026, 1, 5))
    assert sorted((r["customer_id"], r["sku"]) for r in window.to_pyarrow().to_pylist()) == [
        ("c1", "D"),
        ("c2", "A"),
        ("c2", "C"),
        ("c2", "D"),
        ("c3", "E"),
    ]


def test_trending_is_a_recency_weighted_sum(shop):
    half = 2.0
    got = {
        r["sku"]: r["score"]
        for r in trending_items(shop, as_of=datetime(2026, 1, 7), half_life_days=half)
        .to_pyarrow()
        .to_pylist()
    }
    signals = {
        "A": [(1, 5), (2, 5)],
        "B": [(1, 5), (5, 5)],
        "C": [(2, 5)],
        "D": [(2, 1), (3, 1), (2, 3), (7, 5)],
        "E": [(4, 1)],
    }
    for sku, items in signals.items():
        want = sum(w * 0.5 ** ((7 - d) / half) for d, w in items)
        assert got[sku] == pytest.approx(want, rel=1e-12), sku
    with pytest.raises(InvalidInputError, match="half_life_days=0"):
        trending_items(shop, half_life_days=0)


def test_bought_together_equals_a_plain_count(wh):
    rng = np.random.default_rng(4)
    skus = [f"S{i:02d}" for i in range(12)]
    put(wh, "products", [{"sku": s, "item_kind": "product"} for s in skus])
    orders, lines, baskets = [], [], []
    for o in range(150):
        basket = sorted(
            rng.choice(
                skus,
                int(rng.integers(1, 5)),
                replace=False,
                p=np.linspace(2, 1, 12) / np.linspace(2, 1, 12).sum(),
            )
        )
        baskets.append(basket)
        orders.append(order(f"o{o}", f"c{o % 40}", 1 + o % 28))
        lines += [line(f"o{o}", n + 1, s) for n, s in enumerate(basket)]
    put(wh, "orders", orders)
    put(wh, "order_items", lines)
    got = bought_together(wh, k=3, min_support=2).to_pyarrow().to_pylist()
    n = Counter(s for b in baskets for s in b)
    pair = Counter(p for b in baskets for a, c in combinations(b, 2) for p in ((a, c), (c, a)))
    want = []
    for a in skus:
        ranked = sorted(
            (-pair[(a, b)] / math.sqrt(n[a] * n[b]), b)
            for b in skus
            if b != a and pair[(a, b)] >= 2
        )
        want += [(a, r + 1, b, -s) for r, (s, b) in enumerate(ranked[:3])]
    assert len(got) == len(want)
    for g, (a, rank, b, score) in zip(
        sorted(got, key=lambda r: (r["sku"], r["rank"])), want, strict=True
    ):
        assert (g["sku"], g["rank"], g["related_sku"]) == (a, rank, b)
        assert g["score"] == pytest.approx(score, rel=1e-12)


@pytest.fixture(scope="module")
def built() -> Warehouse:
    wh = connect("duckdb://:memory:")
    generate_demo(wh, size=4000, seed=7, end_date=date(2026, 6, 30))
    with pytest.raises(NotFoundError, match="recommend build"):
        recommend_for_user(wh, "C00000001")
    # the best-selling SKU runs out: a later snapshot with nothing on hand
    top = item_popularity(wh).limit(1).to_pyarrow().column("sku")[0].as_py()
    last = wh.duckdb.execute("SELECT max(date) FROM inventory").fetchone()[0] or date(2026, 6, 30)
    put(wh, "inventory", [{"date": last + timedelta(days=1), "sku": top, "location": "x",
                           "on_hand": 0}])  # fmt: skip
    summary = build_recommendations(wh, k=12, factors=8, iterations=5, max_per_category=3)
    # auto builds with the candidate that wins its own offline evaluation
    again = evaluate(wh, models=AUTO_CANDIDATES, k=10, factors=8, iterations=5)
    assert summary.model == max(again.models, key=lambda m: m.ndcg).model
    assert summary.chosen_by.startswith("auto: best NDCG@10")
    assert summary.out_of_stock >= 1
    return wh


def test_personal_lists_follow_the_business_rules(built):
    lists = built.duckdb.execute(
        "SELECT customer_id, rank, sku, category FROM reco_user_topk ORDER BY 1, 2"
    ).fetchall()
    lines = purchase_lines(built).to_pyarrow().to_pylist()
    bought = {(r["customer_id"], r["sku"]) for r in lines}
    gone = set(out_of_stock(built).to_pyarrow().column("sku").to_pylist())
    top = item_popularity(built).limit(1).to_pyarrow().column("sku")[0].as_py()
    assert top in gone
    per_customer: dict[str, list] = {}
    for cust, rank, sku, cat in lists:
        per_customer.setdefault(cust, []).append((rank, sku, cat))
        assert (cust, sku) not in bought
        assert sku not in gone
    for table, key in (("reco_user_topk", "sku"), ("reco_item_topk", "related_sku")):
        wrong = built.duckdb.execute(
            f"SELECT count(*) FROM {table} r JOIN products p ON p.sku = r.{key} "
            "WHERE r.title IS DISTINCT FROM p.title OR r.category IS DISTINCT FROM p.category "
            "OR r.price IS DISTINCT FROM p.price"
        ).fetchone()[0]
        assert wrong == 0, f"{table}: display columns differ from products"
    for items in per_customer.values():
        assert [r for r, _, _ in items] == list(range(1, len(items) + 1))
        assert max(Counter(c for _, _, c in items).values()) <= 3


def test_lookup_serves_lists_and_falls_back(built):
    cust = built.duckdb.execute("SELECT min(customer_id) FROM reco_user_topk").fetchone()[0]
    mine = recommend_for_user(built, cust, k=5)
    assert mine.source == "personal" and [i.rank for i in mine.items] == [1, 2, 3, 4, 5]
    assert all(i.title for i in mine.items)
    stranger = recommend_for_user(built, "no-such-customer", k=4)
    assert stranger.source == "fallback:trending" and len(stranger.items) == 4
    sku = built.duckdb.execute(
        "SELECT min(sku) FROM reco_item_topk WHERE list = 'similar'"
    ).fetchone()[0]
    for kind in ("similar", "bought_together", "also_viewed"):
        got = recommend_for_item(built, sku, kind=kind, k=3)
        assert got.source in (kind, "fallback:category-trending")
        assert sku not in [i.sku for i in got.items]
    unknown = recommend_for_item(built, "NO-SUCH-SKU", k=3)
    assert unknown.source == "fallback:trending" and len(unknown.items) == 3
    # the in-process index serves exactly the warehouse's rows (every list, every key)
    con = built.duckdb
    users = con.execute(
        "SELECT customer_id, list(row(sku, title, category, price, score) ORDER BY rank) "
        "FROM reco_user_topk GROUP BY 1"
    ).fetchall()
    for cid, rows in users:
        got = recommend_for_user(built, cid, k=12).items
        assert [(i.sku, i.title, i.category, i.price, i.score) for i in got] == [
            tuple(r) for r in rows
        ]
    items = con.execute(
        "SELECT sku, list, list(row(related_sku, title, category, price, score) ORDER BY rank) "
        "FROM reco_item_topk GROUP BY 1, 2"
    ).fetchall()
    for key, kind, rows in items:
        got = recommend_for_item(built, key, kind=kind, k=10).items
        assert [(i.sku, i.title, i.category, i.price, i.score) for i in got] == [
            tuple(r) for r in rows
        ]
    category = mine.items[0].category
    want = con.execute(
        "SELECT sku, score FROM reco_popular WHERE list = 'trending' AND category = ? "
        "AND sku <> ? ORDER BY rank LIMIT 5",
        [category, mine.items[0].sku],
    ).fetchall()
    idx = serving_index(built)
    got_rows = idx.trending(5, category=category, exclude=mine.items[0].sku)
    assert [(r[0], r[4]) for r in got_rows] == want


def test_new_item_gets_its_categorys_trending_items(built):
    cache = IndexCache(check_seconds=0.0)
    before = cache.get(built, lambda: nullcontext(built))
    cat = built.duckdb.execute("SELECT min(category) FROM products").fetchone()[0]
    put(built, "products", [{"sku": "NEW-1", "category": cat, "item_kind": "product"}])
    after = cache.get(built, lambda: nullcontext(built))
    # the same build: only the catalogue's categories were read again
    assert after is not before and after.users is before.users
    got = recommend_for_item(built, "NEW-1", kind="bought_together", k=4, index=after)
    assert got.source == "fallback:category-trending"
    assert {i.category for i in got.items} == {cat}


def test_campaign_export_covers_every_opted_in_customer(built, tmp_path):
    result = export_campaign(built, tmp_path / "out" / "campaign.csv", k=3)
    rows = list(csv.DictReader((tmp_path / "out" / "campaign.csv").open(encoding="utf-8")))
    opted = built.duckdb.execute("SELECT count(*) FROM customers WHERE email_opt_in").fetchone()[0]
    assert result.customers == opted == len({r["customer_id"] for r in rows})
    assert result.rows == len(rows) == 3 * opted
    assert result.personal + result.fallback == opted
    assert {r["source"] for r in rows} <= {"personal", "fallback:trending"}
    with pytest.raises(InvalidInputError, match="is a directory"):
        export_campaign(built, tmp_path, k=3)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda wh: recommend_for_user(wh, "", k=3), "non-empty customer id"),
        (lambda wh: recommend_for_user(wh, "x", k=0), r"k=0: use an integer in 1\.\.200"),
        (lambda wh: recommend_for_item(wh, "x", kind="nope"), "allowed: bought_together"),
        (lambda wh: evaluate(wh, models=("magic",)), "Unknown model.*allowed: popular"),
        (lambda wh: evaluate(wh, cutoff=date(2001, 1, 1)), "leaves no training or no test"),
        (lambda wh: evaluate(wh, test_days=0), "test_days=0"),
        (lambda wh: build_recommendations(wh, model="svd"), "Unknown personal model"),
        (lambda wh: build_recommendations(wh, k=0), r"k=0: use an integer in 1\.\.200"),
    ],
)
def test_bad_input_is_explained(built, call, match):
    with pytest.raises(InvalidInputError, match=match):
        call(built)


def test_empty_warehouse_explains_what_to_load(wh):
    with pytest.raises(NotFoundError, match="Load orders first"):
        evaluate(wh)
    with pytest.raises(NotFoundError, match="nothing to recommend"):
        build_recommendations(wh)


def test_evaluate_reports_every_requested_model(built):
    result = evaluate(built, models=("popular", "trending", "als"), k=5, factors=8, iterations=3)
    assert [m.model for m in result.models] == ["popular", "trending", "als"]
    assert result.test_users > 0 and result.train_items > 0
    for m in result.models:
        assert 0 <= m.recall <= 1 and 0 <= m.ndcg <= 1 and 0 <= m.map <= 1
        assert 0 < m.coverage <= 1
    assert result.models[0].recall_vs_popular == 1.0
