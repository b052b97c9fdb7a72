"""CDNOW (Fader, Hardie & Lee 2005): every transaction loaded, totals as published.

Figures from ``../shared/data/cdnow/SOURCE.md`` ("Files here" and "Verified facts").
"""

from __future__ import annotations

from pathlib import Path

import pytest

from shopscope.warehouse.connection import Warehouse, connect
from shopscope.warehouse.ingest import IngestReport, ingest_file
from shopscope.warehouse.sources.cdnow import Cdnow

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def master(shared_data: Path) -> tuple[Warehouse, IngestReport]:
    wh = connect("duckdb://:memory:")
    return wh, ingest_file(wh, shared_data / "cdnow" / "CDNOW_master.txt.gz", Cdnow())


@pytest.fixture(scope="module")
def sample(shared_data: Path) -> tuple[Warehouse, IngestReport]:
    wh = connect("duckdb://:memory:")
    return wh, ingest_file(wh, shared_data / "cdnow" / "CDNOW_sample.txt", Cdnow())


def one(wh: Warehouse, sql: str) -> object:
    row = wh.duckdb.execute(sql).fetchone()
    assert row is not None
    return row[0]


def test_master_69659_transactions_header_skipped(master):
    """SOURCE.md "Files here": CDNOW_master.txt.gz = 1 header + 69,659 records."""
    wh, report = master
    assert (report.records, report.loaded, report.quarantined, report.skipped) == (
        69_659,
        69_659,
        0,
        1,
    )
    assert one(wh, "SELECT count(*) FROM order_items") == 69_659
    assert one(wh, "SELECT count(*) FROM orders") == 69_659
    assert one(wh, "SELECT count(*) FROM quarantine") == 0


def test_master_23570_customers(master):
    """SOURCE.md "Verified facts": 23,570 distinct customers, first purchases in 1997-Q1."""
    wh, _ = master
    assert one(wh, "SELECT count(*) FROM customers") == 23_570
    assert one(wh, "SELECT max(first_seen_at) FROM customers") < one(
        wh, "SELECT TIMESTAMP '1997-04-01'"
    )
    assert one(wh, "SELECT min(customer_id) FROM customers") == "00001"  # zero-padded string


def test_master_total_dollars_and_cds(master):
    """SOURCE.md "Verified facts": 167,881 CDs, $2,500,315.63, dates 1997-01-01..1998-06-30."""
    wh, _ = master
    assert one(wh, "SELECT sum(gross_amount) FROM orders") == pytest.approx(2_500_315.63, abs=0.01)
    assert one(wh, "SELECT sum(quantity * unit_price) FROM order_items") == pytest.approx(
        2_500_315.63, abs=0.01
    )
    assert one(wh, "SELECT sum(quantity) FROM order_items") == 167_881
    assert str(one(wh, "SELECT min(ordered_at) FROM orders")) == "1997-01-01 00:00:00"
    assert str(one(wh, "SELECT max(ordered_at) FROM orders")) == "1998-06-30 00:00:00"


def test_master_80_zero_dollar_records(master):
    """SOURCE.md "Known quirks": 80 master records have dollar_value 0; they load as sales."""
    wh, _ = master
    assert one(wh, "SELECT count(*) FROM orders WHERE gross_amount = 0") == 80


def test_sample_6919_records_2357_customers(sample):
    """SOURCE.md "Files here"/"Verified facts": 6,919 records, 2,357 customers, $244,091.94."""
    wh, report = sample
    assert (report.records, report.loaded, report.quarantined, report.skipped) == (
        6_919,
        6_919,
        0,
        0,
    )
    assert one(wh, "SELECT count(*) FROM customers") == 2_357
    assert one(wh, "SELECT sum(quantity) FROM order_items") == 16_479
    assert one(wh, "SELECT sum(gross_amount) FROM orders") == pytest.approx(244_091.94, abs=0.01)


def test_sample_is_contained_in_master(master, shared_data):
    """SOURCE.md: every sample record appears in the master; same order ids, nothing new."""
    wh, _ = master
    report = ingest_file(wh, shared_data / "cdnow" / "CDNOW_sample.txt", Cdnow())
    assert (report.loaded, report.unchanged, report.quarantined) == (0, 6_919, 0)
    assert one(wh, "SELECT count(*) FROM orders") == 69_659
