"""Olist adapter on small synthetic Kaggle-layout tables (the real orders etc. are absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopscope.errors import InvalidInputError, MissingColumnsError
from shopscope.warehouse.connection import Warehouse
from shopscope.warehouse.ingest import ingest_file
from shopscope.warehouse.sources import detect_adapter
from shopscope.warehouse.sources.olist import Olist, olist_table

ORDERS = (
    "order_id,customer_id,order_status,order_purchase_timestamp,order_approved_at,"
    "order_delivered_carrier_date,order_delivered_customer_date,order_estimated_delivery_date\n"
    "o1,c1,delivered,2017-10-02 10:56:33,2017-10-02 11:07:15,2017-10-04 19:55:00,"
    "2017-10-10 21:25:13,2017-10-18 00:00:00\n"
    "o2,c2,canceled,2018-01-05 08:00:00,,,,2018-01-20 00:00:00\n"
    "o3,c3,invoiced,2018-02-01 23:30:00,2018-02-01 23:40:00,,,2018-02-20 00:00:00\n"
    "o4,c4,lost_in_space,2018-02-02 10:00:00,,,,2018-02-20 00:00:00\n"
)
ITEMS = (
    "order_id,order_item_id,product_id,seller_id,shipping_limit_date,price,freight_value\n"
    "o1,1,p1,s1,2017-10-06 11:07:15,58.90,13.29\n"
    "o1,2,p1,s1,2017-10-06 11:07:15,58.90,13.29\n"
    "o3,1,p2,s2,2018-02-05 00:00:00,199.00,17.87\n"
    "o9,1,p2,s2,2018-02-05 00:00:00,199.00,17.87\n"
)
CUSTOMERS = (
    "customer_id,customer_unique_id,customer_zip_code_prefix,customer_city,customer_state\n"
    'c1,u1,"01310",sao paulo,SP\n'
    'c2,u2,"04482",sao paulo,SP\n'
    'c3,u1,"01310",sao paulo,SP\n'
    'c4,u4,"69900",rio branco,AC\n'
)


def rows(wh: Warehouse, sql: str) -> list[tuple[object, ...]]:
    return wh.duckdb.execute(sql).fetchall()


@pytest.fixture
def olist_dir(tmp_path: Path) -> Path:
    (tmp_path / "olist_orders_dataset.csv").write_text(ORDERS)
    (tmp_path / "olist_order_items_dataset.csv").write_text(ITEMS)
    (tmp_path / "olist_customers_dataset.csv").write_text(CUSTOMERS)
    return tmp_path


def test_tables_are_recognised_by_columns():
    assert olist_table(ORDERS.splitlines()[0].split(",")) == "orders"
    assert olist_table(ITEMS.splitlines()[0].split(",")) == "order_items"
    assert olist_table(CUSTOMERS.splitlines()[0].split(",")) == "customers"
    assert olist_table(["seller_id", "seller_zip_code_prefix", "seller_city"]) == "sellers"
    assert olist_table(["foo"]) is None


def test_orders_items_customers(wh, olist_dir):
    orders = ingest_file(wh, olist_dir / "olist_orders_dataset.csv", detect_adapter)
    assert orders.source == "olist"
    assert (orders.records, orders.loaded, orders.quarantined) == (4, 3, 1)
    assert orders.reasons == {"not_allowed": 1}
    # Sao Paulo was UTC-3 in Oct 2017 (DST started 2017-10-15), -2 in Jan 2018 (DST)
    assert rows(
        wh,
        "SELECT order_id, customer_id, ordered_at::VARCHAR, status, currency FROM orders "
        "ORDER BY 1",
    ) == [
        ("o1", "u1", "2017-10-02 13:56:33", "delivered", "BRL"),
        ("o2", "u2", "2018-01-05 10:00:00", "cancelled", "BRL"),
        ("o3", "u1", "2018-02-02 01:30:00", "paid", "BRL"),
    ]
    # one person (u1) with two orders: first purchase is the earlier one
    assert rows(
        wh, "SELECT customer_id, first_seen_at::VARCHAR, region, city FROM customers ORDER BY 1"
    ) == [
        ("u1", "2017-10-02 13:56:33", "SP", "sao paulo"),
        ("u2", "2018-01-05 10:00:00", "SP", "sao paulo"),
    ]

    items = ingest_file(wh, olist_dir / "olist_order_items_dataset.csv", detect_adapter)
    assert (items.records, items.loaded, items.quarantined) == (4, 3, 1)
    assert items.reasons == {"unknown_reference": 1}  # o9 is not in the orders file
    assert rows(
        wh, "SELECT order_id, line_no, sku, quantity, unit_price FROM order_items ORDER BY 1, 2"
    ) == [
        ("o1", 1, "p1", 1, 58.9),
        ("o1", 2, "p1", 1, 58.9),
        ("o3", 1, "p2", 1, 199.0),
    ]
    assert rows(wh, "SELECT count(*) FROM products") == [(2,)]  # placeholders until products load

    customers = ingest_file(wh, olist_dir / "olist_customers_dataset.csv", detect_adapter)
    assert (customers.records, customers.loaded, customers.quarantined) == (4, 3, 1)
    assert customers.reasons == {"repeat_customer": 1}
    assert rows(
        wh,
        "SELECT customer_id, first_seen_at IS NOT NULL, region, city, country "
        "FROM customers ORDER BY 1",
    ) == [
        ("u1", True, "SP", "sao paulo", "BR"),
        ("u2", True, "SP", "sao paulo", "BR"),
        ("u4", False, "AC", "rio branco", "BR"),
    ]


def test_zip_prefixes_stay_strings_in_the_lookup(wh, tmp_path):
    """Leading zeros survive: the lookup joins on text ids and stages every column as text."""
    (tmp_path / "olist_customers_dataset.csv").write_text(CUSTOMERS)
    report = ingest_file(wh, tmp_path / "olist_customers_dataset.csv", Olist.for_path(tmp_path))
    assert report.loaded == 3
    raw = rows(wh, "SELECT raw_record FROM quarantine")
    assert '"customer_zip_code_prefix":"01310"' in str(raw[0][0])


def test_orders_without_customers_file_keep_per_order_ids(wh, tmp_path):
    (tmp_path / "olist_orders_dataset.csv").write_text(ORDERS)
    report = ingest_file(wh, tmp_path / "olist_orders_dataset.csv", Olist.for_path(tmp_path))
    assert any("per-order customer_id" in n for n in report.notes)
    assert rows(wh, "SELECT customer_id FROM orders ORDER BY 1") == [("c1",), ("c2",), ("c3",)]


def test_products_without_translation_keep_portuguese(wh, tmp_path):
    path = tmp_path / "olist_products_dataset.csv"
    path.write_text(
        "product_id,product_category_name,product_name_lenght,product_description_lenght,"
        "product_photos_qty,product_weight_g,product_length_cm,product_height_cm,"
        "product_width_cm\np1,perfumaria,40,287,1,225,16,10,14\np2,,,,,700,18,9,15\n"
    )
    report = ingest_file(wh, path, Olist.for_path(path))
    assert report.loaded == 2
    assert any("kept in Portuguese" in n for n in report.notes)
    assert rows(wh, "SELECT sku, category, image_count, weight_g FROM products ORDER BY 1") == [
        ("p1", "perfumaria", 1, 225.0),
        ("p2", None, None, 700.0),
    ]


@pytest.mark.parametrize(
    ("header", "match"),
    [
        (
            "order_id,payment_sequential,payment_type,payment_installments,payment_value",
            "order_payments table",
        ),
        ("review_id,order_id,review_score,review_comment_title", "order_reviews table"),
        ("product_category_name,product_category_name_english", "read as a lookup"),
    ],
)
def test_unsupported_tables_are_refused(wh, tmp_path, header, match):
    path = tmp_path / "t.csv"
    path.write_text(header + "\n" + ",".join("1" for _ in header.split(",")) + "\n")
    with pytest.raises(InvalidInputError, match=match):
        ingest_file(wh, path, Olist())


def test_unknown_columns_list_the_supported_layouts(wh, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(MissingColumnsError, match=r"match no Olist table.*Found: a, b"):
        ingest_file(wh, path, Olist())
