"""Funnels, product-page conversion and abandoned carts against plain pandas computations."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest

from shopscope.conversion.abandoned import abandoned_carts
from shopscope.conversion.funnels import funnel
from shopscope.conversion.products import product_conversion
from shopscope.errors import InvalidInputError
from shopscope.warehouse.connection import arrow_schema

T0 = datetime(2026, 3, 1, 12)
STEPS = ["product_view", "add_to_cart", "begin_checkout", "purchase"]


def _loose_pandas(ev, steps, unit, window):
    """Independent loose funnel: best attempt per unit, greedy earliest next step."""
    ev = ev[ev[unit].notna() & ev.event_type.isin(steps)].sort_values(["occurred_at", "event_id"])
    depth, secs = {}, {}
    for u, g in ev.groupby(unit):
        times = {s: g.occurred_at[g.event_type == s].to_numpy() for s in steps}
        for start in times[steps[0]]:
            t, d = start, 1
            for s in steps[1:]:
                nxt = times[s][(times[s] >= t) & (times[s] <= start + window)]
                if nxt.size == 0:
                    break
                t, d = nxt.min(), d + 1
            depth[u] = max(depth.get(u, 0), d)
            if d == len(steps):
                secs[u] = min(secs.get(u, np.inf), (t - start) / np.timedelta64(1, "s"))
    counts = [sum(1 for v in depth.values() if v >= k) for k in range(1, len(steps) + 1)]
    return counts, np.array(list(secs.values()))


@pytest.mark.parametrize("per", ["session", "user"])
def test_loose_funnel_equals_pandas_on_demo(demo_wh, per):
    ev = demo_wh.duckdb.execute(
        "SELECT event_id, occurred_at, anonymous_id, session_id, event_type FROM events "
        "WHERE event_type IN ('product_view', 'add_to_cart', 'begin_checkout', 'purchase') "
        "AND occurred_at >= TIMESTAMP '2026-06-26'"
    ).df()
    start = datetime(2026, 6, 26)
    f = funnel(demo_wh, STEPS, per=per, start=start, window=timedelta(hours=2))
    unit = "session_id" if per == "session" else "anonymous_id"
    counts, secs = _loose_pandas(ev, STEPS, unit, np.timedelta64(2, "h"))
    assert [s.units for s in f.steps] == counts
    assert f.time_to_convert.converted == secs.size
    assert f.time_to_convert.median == pytest.approx(np.median(secs))
    assert f.time_to_convert.p90 == pytest.approx(np.quantile(secs, 0.9))
    assert sum(f.time_to_convert.buckets.values()) == secs.size
    drop = [s.drop_off for s in f.steps]
    assert drop == [0] + [counts[i - 1] - counts[i] for i in range(1, 4)]


def _events(rows):
    schema = arrow_schema("events")
    full = []
    for i, (uid, minutes, etype, sku) in enumerate(rows):
        r = {n: None for n in schema.names}
        r |= {
            "event_id": f"E{i:05d}",
            "anonymous_id": uid,
            "session_id": f"S-{uid}",
            "occurred_at": T0 + timedelta(minutes=minutes),
            "event_type": etype,
            "sku": sku,
        }
        full.append(r)
    return pa.Table.from_pylist(full, schema=schema)


def test_strict_order_window_and_breakdowns(wh):
    rows = [
        # u1: clean consecutive path
        ("u1", 0, "product_view", "A"), ("u1", 1, "add_to_cart", "A"),
        ("u1", 2, "begin_checkout", None), ("u1", 3, "purchase", None),
        # u2: a search between view and cart: loose yes, strict no (but a second attempt is)
        ("u2", 0, "product_view", "A"), ("u2", 1, "search", None), ("u2", 2, "add_to_cart", "A"),
        ("u2", 10, "product_view", "B"), ("u2", 11, "add_to_cart", "B"),
        # u3: converts but outside a 30-minute window
        ("u3", 0, "product_view", "B"), ("u3", 20, "add_to_cart", "B"),
        ("u3", 40, "begin_checkout", None), ("u3", 45, "purchase", None),
        # u4: steps out of order: cart before view
        ("u4", 0, "add_to_cart", "A"), ("u4", 1, "product_view", "A"),
        # u5: view, search, cart: only the loose order counts the cart
        ("u5", 0, "product_view", "C"), ("u5", 1, "search", None), ("u5", 2, "add_to_cart", "C"),
    ]  # fmt: skip
    wh.write_arrow("events", _events(rows))
    w = timedelta(minutes=30)
    loose = funnel(wh, STEPS, window=w)
    strict = funnel(wh, STEPS, window=w, order="strict")
    assert [s.units for s in loose.steps] == [5, 4, 1, 1]
    assert [s.units for s in strict.steps] == [5, 3, 1, 1]
    two = ["product_view", "add_to_cart"]
    one_min, five = timedelta(minutes=1), timedelta(minutes=5)
    assert [s.units for s in funnel(wh, two, window=one_min).steps] == [5, 2]  # u1, u2 (2nd)
    assert [s.units for s in funnel(wh, two, window=five).steps] == [5, 3]  # + u5
    assert [s.units for s in funnel(wh, two, window=five, order="strict").steps] == [5, 2]
    assert [s.units for s in funnel(wh, two, window=timedelta(minutes=20)).steps] == [5, 4]
    assert loose.time_to_convert.median == 180.0
    wide = funnel(wh, STEPS, window=timedelta(hours=1))
    assert wide.steps[-1].units == 2
    assert (
        wide.time_to_convert.buckets["1-10 min"] == 1
        and wide.time_to_convert.buckets["10-60 min"] == 1
    )
    by_dev = funnel(wh, STEPS, window=w, breakdown="device")
    assert [g.value for g in by_dev.groups] == ["(unknown)"]
    assert by_dev.groups[0].steps == loose.steps


def test_funnel_breakdowns_partition_the_total(demo_wh):
    start = datetime(2026, 6, 20)
    total = funnel(demo_wh, STEPS, per="session", start=start)
    for by in ("channel", "device", "category", "new_returning"):
        f = funnel(demo_wh, STEPS, per="session", breakdown=by, start=start)
        for k in range(4):
            assert sum(g.steps[k].units for g in f.groups) == total.steps[k].units, by
    eid = demo_wh.duckdb.execute("SELECT DISTINCT experiment_id FROM events "
                                 "WHERE experiment_id IS NOT NULL").fetchone()[0]  # fmt: skip
    v = funnel(demo_wh, ["begin_checkout", "purchase"], breakdown="variant", experiment_id=eid)
    assert {"control", "treatment"} <= {g.value for g in v.groups}


def test_product_conversion_equals_pandas(demo_wh):
    t = product_conversion(demo_wh, limit=None).to_pandas().set_index("sku")
    con = demo_wh.duckdb
    ev = con.execute("SELECT session_id, event_type, sku, order_id FROM events").df()
    items = con.execute("SELECT order_id, sku FROM order_items WHERE quantity > 0").df()
    views = ev[(ev.event_type == "product_view") & ev.sku.notna()][["session_id", "sku"]]
    views = views.drop_duplicates()
    carts = ev[ev.event_type == "add_to_cart"][["session_id", "sku"]].drop_duplicates()
    bought = ev[ev.event_type == "purchase"][["session_id", "order_id"]].merge(items)
    bought = bought[["session_id", "sku"]].drop_duplicates()
    v = views.groupby("sku").size()
    c = views.merge(carts).groupby("sku").size()
    b = views.merge(bought).groupby("sku").size()
    assert t.views.to_dict() == v.to_dict()
    assert t.carted[t.carted > 0].to_dict() == c.to_dict()
    assert t.purchased[t.purchased > 0].to_dict() == b.to_dict()


def test_abandoned_carts(wh):
    rows = [
        ("u1", 0, "add_to_cart", "A"), ("u1", 1, "begin_checkout", None),  # abandoned
        ("u2", 0, "add_to_cart", "B"), ("u2", 1, "purchase", None),  # bought
        ("u3", 0, "add_to_cart", "A"), ("u3", 1, "add_to_cart", "B"),  # abandoned, 2 items
        ("u5", 500, "page_view", None),  # the end of the data
    ]  # fmt: skip
    wh.write_arrow("events", _events(rows))
    products = pa.Table.from_pylist(
        [{"sku": "A", "title": "a", "price": 10.0}, {"sku": "B", "title": "b", "price": 2.5}]
    )
    wh.duckdb.register("p_in", products)
    wh.duckdb.execute(
        "INSERT INTO products (sku, title, price, item_kind) "
        "SELECT sku, title, price, 'product' FROM p_in"
    )
    out = abandoned_carts(wh).to_pylist()
    assert [r["anonymous_id"] for r in out] == ["u3", "u1"]
    assert out[0]["value"] == 12.5 and out[0]["items"] == 2
    assert out[1]["reached_checkout"] is True
    # still active within the idle time: not listed yet
    assert abandoned_carts(wh, as_of=T0 + timedelta(minutes=30)).num_rows == 0


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"steps": ["product_view"]}, "at least two steps"),
        ({"steps": ["product_view", "checkout"]}, "Unknown event type"),
        ({"window": timedelta(0)}, "window must be positive"),
        ({"per": "visit"}, "per='visit'"),
        ({"breakdown": "colour"}, "breakdown 'colour'"),
        ({"breakdown": "variant"}, "needs experiment_id"),
    ],
)
def test_funnel_bad_input(wh, kw, match):
    wh.write_arrow("events", _events([("u1", 0, "product_view", "A")]))
    with pytest.raises(InvalidInputError, match=match):
        funnel(wh, **kw)
