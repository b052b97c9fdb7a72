"""Properties of the inventory formulas (Hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from shopscope.supply.inventory import reorder_point, safety_stock, stockout_probability
from shopscope.supply.inventory.policy import round_order

demand = st.floats(0.0, 1e4, allow_nan=False)
spread = st.floats(0.0, 1e3, allow_nan=False)
lead = st.floats(0.0, 365.0, allow_nan=False)
level = st.floats(0.5, 0.999)
cv = st.floats(0.0, 1.0)


@given(demand, demand, spread, lead, level, cv)
def test_reorder_point_is_non_decreasing_in_demand(d1, d2, sigma, lt, sl, lt_cv):
    lo, hi = sorted((d1, d2))
    a = reorder_point(lo, sigma, lt, sl, lead_time_sd=lt_cv * lt)
    b = reorder_point(hi, sigma, lt, sl, lead_time_sd=lt_cv * lt)
    assert float(b) >= float(a) - 1e-9 * max(1.0, abs(float(a)))


@given(demand, spread, lead, lead, level, cv)
def test_reorder_point_is_non_decreasing_in_lead_time(mu, sigma, l1, l2, sl, lt_cv):
    lo, hi = sorted((l1, l2))
    a = reorder_point(mu, sigma, lo, sl, lead_time_sd=lt_cv * lo)
    b = reorder_point(mu, sigma, hi, sl, lead_time_sd=lt_cv * hi)
    assert float(b) >= float(a) - 1e-9 * max(1.0, abs(float(a)))


@given(demand, spread, spread, lead, level)
def test_reorder_point_is_non_decreasing_in_uncertainty(mu, s1, s2, lt, sl):
    lo, hi = sorted((s1, s2))
    assert float(reorder_point(mu, hi, lt, sl)) >= float(reorder_point(mu, lo, lt, sl)) - 1e-6


@given(spread, lead, level)
def test_safety_stock_is_non_negative_from_half_service(sigma, lt, sl):
    assert float(safety_stock(sl, sigma, lt)) >= 0.0


@given(st.floats(-1e4, 1e4), demand, spread)
def test_stockout_probability_is_a_probability(position, mu, sd):
    p = float(stockout_probability(position, mu, sd))
    assert 0.0 <= p <= 1.0


@given(st.floats(0.0, 1e5), st.integers(0, 500), st.integers(1, 48))
def test_rounded_orders_meet_moq_and_packs(qty, moq, pack):
    q = float(round_order(np.array([qty]), np.array([float(moq)]), np.array([float(pack)]))[0])
    if qty > 0:
        assert q >= max(qty, moq) - 1e-6 and abs(q / pack - round(q / pack)) < 1e-9
    else:
        assert q == 0.0
