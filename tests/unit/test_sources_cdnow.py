"""CDNOW adapter on small synthetic logs: header skipped, bad lines quarantined, idempotent."""

from __future__ import annotations

import gzip

from shopscope.warehouse.connection import Warehouse
from shopscope.warehouse.ingest import ingest_file
from shopscope.warehouse.sources.cdnow import Cdnow

MASTER = (
    " customer_id  date number_of_cds  dollar_value\r\n"
    " 00001 19970101  1   11.77\r\n"
    " 00002 19970112  1   12.00\r\n"
    " 00002 19970112  5   77.00\r\n"
    " 00002 19970301  2    0.00\r\n"
)


def rows(wh: Warehouse, sql: str) -> list[tuple[object, ...]]:
    return wh.duckdb.execute(sql).fetchall()


def test_master_layout_header_skipped_and_orders_numbered(wh, tmp_path):
    path = tmp_path / "CDNOW_master.txt.gz"
    path.write_bytes(gzip.compress(MASTER.encode()))
    report = ingest_file(wh, path, Cdnow())
    assert (report.records, report.loaded, report.quarantined, report.skipped) == (4, 4, 0, 1)
    assert rows(wh, "SELECT order_id, customer_id, gross_amount FROM orders ORDER BY 1") == [
        ("cdnow-00001-19970101-1", "00001", 11.77),
        ("cdnow-00002-19970112-1", "00002", 12.0),
        ("cdnow-00002-19970112-2", "00002", 77.0),
        ("cdnow-00002-19970301-1", "00002", 0.0),
    ]
    assert rows(wh, "SELECT quantity, unit_price FROM order_items ORDER BY order_id")[2] == (
        5,
        15.4,
    )
    assert rows(wh, "SELECT customer_id, first_seen_at::VARCHAR FROM customers ORDER BY 1") == [
        ("00001", "1997-01-01 00:00:00"),
        ("00002", "1997-01-12 00:00:00"),
    ]
    assert rows(wh, "SELECT sku, item_kind FROM products") == [("CD", "product")]


def test_reingest_changes_nothing(wh, tmp_path):
    path = tmp_path / "cdnow.txt"
    path.write_text(MASTER)
    ingest_file(wh, path, Cdnow())
    again = ingest_file(wh, path, Cdnow(), force=True)
    assert (again.records, again.loaded, again.unchanged, again.skipped) == (4, 0, 4, 1)
    assert rows(wh, "SELECT count(*) FROM orders") == [(4,)]


def test_sample_layout_and_zero_cds(wh, tmp_path):
    path = tmp_path / "CDNOW_sample.txt"
    path.write_text(" 00004 0001 19970101  2   29.33\r\n 00004 0001 19970118  0   9.99\r\n")
    report = ingest_file(wh, path, Cdnow())
    assert (report.records, report.loaded, report.skipped) == (2, 2, 0)
    # 0 CDs: quantity 0, the whole dollar value as unit price, gross_amount = dollar value
    assert rows(wh, "SELECT quantity, unit_price FROM order_items ORDER BY order_id") == [
        (2, 14.665),
        (0, 9.99),
    ]
    assert rows(wh, "SELECT sum(gross_amount) FROM orders") == [(39.32,)]


def test_bad_lines_are_quarantined_with_reasons(wh, tmp_path):
    path = tmp_path / "cdnow.txt"
    path.write_text(
        " 00001 19970101  1   11.77\n"
        " 00001 19970101  1\n"
        " 00001 19971345  1   5.00\n"
        " 00001 19970102  x   5.00\n"
        " 00001 19970103  1   -5.00\n"
        " customer_id  date number_of_cds  dollar_value\n"  # a header not on line 1
    )
    report = ingest_file(wh, path, Cdnow())
    assert (report.records, report.loaded, report.quarantined, report.skipped) == (6, 1, 5, 0)
    assert report.reasons == {"bad_record": 1, "bad_value": 4}
    reasons = dict(rows(wh, "SELECT line, reason FROM quarantine"))
    assert "expected 4 fields" in str(reasons[2])
    assert "YYYYMMDD" in str(reasons[3])
    assert "whole number" in str(reasons[4])
