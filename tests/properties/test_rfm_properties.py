"""RFM on random small shops: scores in range, one segment each, and the counts add up."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shopscope.insight.definitions import REVERSAL_STATUSES
from shopscope.retention.rfm import (
    NEW_SEGMENT,
    load_segment_rules,
    rfm_scores,
    segment_migration,
    segment_summary,
)
from shopscope.warehouse.connection import Warehouse, arrow_schema, connect
from shopscope.warehouse.schema import ORDER_STATUSES

__all__: list[str] = []

START = datetime(2025, 1, 1)

order = st.tuples(
    st.one_of(st.none(), st.integers(min_value=0, max_value=15)),  # customer (None = guest)
    st.integers(min_value=0, max_value=300),  # day after START
    st.sampled_from(ORDER_STATUSES),
    st.sampled_from([5.0, 12.5, 40.0, 99.99, 250.0]),  # one goods line of this value
)
shops = st.lists(order, min_size=1, max_size=40)


def _table(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    schema = arrow_schema(name)
    return pa.Table.from_pylist([{f.name: r.get(f.name) for f in schema} for r in rows], schema)


def _write(wh: Warehouse, shop: list[Any]) -> dict[str, date]:
    """Load ``shop``; return each scorable customer's first sale day."""
    orders, items = [], []
    first: dict[str, date] = {}
    for i, (cust, day, status, value) in enumerate(shop):
        cid = None if cust is None else f"c{cust:02d}"
        at = START + timedelta(days=day, hours=10)
        orders.append(
            {
                "order_id": f"o{i}",
                "customer_id": cid,
                "ordered_at": at,
                "status": status,
                "gross_amount": value,
            }
        )
        items.append(
            {"order_id": f"o{i}", "line_no": 1, "sku": "P", "quantity": 1, "unit_price": value}
        )
        if cid is not None and status not in REVERSAL_STATUSES:
            first[cid] = min(first.get(cid, at.date()), at.date())
    wh.write_arrow("products", _table("products", [{"sku": "P", "item_kind": "product"}]))
    wh.write_arrow("orders", _table("orders", orders), mode="overwrite")
    wh.write_arrow("order_items", _table("order_items", items), mode="overwrite")
    return first


@pytest.fixture(scope="module")
def shop_wh() -> Iterator[Warehouse]:
    wh = connect("duckdb://:memory:")
    yield wh
    wh.close()


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(shop=shops, bins=st.sampled_from([3, 5]), cut=st.integers(min_value=1, max_value=300))
def test_rfm_invariants(shop_wh: Warehouse, shop: list[Any], bins: int, cut: int) -> None:
    first = _write(shop_wh, shop)
    last_day = max(START.date() + timedelta(days=d) for _, d, _, _ in shop)
    to_date = last_day + timedelta(days=1)
    if not first:
        return  # nobody to score; empty input is covered by the unit tests
    scores = rfm_scores(shop_wh, bins=bins).to_pylist()  # type: ignore[arg-type]
    assert sorted(r["customer_id"] for r in scores) == sorted(first)
    names = {rule.name for rule in load_segment_rules(bins=bins)}  # type: ignore[arg-type]
    for row in scores:
        for col in ("r_score", "f_score", "m_score"):
            assert 1 <= row[col] <= bins
        assert row["segment"] in names
        assert row["recency_days"] >= 1
        assert row["frequency"] >= 1
    summary = segment_summary(shop_wh, bins=bins)  # type: ignore[arg-type]
    assert sum(s.customers for s in summary) == len(scores)
    assert sum(s.share for s in summary) == pytest.approx(1.0)

    from_date = START.date() + timedelta(days=cut)
    if from_date >= to_date:
        return
    m = segment_migration(
        shop_wh,
        from_date=from_date,
        to_date=to_date,
        bins=bins,  # type: ignore[arg-type]
    ).to_pylist()
    assert sum(r["customers"] for r in m) == len(scores)
    new = sum(r["customers"] for r in m if r["from_segment"] == NEW_SEGMENT)
    assert new == sum(1 for d in first.values() if d >= from_date)
