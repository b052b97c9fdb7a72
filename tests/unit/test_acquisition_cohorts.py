"""Acquired-cohort economics against a plain pandas computation on the demo store."""

from __future__ import annotations

import pandas as pd
import pytest

from shopscope.acquisition.cohorts import cohort_economics, value_per_customer
from shopscope.errors import InvalidInputError, NotFoundError


def _pandas_cohorts(wh) -> pd.DataFrame:
    con = wh.duckdb
    orders = con.execute(
        "SELECT o.order_id, o.customer_id, o.ordered_at, o.status, o.gross_amount, "
        "sum(CASE WHEN i.quantity > 0 AND coalesce(p.item_kind, 'product') IN "
        "('product', 'gift_card') THEN i.quantity * i.unit_price ELSE 0 END) AS revenue "
        "FROM orders o LEFT JOIN order_items i USING (order_id) "
        "LEFT JOIN products p USING (sku) GROUP BY ALL"
    ).df()
    sale = orders[
        ~orders.status.isin(["cancelled", "returned", "refunded"])
        & (orders.gross_amount > 0)
        & orders.customer_id.notna()
    ].copy()
    first = sale.groupby("customer_id").ordered_at.min().rename("first")
    customers = con.execute("SELECT customer_id, acquisition_channel FROM customers").df()
    sale = sale.join(first, on="customer_id").merge(customers, on="customer_id", how="left")
    sale["cohort"] = sale["first"].dt.to_period("M").dt.start_time.dt.date
    sizes = sale.groupby(["acquisition_channel", "cohort"]).customer_id.nunique()
    revenue = sale.groupby(["acquisition_channel", "cohort"]).revenue.sum()
    spend = con.execute(
        "SELECT channel AS acquisition_channel, date_trunc('month', date)::DATE AS cohort, "
        "sum(spend) AS spend FROM ad_spend GROUP BY ALL"
    ).df()
    spend = spend.set_index(["acquisition_channel", "cohort"]).spend
    return pd.DataFrame({"customers": sizes, "revenue": revenue}).join(spend, how="left")


def test_cac_and_revenue_match_pandas(demo_wh) -> None:
    econ = cohort_economics(demo_wh, predict=False, margin=0.5)
    got = econ.rows.to_pandas().set_index(["channel", "cohort"])
    want = _pandas_cohorts(demo_wh)
    assert len(got) == len(want)
    for key, row in want.iterrows():
        g = got.loc[key]
        assert g.customers == row.customers, key
        total = g.revenue_per_customer * g.customers
        assert total == pytest.approx(row.revenue, rel=1e-9), key
        if pd.notna(row.spend) and row.spend > 0:
            assert g.cac == pytest.approx(row.spend / row.customers), key
        else:
            assert pd.isna(g.cac), key
    # payback: the first month whose cumulative margin covers the CAC
    curves = econ.curves.to_pandas()
    paid = got[got.cac.notna()].reset_index().iloc[0]
    curve = curves[(curves.channel == paid.channel) & (curves.cohort == paid.cohort)]
    covered = curve[0.5 * curve.cumulative_revenue_per_customer >= paid.cac]
    expected = None if covered.empty else int(covered.period.min())
    assert (None if pd.isna(paid.payback_month) else int(paid.payback_month)) == expected


def test_predicted_ltv_adds_future_value(demo_wh) -> None:
    econ = cohort_economics(demo_wh, horizon_months=6)
    rows = econ.rows.to_pandas()
    assert "BG/NBD" in econ.note
    assert (rows.predicted_ltv >= rows.revenue_per_customer - 1e-9).all()
    paid = rows[rows.cac.notna()]
    assert list(paid.ltv_to_cac) == pytest.approx(list(paid.predicted_ltv / paid.cac))


def test_value_per_customer_is_positive(demo_wh) -> None:
    values = value_per_customer(demo_wh)
    assert set(values) >= {"paid_search", "paid_social", "affiliate", "direct"}
    assert all(v > 0 for v in values.values())


def test_bad_input(demo_wh, wh) -> None:
    with pytest.raises(InvalidInputError, match="margin in \\(0, 1\\]"):
        cohort_economics(demo_wh, margin=0)
    with pytest.raises(NotFoundError, match="No orders"):
        cohort_economics(wh)
