"""The order-id indexes are created by default (kb load, first writable use) and stay fresh."""

from __future__ import annotations

from datetime import date

import pytest

from shopscope.storefront.assistant import Assistant, KBEntry, store_kb
from shopscope.storefront.assistant.orders import OrderLookup, missing_order_indexes
from shopscope.warehouse.connection import connect
from shopscope.warehouse.demo import generate_demo

KB = [KBEntry("ship", "How long does delivery take?", "3-5 working days.", "en", ())]


@pytest.fixture
def store(tmp_path) -> str:
    url = f"duckdb:///{tmp_path / 'shop.duckdb'}"
    with connect(url) as wh:
        generate_demo(wh, size=1_500, seed=4, end_date=date(2026, 6, 30))
    return url


def test_kb_load_indexes_the_orders_and_new_orders_are_found_through_them(store: str) -> None:
    with connect(store) as wh:
        assert len(missing_order_indexes(wh)) == 2
        result = store_kb(wh, KB)
        assert sorted(result.order_indexes_created) == [
            "assist_order_items_order_id",
            "assist_orders_order_id",
        ]
        assert missing_order_indexes(wh) == []
        # an order written after the indexes (as an ingest would) is found, with its lines
        old, customer = wh.duckdb.execute(
            "SELECT order_id, customer_id FROM orders WHERE customer_id IS NOT NULL "
            "ORDER BY order_id LIMIT 1"
        ).fetchone()
        wh.duckdb.execute(
            "INSERT INTO orders SELECT * REPLACE ('NEW-' || order_id AS order_id) FROM orders "
            "WHERE order_id = ?",
            [old],
        )
        wh.duckdb.execute(
            "INSERT INTO order_items SELECT * REPLACE ('NEW-' || order_id AS order_id) "
            "FROM order_items WHERE order_id = ?",
            [old],
        )
    with connect(store, read_only=True) as wh:
        answer = Assistant(wh).ask(f"where is my order NEW-{old}", customer_id=customer)
        assert answer.reason == "order_found" and answer.order is not None
        original = OrderLookup(wh).order(old)
        assert original is not None
        assert answer.order.lines == original.lines and answer.order.status == original.status


def test_first_use_on_a_writable_warehouse_creates_them_and_read_only_still_answers(
    store: str,
) -> None:
    with connect(store, read_only=True) as wh:  # a read-only server: answered by scans
        order_id = wh.duckdb.execute("SELECT min(order_id) FROM orders").fetchone()[0]
        answer = Assistant(wh, kb=None).ask(f"where is my order {order_id}")
        assert answer.reason == "order_found"
        assert len(missing_order_indexes(wh)) == 2
    with connect(store) as wh:  # the first writable use (e.g. a server ingesting events)
        Assistant(wh).ask(f"where is my order {order_id}")
        assert missing_order_indexes(wh) == []
