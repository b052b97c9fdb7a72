"""Shopify orders export: order fields on the first row, offsets to UTC, statuses, fallbacks."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest

from shopscope.errors import MissingColumnsError
from shopscope.warehouse.connection import Warehouse
from shopscope.warehouse.ingest import ingest_file
from shopscope.warehouse.sources import detect_adapter
from shopscope.warehouse.sources.shopify import Shopify

HEADER = [
    "Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at",
    "Accepts Marketing", "Currency", "Subtotal", "Shipping", "Taxes", "Total", "Discount Code",
    "Discount Amount", "Shipping Method", "Created at", "Lineitem quantity", "Lineitem name",
    "Lineitem price", "Lineitem compare at price", "Lineitem sku", "Lineitem requires shipping",
    "Lineitem taxable", "Lineitem fulfillment status", "Billing Name", "Billing City",
    "Billing Province", "Billing Country", "Shipping Name", "Shipping City", "Shipping Province",
    "Shipping Country", "Notes", "Cancelled at", "Payment Method", "Refunded Amount", "Vendor",
    "Id", "Tags", "Source", "Lineitem discount",
]  # fmt: skip


def row(**fields: str) -> list[str]:
    return [fields.get(h.replace(" ", "_").lower(), "") for h in HEADER]


ORDERS = [
    # a three-line order, paid and fulfilled, New York time (UTC-5 in March)
    row(name="#1001", email="Ann@Example.com", financial_status="paid",
        fulfillment_status="fulfilled", accepts_marketing="yes", currency="USD", subtotal="58.00",
        shipping="5.00", taxes="4.64", total="62.64", discount_code="SPRING10",
        discount_amount="5.00", created_at="2024-03-05 14:22:10 -0500", lineitem_quantity="2",
        lineitem_name="Classic Tee - Black / M", lineitem_price="19.00", lineitem_sku="TEE-BLK-M",
        billing_country="US", shipping_city="Brooklyn", shipping_province="NY",
        shipping_country="US", vendor="Acme", id="5001", source="web"),
    row(name="#1001", lineitem_quantity="1", lineitem_name="Canvas Tote", lineitem_price="15.00",
        lineitem_sku="TOTE-01", vendor="Acme", created_at="2024-03-05 14:22:10 -0500"),
    row(name="#1001", lineitem_quantity="1", lineitem_name="Gift Wrap (Red)",
        lineitem_price="5.00", created_at="2024-03-05 14:22:10 -0500"),
    # cancelled, Berlin time across midnight UTC
    row(name="#1002", email="bob@example.com", financial_status="voided",
        fulfillment_status="unfulfilled", currency="EUR", subtotal="30.00", shipping="0.00",
        total="30.00", created_at="2024-03-06 00:30:00 +0100", lineitem_quantity="1",
        lineitem_name="Mug", lineitem_price="30.00", lineitem_sku="MUG-1",
        shipping_country="DE", cancelled_at="2024-03-06 09:00:00 +0100", source="pos"),
    # refunded, same customer as #1001 (e-mail case differs), later
    row(name="#1003", email="ann@example.com", financial_status="refunded",
        fulfillment_status="fulfilled", currency="USD", subtotal="19.00", shipping="5.00",
        total="24.00", refunded_amount="24.00", created_at="2024-04-01 09:00:00 +0000",
        lineitem_quantity="1", lineitem_name="Classic Tee - Black / M", lineitem_price="19.00",
        lineitem_sku="TEE-BLK-M", billing_country="US", source="web"),
    # guest checkout (no e-mail), pending payment
    row(name="#1004", financial_status="pending", currency="USD", subtotal="15.00",
        total="15.00", created_at="2024-04-02 10:00:00 -0700", lineitem_quantity="1",
        lineitem_name="Canvas Tote", lineitem_price="15.00", lineitem_sku="TOTE-01"),
    # an order with a financial status Shopify does not have: all its lines refused
    row(name="#1005", email="cy@example.com", financial_status="on_hold", currency="USD",
        created_at="2024-04-03 10:00:00 +0000", lineitem_quantity="1", lineitem_name="Mug",
        lineitem_price="30.00", lineitem_sku="MUG-1"),
    row(name="#1005", lineitem_quantity="1", lineitem_name="Mug", lineitem_price="30.00",
        lineitem_sku="MUG-1"),
]  # fmt: skip


def write_export(path: Path, records: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(records)
    return path


def rows(wh: Warehouse, sql: str) -> list[tuple[object, ...]]:
    return wh.duckdb.execute(sql).fetchall()


@pytest.fixture
def loaded(wh: Warehouse, tmp_path: Path):
    report = ingest_file(wh, write_export(tmp_path / "orders_export.csv", ORDERS), Shopify())
    return wh, report


def test_every_line_accounted_for(loaded):
    _, report = loaded
    assert (report.records, report.loaded, report.quarantined) == (8, 6, 2)
    assert report.reasons == {"not_allowed": 2}


def test_orders_statuses_amounts_and_utc(loaded):
    wh, _ = loaded
    assert rows(
        wh,
        "SELECT order_id, ordered_at::VARCHAR, status, channel, currency, gross_amount, "
        "discount_amount, shipping_amount, ship_country FROM orders ORDER BY 1",
    ) == [
        ("#1001", "2024-03-05 19:22:10", "shipped", "web", "USD", 58.0, 5.0, 5.0, "US"),
        ("#1002", "2024-03-05 23:30:00", "cancelled", "pos", "EUR", 30.0, None, 0.0, "DE"),
        ("#1003", "2024-04-01 09:00:00", "refunded", "web", "USD", 19.0, None, 5.0, "US"),
        ("#1004", "2024-04-02 17:00:00", "placed", None, "USD", 15.0, None, None, None),
    ]


def test_lines_and_sku_fallback(loaded):
    wh, _ = loaded
    assert rows(wh, "SELECT line_no, sku, quantity, unit_price FROM order_items "
                "WHERE order_id = '#1001' ORDER BY line_no") == [
        (1, "TEE-BLK-M", 2, 19.0),
        (2, "TOTE-01", 1, 15.0),
        (3, "gift-wrap-red", 1, 5.0),
    ]  # fmt: skip
    assert rows(wh, "SELECT sku, title, price, brand, item_kind FROM products ORDER BY 1") == [
        ("MUG-1", "Mug", 30.0, None, "product"),
        ("TEE-BLK-M", "Classic Tee - Black / M", 19.0, "Acme", "product"),
        ("TOTE-01", "Canvas Tote", 15.0, "Acme", "product"),
        ("gift-wrap-red", "Gift Wrap (Red)", 5.0, None, "product"),
    ]


def test_customers_hash_lowercased_email(loaded):
    wh, _ = loaded
    ann = "email-" + hashlib.md5(b"ann@example.com").hexdigest()[:16]
    assert rows(wh, "SELECT customer_id FROM orders WHERE order_id IN ('#1001', '#1003')") == [
        (ann,),
        (ann,),
    ]
    assert rows(wh, "SELECT customer_id FROM orders WHERE order_id = '#1004'") == [(None,)]
    assert rows(
        wh,
        "SELECT first_seen_at::VARCHAR, country, region, city, email_opt_in FROM customers "
        f"WHERE customer_id = '{ann}'",
    ) == [("2024-03-05 19:22:10", "US", "NY", "Brooklyn", True)]
    assert rows(wh, "SELECT count(*) FROM customers") == [(2,)]


def test_reingest_is_idempotent(loaded, tmp_path):
    wh, _ = loaded
    again = ingest_file(wh, tmp_path / "orders_export.csv", Shopify(), force=True)
    assert (again.loaded, again.unchanged, again.quarantined) == (0, 6, 2)
    assert rows(wh, "SELECT count(*) FROM orders") == [(4,)]


def test_detected_from_columns(wh, tmp_path):
    report = ingest_file(wh, write_export(tmp_path / "export.csv", ORDERS[:3]), detect_adapter)
    assert report.source == "shopify"


def test_naive_timestamps_use_the_adapter_timezone(wh, tmp_path):
    record = row(name="#1", created_at="2024-07-01 12:00:00", lineitem_quantity="1",
                 lineitem_name="Mug", lineitem_price="3")  # fmt: skip
    ingest_file(wh, write_export(tmp_path / "e.csv", [record]), Shopify(timezone="Asia/Shanghai"))
    assert rows(wh, "SELECT ordered_at::VARCHAR FROM orders") == [("2024-07-01 04:00:00",)]


def test_unreadable_created_at_refuses_the_order(wh, tmp_path):
    record = row(name="#1", created_at="yesterday", lineitem_quantity="1", lineitem_name="Mug",
                 lineitem_price="3")  # fmt: skip
    report = ingest_file(wh, write_export(tmp_path / "e.csv", [record]), Shopify())
    assert report.reasons == {"bad_value": 1}
    assert "2024-03-05 14:22:10 -0500" in str(rows(wh, "SELECT reason FROM quarantine")[0][0])


def test_missing_required_column_lists_expected_and_found(wh, tmp_path):
    header = [h for h in HEADER if h != "Lineitem price"]
    path = write_export(tmp_path / "e.csv", [["#1"] + [""] * (len(header) - 1)], header)
    with pytest.raises(MissingColumnsError) as info:
        ingest_file(wh, path, Shopify())
    message = str(info.value)
    assert "'Lineitem price' not found for source 'shopify'" in message
    assert "Expected: Name, Created at, Lineitem quantity, Lineitem name, Lineitem price" in message
    assert "Found: Name, Email," in message
    assert info.value.expected == list(Shopify().required_columns())
