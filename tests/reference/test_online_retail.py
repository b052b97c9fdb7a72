"""Online Retail (UCI id 352): every line accounted for, returns kept, totals match pandas.

Figures from ``../shared/data/online-retail/SOURCE.md`` ("Verified facts" and "Known quirks").
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from shopscope.warehouse.connection import Warehouse, connect
from shopscope.warehouse.ingest import IngestReport, ingest_file
from shopscope.warehouse.sources.online_retail import OnlineRetail

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def loaded(shared_data: Path) -> tuple[Warehouse, IngestReport, Path]:
    path = shared_data / "online-retail" / "online_retail.csv.gz"
    wh = connect("duckdb://:memory:")
    return wh, ingest_file(wh, path, OnlineRetail()), path


def one(wh: Warehouse, sql: str) -> object:
    return wh.duckdb.execute(sql).fetchone()[0]


def test_all_541909_lines_are_accounted_for(loaded):
    """SOURCE.md: 541,909 rows; 1,336 stock adjustments and 3 'A' bad-debt rows are not sales."""
    wh, report, _ = loaded
    assert report.records == 541_909
    assert report.loaded + report.quarantined == 541_909
    assert report.reasons == {"stock_adjustment": 1_336, "accounting_adjustment": 3}
    assert one(wh, "SELECT count(*) FROM order_items") == 541_909 - 1_339
    assert one(wh, "SELECT count(DISTINCT line) FROM quarantine") == 1_339


def test_cancellations_are_kept_as_orders(loaded):
    """SOURCE.md: 9,288 rows on 3,836 'C' invoices, all with negative quantity."""
    wh, _, _ = loaded
    assert one(wh, "SELECT count(*) FROM orders WHERE status = 'cancelled'") == 3_836
    assert (
        one(
            wh,
            "SELECT count(*) FROM order_items i JOIN orders o USING (order_id) "
            "WHERE o.status = 'cancelled'",
        )
        == 9_288
    )
    assert one(wh, "SELECT max(quantity) FROM order_items WHERE starts_with(order_id, 'C')") < 0


def test_customers_guests_and_products(loaded):
    """SOURCE.md: 4,372 customers; 25,900 invoices less 3 'A' and the stock-adjustment ones."""
    wh, _, _ = loaded
    assert one(wh, "SELECT count(*) FROM customers") == 4_372
    guest_lines = one(
        wh,
        "SELECT count(*) FROM order_items i JOIN orders o USING (order_id) "
        "WHERE o.customer_id IS NULL",
    )
    assert guest_lines == 135_080 - 1_336 - 3  # every adjustment row had no CustomerID
    kinds = dict(wh.duckdb.execute("SELECT sku, item_kind FROM products").fetchall())
    assert kinds["POST"] == "shipping" and kinds["D"] == "discount"
    assert kinds["AMAZONFEE"] == "fee" and kinds["85123A"] == "product"
    assert kinds["gift_0001_20"] == "gift_card"


def test_daily_totals_match_an_independent_pandas_computation(loaded):
    wh, _, path = loaded
    raw = pd.read_csv(path, dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": str})
    is_c = raw.InvoiceNo.str.startswith("C")
    adjustment = (~is_c & (raw.Quantity < 0)) | raw.InvoiceNo.str.startswith("A")
    sales = raw[~adjustment].copy()
    stamp = pd.to_datetime(sales.InvoiceDate).dt.tz_localize("Europe/London")
    sales["day"] = stamp.dt.tz_convert("UTC").dt.date
    expected = (sales.Quantity * sales.UnitPrice).groupby(sales.day).sum()
    got = wh.duckdb.execute(
        "SELECT CAST(o.ordered_at AS DATE) AS day, sum(i.quantity * i.unit_price) "
        "FROM order_items i JOIN orders o USING (order_id) GROUP BY 1 ORDER BY 1"
    ).fetchall()
    got_series = pd.Series({d: v for d, v in got})
    assert len(got_series) == len(expected) == 305
    pd.testing.assert_series_equal(
        got_series.sort_index(), expected.sort_index(), check_names=False, rtol=1e-9
    )
    # whole-file sum: SOURCE.md 9,747,747.934 less the adjustment rows' value
    total = float((raw.Quantity * raw.UnitPrice)[~adjustment].sum())
    assert got_series.sum() == pytest.approx(total, rel=1e-12)


def test_timestamps_are_stored_in_utc(loaded):
    """InvoiceDate is UK local time: 2011-06-01 10:00 BST is 09:00 UTC."""
    wh, _, _ = loaded
    first = one(wh, "SELECT min(ordered_at)::VARCHAR FROM orders")
    assert first == "2010-12-01 08:26:00"  # GMT in December: unchanged
    summer = one(wh, "SELECT ordered_at::VARCHAR FROM orders WHERE order_id = '555200'")
    assert summer == "2011-06-01 11:05:00"  # 12:05 BST


def test_reingest_changes_nothing(loaded):
    wh, report, path = loaded
    before = one(wh, "SELECT count(*) FROM order_items")
    again = ingest_file(wh, path, OnlineRetail())
    assert again.status == "skipped"
    forced = ingest_file(wh, path, OnlineRetail(), force=True)
    assert forced.loaded == 0 and forced.unchanged == report.loaded
    assert one(wh, "SELECT count(*) FROM order_items") == before
    assert one(wh, "SELECT count(*) FROM ingest_log") == 2
