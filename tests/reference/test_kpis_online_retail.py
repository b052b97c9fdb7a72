"""KPIs of Online Retail (UCI id 352) against an independent plain-pandas computation.

The pandas side reads the raw CSV and applies the documented rules itself
(``docs/sources.md``, ``docs/methods/kpis.md``): stock adjustments (negative quantity on a
non-C invoice) and A invoices are not sales; C invoices are cancellations (credit notes);
``D`` lines are discounts; timestamps are Europe/London, analysed in UTC.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from shopscope.insight.kpis import NO_EVENTS, compute_kpis
from shopscope.insight.periods import DateRange
from shopscope.insight.timeseries import kpi_series
from shopscope.warehouse.connection import Warehouse, connect
from shopscope.warehouse.ingest import ingest_file
from shopscope.warehouse.sources.online_retail import OnlineRetail

pytestmark = pytest.mark.shared_data

NOVEMBER = DateRange(date(2011, 11, 1), date(2011, 11, 30))
WHOLE = DateRange(date(2010, 12, 1), date(2011, 12, 9))
KINDS = {
    "POST": "shipping",
    "DOT": "shipping",
    "C2": "shipping",
    "BANK CHARGES": "fee",
    "AMAZONFEE": "fee",
    "D": "discount",
    "M": "manual",
    "S": "sample",
    "CRUK": "donation",
    "B": "adjustment",
}


@pytest.fixture(scope="module")
def data(shared_data: Path) -> tuple[Warehouse, pd.DataFrame]:
    path = shared_data / "online-retail" / "online_retail.csv.gz"
    wh = connect("duckdb://:memory:")
    ingest_file(wh, path, OnlineRetail())
    raw = pd.read_csv(path, dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": str})
    is_c = raw.InvoiceNo.str.startswith("C")
    lines = raw[~((~is_c & (raw.Quantity < 0)) | raw.InvoiceNo.str.startswith("A"))].copy()
    code = lines.StockCode.str.strip().str.upper()
    kind = code.map(KINDS).fillna("product")
    kind[code.str.startswith("GIFT_0001_")] = "gift_card"
    lines["kind"] = kind
    lines["cancel"] = lines.InvoiceNo.str.startswith("C")
    lines["customer"] = lines.CustomerID.str.strip().str.replace(r"\.0$", "", regex=True)
    local = pd.to_datetime(lines.InvoiceDate)
    utc = local.dt.tz_localize("Europe/London").dt.tz_convert("UTC").dt.tz_localize(None)
    lines["ts"] = utc.groupby(lines.InvoiceNo).transform("min")  # the invoice's time
    lines["value"] = lines.Quantity * lines.UnitPrice
    return wh, lines


def pandas_kpis(lines: pd.DataFrame, period: DateRange) -> dict[str, float | None]:
    """The documented definitions, in plain pandas."""
    goods = lines.kind.isin(["product", "gift_card"])
    sale_line = goods & (lines.Quantity > 0) & ~lines.cancel
    per_invoice = (
        lines[sale_line]
        .groupby("InvoiceNo")
        .agg(value=("value", "sum"), customer=("customer", "first"), ts=("ts", "first"))
    )
    sale_orders = per_invoice[per_invoice.value > 0]
    start, end = pd.Timestamp(period.start), pd.Timestamp(period.end) + pd.Timedelta(days=1)
    inside = lines[(lines.ts >= start) & (lines.ts < end)]
    in_goods = inside.kind.isin(["product", "gift_card"])
    in_sale = in_goods & (inside.Quantity > 0) & ~inside.cancel
    gmv = inside.value[in_sale].sum()
    returns = -inside.value[in_goods & (inside.Quantity < 0)].sum()
    # D lines sit on C invoices only; each such credit note's |Σ D| is its discount.
    d = inside[inside.kind == "discount"].groupby("InvoiceNo").value.sum().abs()
    discounts = d.sum()
    net = gmv - returns - discounts
    period_orders = sale_orders[(sale_orders.ts >= start) & (sale_orders.ts < end)]
    orders = len(period_orders)
    units = inside.Quantity[in_sale].sum()
    known = period_orders.dropna(subset=["customer"])
    per_customer = known.groupby("customer").size()
    first = sale_orders.dropna(subset=["customer"]).groupby("customer").ts.min()
    customers = len(per_customer)
    new = int((first[per_customer.index] >= start).sum())
    return {
        "gmv": gmv,
        "net_revenue": net,
        "orders": orders,
        "aov": net / orders,
        "units_per_order": units / orders,
        "customers": customers,
        "new_customers": new,
        "returning_customers": customers - new,
        "repeat_purchase_rate": (per_customer >= 2).sum() / customers,
        "return_rate": returns / gmv,
    }


@pytest.mark.parametrize("period", [NOVEMBER, WHOLE], ids=["2011-11", "whole"])
def test_kpis_match_pandas(data: tuple[Warehouse, pd.DataFrame], period: DateRange) -> None:
    """Every KPI Online Retail supports, exact for counts, 1e-12 for sums, 1e-9 for ratios."""
    wh, lines = data
    expected = pandas_kpis(lines, period)
    got = compute_kpis(wh, period).values
    for key in ("orders", "customers", "new_customers", "returning_customers"):
        assert got[key].value == expected[key], key
    for key in ("gmv", "net_revenue"):
        assert got[key].value == pytest.approx(expected[key], rel=1e-12), key
    for key in ("aov", "units_per_order", "repeat_purchase_rate", "return_rate"):
        assert got[key].value == pytest.approx(expected[key], rel=1e-9), key
    # No unit costs and no events in Online Retail: unavailable with a reason, not zero.
    assert got["gross_margin"].value is None
    assert got["gross_margin"].reason is not None and "unit_cost" in got["gross_margin"].reason
    for key in ("sessions", "visitors", "conversion_rate", "add_to_cart_rate", "cart_abandonment",
                "revenue_per_visitor"):  # fmt: skip
        assert got[key].value is None and got[key].reason == NO_EVENTS


def test_november_2011_figures(data: tuple[Warehouse, pd.DataFrame]) -> None:
    """Pinned figures (computed by both sides above) so a change in either one shows."""
    wh, _ = data
    got = {k: v.value for k, v in compute_kpis(wh, NOVEMBER).values.items()}
    assert got["gmv"] == pytest.approx(1_457_745.53, abs=0.005)
    assert got["net_revenue"] == pytest.approx(1_432_260.14, abs=0.005)
    assert (got["orders"], got["customers"], got["new_customers"]) == (2_751, 1_660, 323)


def test_monthly_series_matches_pandas(data: tuple[Warehouse, pd.DataFrame]) -> None:
    wh, lines = data
    series = kpi_series(wh, WHOLE, grain="month", kpis=["net_revenue", "orders"]).to_pylist()
    assert len(series) == 13
    for row in series:
        b = row["bucket"]
        last = (pd.Timestamp(b) + pd.offsets.MonthEnd(0)).date()
        month = DateRange(max(b, WHOLE.start), min(last, WHOLE.end))
        expected = pandas_kpis(lines, month)
        assert row["orders"] == expected["orders"]
        assert row["net_revenue"] == pytest.approx(expected["net_revenue"], rel=1e-12)
