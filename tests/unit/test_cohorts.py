"""Cohort matrices and LTV curves: a hand-computed shop, bad input, and Online Retail vs pandas."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from shopscope.errors import InvalidInputError, NotFoundError
from shopscope.insight.cohorts import cohort_matrix, ltv_curves
from shopscope.insight.periods import DateRange
from shopscope.warehouse.connection import Warehouse, arrow_schema, connect

__all__: list[str] = []

NAN = np.nan


def load(
    wh: Warehouse,
    name: str,
    rows: Sequence[dict[str, Any]],
) -> None:
    """Write ``rows`` (missing columns null) into canonical table ``name``."""
    schema = arrow_schema(name)
    full = [{f.name: r.get(f.name) for f in schema} for r in rows]
    wh.write_arrow(name, pa.Table.from_pylist(full, schema=schema), mode="overwrite")


def _order(
    oid: str, cid: str | None, at: str, gross: float | None, status: str = "completed"
) -> dict[str, Any]:
    return {
        "order_id": oid,
        "customer_id": cid,
        "ordered_at": datetime.fromisoformat(at),
        "status": status,
        "gross_amount": gross,
        "channel": "web",
        "device": "mobile",
    }


def _line(oid: str, no: int, sku: str, qty: int, price: float) -> dict[str, Any]:
    return {"order_id": oid, "line_no": no, "sku": sku, "quantity": qty, "unit_price": price}


@pytest.fixture
def hand(wh: Warehouse) -> Warehouse:
    """Four customers and a guest; the expected matrices are worked out in the tests."""
    load(
        wh,
        "products",
        [
            {"sku": "P", "item_kind": "product"},
            {"sku": "SHIP", "item_kind": "shipping"},
            {"sku": "G", "item_kind": "gift_card"},
        ],
    )
    load(
        wh,
        "customers",
        [
            {"customer_id": "c1", "acquisition_channel": "email"},
            {"customer_id": "c2", "acquisition_channel": "email"},
            {"customer_id": "c3"},
            {"customer_id": "c4", "acquisition_channel": "email"},
            {"customer_id": "c5", "acquisition_channel": "email"},
        ],
    )
    orders = [
        _order("o1", "c1", "2026-01-10 10:00", 100.0),
        _order("o2", "c1", "2026-02-05 10:00", 50.0),
        _order("o3", "c1", "2026-02-20 10:00", 30.0),
        _order("o4", "c2", "2026-01-31 23:59", 40.0),
        _order("o5", "c2", "2026-03-01 09:00", 60.0, status="cancelled"),  # not a sale
        _order("o6", "c2", "2026-03-15 12:00", 20.0),  # + shipping line, not revenue
        _order("o7", "c3", "2026-01-05 10:00", 80.0, status="returned"),  # not a sale
        _order("o8", "c3", "2026-02-10 10:00", 70.0),  # + a negative line, not revenue
        _order("o9", None, "2026-02-01 10:00", 90.0),  # guest
        _order("o10", "c4", "2026-03-03 10:00", None),  # null gross, positive lines: a sale
        _order("o11", "c5", "2026-03-04 10:00", 0.0),  # zero gross: not a sale
    ]
    items = [
        _line("o1", 1, "P", 2, 50.0),
        _line("o2", 1, "P", 1, 50.0),
        _line("o3", 1, "G", 1, 30.0),
        _line("o4", 1, "P", 4, 10.0),
        _line("o5", 1, "P", 6, 10.0),
        _line("o6", 1, "P", 2, 10.0),
        _line("o6", 2, "SHIP", 1, 3.95),
        _line("o7", 1, "P", 8, 10.0),
        _line("o8", 1, "P", 7, 10.0),
        _line("o8", 2, "P", -1, 10.0),
        _line("o9", 1, "P", 9, 10.0),
        _line("o10", 1, "UNKNOWN", 1, 25.0),  # no products row: counts as goods
        _line("o11", 1, "P", 1, 0.0),
    ]
    load(wh, "orders", orders)
    load(wh, "order_items", items)
    return wh


def test_hand_built_monthly_matrices(hand: Warehouse) -> None:
    m = cohort_matrix(hand)
    assert m.cohorts == (date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1))
    assert m.sizes == (2, 1, 1)
    np.testing.assert_array_equal(m.values, [[2, 1, 1], [1, 0, NAN], [1, NAN, NAN]])
    assert m.retention is not None
    np.testing.assert_allclose(m.retention, [[1, 0.5, 0.5], [1, 0, NAN], [1, NAN, NAN]])
    orders = cohort_matrix(hand, metric="orders")
    np.testing.assert_array_equal(orders.values, [[2, 2, 1], [1, 0, NAN], [1, NAN, NAN]])
    assert orders.retention is None
    revenue = cohort_matrix(hand, metric="revenue")
    np.testing.assert_allclose(revenue.values, [[140, 80, 20], [70, 0, NAN], [25, NAN, NAN]])


def test_hand_built_period_filter_and_max_periods(hand: Warehouse) -> None:
    m = cohort_matrix(hand, period=DateRange(date(2026, 2, 1), date(2026, 2, 28)))
    assert m.cohorts == (date(2026, 2, 1),)
    np.testing.assert_array_equal(m.values, [[1, 0]])  # observed to the end of the data
    short = cohort_matrix(hand, metric="revenue", max_periods=2)
    assert short.values.shape == (3, 2)
    np.testing.assert_allclose(short.values[0], [140, 80])


def test_hand_built_weekly(hand: Warehouse) -> None:
    m = cohort_matrix(hand, grain="week", metric="orders")
    # c1 acquired Sat 2026-01-10 (week of Mon 01-05), c2 Sat 01-31 (week of 01-26), c3 02-10
    # (week of 02-09), c4 03-03 (week of 03-02). Data end Sun 2026-03-15 (week of 03-09).
    assert m.cohorts == (date(2026, 1, 5), date(2026, 1, 26), date(2026, 2, 9), date(2026, 3, 2))
    assert m.sizes == (1, 1, 1, 1)
    assert m.values.shape == (4, 10)
    assert m.values[0, 0] == 1 and m.values[0, 4] == 1 and m.values[0, 6] == 1  # 02-05, 02-20
    assert m.values[1, 0] == 1 and m.values[1, 6] == 1  # 03-15 is 6 weeks after 01-26
    assert np.isnan(m.values[3, 2])
    assert np.nansum(m.values) == 7  # the seven sale orders by customers


def test_to_arrow_long_format(hand: Warehouse) -> None:
    table = cohort_matrix(hand).to_arrow()
    assert table.column_names == ["cohort", "period", "value", "retention"]
    assert table.num_rows == 6  # observable cells only
    first = table.to_pylist()[1]
    assert first == {"cohort": date(2026, 1, 1), "period": 1, "value": 1.0, "retention": 0.5}
    assert cohort_matrix(hand, metric="orders").to_arrow().column("retention").null_count == 6


def test_hand_built_ltv_curves(hand: Warehouse) -> None:
    by_cohort = ltv_curves(hand).to_pylist()
    # Data ends 2026-03-15: January is complete for periods 0-1, February for period 0.
    assert by_cohort == [
        {"group": "2026-01-01", "period": 0, "customers": 2,
         "cumulative_revenue_per_customer": 70.0},
        {"group": "2026-01-01", "period": 1, "customers": 2,
         "cumulative_revenue_per_customer": 110.0},
        {"group": "2026-02-01", "period": 0, "customers": 1,
         "cumulative_revenue_per_customer": 70.0},
    ]  # fmt: skip
    by_channel = {(r["group"], r["period"]): r for r in ltv_curves(hand, by="channel").to_pylist()}
    assert set(by_channel) == {("email", 0), ("email", 1), ("unknown", 0)}
    assert by_channel[("email", 0)]["customers"] == 2  # the March cohort is not complete yet
    assert by_channel[("email", 1)]["cumulative_revenue_per_customer"] == 110.0
    assert by_channel[("unknown", 0)]["cumulative_revenue_per_customer"] == 70.0
    assert ltv_curves(hand, max_periods=1).num_rows == 2


# -- bad input ----------------------------------------------------------------------------------


def test_empty_warehouse_raises_not_found(wh: Warehouse) -> None:
    with pytest.raises(NotFoundError, match="no orders"):
        cohort_matrix(wh)
    with pytest.raises(NotFoundError, match="no orders"):
        ltv_curves(wh)


def test_only_guests_raises_not_found(wh: Warehouse) -> None:
    load(wh, "orders", [_order("g1", None, "2026-01-01 10:00", 10.0)])
    load(wh, "order_items", [_line("g1", 1, "P", 1, 10.0)])
    with pytest.raises(NotFoundError, match="No sale orders by known customers"):
        cohort_matrix(wh)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"grain": "day"}, "Unknown grain 'day'; allowed: week, month"),
        ({"metric": "profit"}, "Unknown metric 'profit'; allowed: customers, orders, revenue"),
        ({"max_periods": 0}, "max_periods must be at least 1"),
    ],
)
def test_invalid_arguments(hand: Warehouse, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        cohort_matrix(hand, **kwargs)


def test_invalid_ltv_group(hand: Warehouse) -> None:
    with pytest.raises(InvalidInputError, match="allowed: cohort, channel"):
        ltv_curves(hand, by="country")  # type: ignore[arg-type]


# -- Online Retail against pandas ---------------------------------------------------------------

_NOT_GOODS = {"POST", "DOT", "C2", "BANK CHARGES", "AMAZONFEE", "D", "M", "S", "CRUK", "B"}


def pandas_monthly_cohorts(csv: Path) -> pd.DataFrame:
    """Monthly customer cohort counts from the raw file, independently of the warehouse.

    Sale invoices: not ``C``/``A``, with a customer, positive value of goods lines (stock
    codes other than postage, fees, discounts, manual, samples, donations, adjustments), after
    dropping the negative-quantity lines of normal invoices (stock write-offs, quarantined at
    ingest). Times are UK local time converted to UTC.
    """
    df = pd.read_csv(csv, dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": str})
    inv = df["InvoiceNo"].str.strip()
    df = df[~inv.str.startswith(("C", "A")) & (df["Quantity"] >= 0)]
    code = df["StockCode"].str.strip().str.upper()
    goods = ~code.isin(_NOT_GOODS)
    df = df.assign(value=(df["Quantity"] * df["UnitPrice"]).where(goods, 0.0))
    df = df[df["CustomerID"].notna() & (df["CustomerID"].str.strip() != "")]
    local = pd.to_datetime(df["InvoiceDate"])
    df = df.assign(at=local.dt.tz_localize("Europe/London", ambiguous="NaT").dt.tz_convert("UTC"))
    invoices = df.groupby("InvoiceNo").agg(
        customer=("CustomerID", "first"), at=("at", "min"), value=("value", "sum")
    )
    invoices = invoices[invoices["value"] > 0]
    month = invoices["at"].dt.year * 12 + invoices["at"].dt.month
    invoices = invoices.assign(month=month)
    first = invoices.groupby("customer")["month"].min().rename("cohort")
    invoices = invoices.join(first, on="customer")
    invoices["period"] = invoices["month"] - invoices["cohort"]
    return invoices.groupby(["cohort", "period"])["customer"].nunique().unstack(fill_value=0)


@pytest.mark.shared_data
def test_online_retail_matches_pandas(shared_data: Path) -> None:
    from shopscope.warehouse.ingest import ingest_file
    from shopscope.warehouse.sources.online_retail import OnlineRetail

    csv = shared_data / "online-retail" / "online_retail.csv.gz"
    if not csv.exists():
        pytest.skip(f"{csv} is not present")
    wh = connect("duckdb://:memory:")
    try:
        ingest_file(wh, csv, OnlineRetail())
        m = cohort_matrix(wh, grain="month")
    finally:
        wh.close()
    expected = pandas_monthly_cohorts(csv)
    assert len(m.cohorts) == len(expected) == 13
    assert [c.year * 12 + c.month for c in m.cohorts] == list(expected.index)
    got = np.nan_to_num(m.values, nan=0.0)
    np.testing.assert_array_equal(got, expected.to_numpy()[:, : got.shape[1]])
    assert m.sizes[0] == 884  # December 2010 cohort (UTC; sale invoices with goods value > 0)
