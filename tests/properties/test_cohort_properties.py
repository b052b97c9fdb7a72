"""Cohort matrices on random small shops: retention is a share, and the matrices add up."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shopscope.insight.cohorts import GOODS_KINDS, NON_SALE_STATUSES, cohort_matrix
from shopscope.warehouse.connection import Warehouse, arrow_schema, connect
from shopscope.warehouse.schema import ORDER_STATUSES

__all__: list[str] = []

START = datetime(2025, 1, 1)
KINDS = {"P1": "product", "P2": "product", "GC": "gift_card", "SHIP": "shipping", "FEE": "fee"}
SKUS = [*KINDS, "NOPRODUCT"]  # the last has no products row: counts as goods

line = st.tuples(
    st.sampled_from(SKUS),
    st.integers(min_value=-3, max_value=5),
    st.sampled_from([0.0, 0.1, 1.99, 9.5, 25.0, 100.0 / 3]),
)
order = st.tuples(
    st.one_of(st.none(), st.integers(min_value=0, max_value=7)),  # customer (None = guest)
    st.integers(min_value=0, max_value=400 * 24 * 60),  # minutes after START
    st.sampled_from(ORDER_STATUSES),
    st.one_of(st.none(), st.sampled_from([-5.0, 0.0, 12.5, 80.0])),  # gross_amount
    st.lists(line, min_size=0, max_size=3),
)
shops = st.lists(order, min_size=1, max_size=25)


def _table(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    schema = arrow_schema(name)
    return pa.Table.from_pylist([{f.name: r.get(f.name) for f in schema} for r in rows], schema)


def _write(wh: Warehouse, shop: list[Any]) -> dict[str, float]:
    """Load ``shop`` and compute the expected totals in plain Python."""
    products = [{"sku": s, "item_kind": k} for s, k in KINDS.items()]
    orders, items = [], []
    customers: set[str] = set()
    n_orders, revenue = 0, 0.0
    for i, (cust, minutes, status, gross, lines) in enumerate(shop):
        oid = f"o{i}"
        cid = None if cust is None else f"c{cust}"
        orders.append(
            {
                "order_id": oid,
                "customer_id": cid,
                "ordered_at": START + timedelta(minutes=minutes),
                "status": status,
                "gross_amount": gross,
            }
        )
        for no, (sku, qty, price) in enumerate(lines, start=1):
            items.append(
                {"order_id": oid, "line_no": no, "sku": sku, "quantity": qty, "unit_price": price}
            )
        amount = gross if gross is not None else sum(q * p for _, q, p in lines)
        if cid is None or status in NON_SALE_STATUSES or not amount > 0:
            continue
        customers.add(cid)
        n_orders += 1
        revenue += sum(
            q * p for s, q, p in lines if q > 0 and KINDS.get(s, "product") in GOODS_KINDS
        )
    wh.write_arrow("products", _table("products", products), mode="overwrite")
    wh.write_arrow("orders", _table("orders", orders), mode="overwrite")
    wh.write_arrow("order_items", _table("order_items", items), mode="overwrite")
    return {"customers": len(customers), "orders": n_orders, "revenue": revenue}


@pytest.fixture(scope="module")
def shop_wh() -> Iterator[Warehouse]:
    wh = connect("duckdb://:memory:")
    yield wh
    wh.close()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(shop=shops, grain=st.sampled_from(["week", "month"]))
def test_cohort_matrices_add_up(shop_wh: Warehouse, shop: list[Any], grain: str) -> None:
    expected = _write(shop_wh, shop)
    if expected["customers"] == 0:
        return  # covered by the NotFoundError tests
    m = cohort_matrix(shop_wh, grain=grain, metric="customers")  # type: ignore[arg-type]
    assert m.retention is not None
    np.testing.assert_array_equal(m.retention[:, 0], 1.0)
    observed = m.retention[~np.isnan(m.retention)]
    assert ((observed >= 0) & (observed <= 1)).all()
    assert sum(m.sizes) == expected["customers"]
    assert list(m.cohorts) == sorted(m.cohorts)
    orders = cohort_matrix(shop_wh, grain=grain, metric="orders")  # type: ignore[arg-type]
    assert np.nansum(orders.values) == expected["orders"]
    revenue = cohort_matrix(shop_wh, grain=grain, metric="revenue")  # type: ignore[arg-type]
    assert np.nansum(revenue.values) == pytest.approx(expected["revenue"], rel=1e-9, abs=1e-9)
    # Observable cells form a left-aligned staircase: later cohorts see fewer periods.
    seen = (~np.isnan(m.values)).sum(axis=1)
    assert (np.diff(seen) <= 0).all()
