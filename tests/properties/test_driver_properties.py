"""Properties of the LMDI decomposition and of member attribution (Hypothesis)."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from shopscope.insight.drivers import explain_revenue_change, lmdi_contributions, log_mean
from shopscope.insight.periods import DateRange
from shopscope.warehouse.connection import connect

positive = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, allow_infinity=False)
triple = st.tuples(positive, positive, positive)


@given(triple, triple)
def test_lmdi_contributions_sum_to_the_change(x0: tuple[float, ...], x1: tuple[float, ...]) -> None:
    c = lmdi_contributions(x0, x1)
    r0, r1 = math.prod(x0), math.prod(x1)
    assert np.all(np.isfinite(c))
    assert abs(c.sum() - (r1 - r0)) <= 1e-9 * max(r0, r1)


@given(triple, triple)
def test_lmdi_terms_have_the_sign_of_their_factor_change(
    x0: tuple[float, ...], x1: tuple[float, ...]
) -> None:
    c = lmdi_contributions(x0, x1)
    scale = 1e-9 * max(math.prod(x0), math.prod(x1))
    for a, b, ci in zip(x0, x1, c, strict=True):
        if b > a:
            assert ci >= -scale
        elif b < a:
            assert ci <= scale


@given(triple, positive)
def test_only_conversion_changes(x0: tuple[float, ...], conversion: float) -> None:
    x1 = (x0[0], conversion, x0[2])
    r0, r1 = math.prod(x0), math.prod(x1)
    c = lmdi_contributions(x0, x1, total=r1 - r0)
    assert c[0] == 0.0 and c[2] == 0.0
    assert abs(c[1] - (r1 - r0)) <= 1e-9 * max(r0, r1)


@given(
    st.lists(st.floats(min_value=0, max_value=1e4, allow_nan=False), min_size=3, max_size=3),
    st.lists(st.floats(min_value=0, max_value=1e4, allow_nan=False), min_size=3, max_size=3),
)
def test_zeros_never_give_nan(x0: list[float], x1: list[float]) -> None:
    c = lmdi_contributions(x0, x1)
    assert np.all(np.isfinite(c))
    r0, r1 = math.prod(x0), math.prod(x1)
    assert abs(c.sum() - (r1 - r0)) <= 1e-9 * max(r0, r1, 1.0)


@given(positive, positive)
def test_log_mean_lies_between_geometric_and_arithmetic_mean(a: float, b: float) -> None:
    lm = log_mean(a, b)
    assert lm == log_mean(b, a) or math.isclose(lm, log_mean(b, a), rel_tol=1e-12)
    assert math.sqrt(a * b) * (1 - 1e-12) <= lm <= (a + b) / 2 * (1 + 1e-12)


order = st.tuples(
    st.booleans(),  # current period?
    st.sampled_from(["desktop", "mobile", "tablet", None]),
    st.sampled_from(["direct", "email", "paid_search", None]),
    st.floats(min_value=0.5, max_value=500, allow_nan=False).map(lambda x: round(x, 2)),
)
CUR = DateRange(date(2026, 1, 8), date(2026, 1, 14))


@settings(max_examples=25, deadline=None)
@given(
    st.lists(order, min_size=1, max_size=30),
    st.lists(st.tuples(st.booleans(), st.sampled_from(["desktop", "mobile"])), max_size=30),
)
def test_member_contributions_sum_to_the_total_change(
    orders: list[tuple[bool, str | None, str | None, float]], sessions: list[tuple[bool, str]]
) -> None:
    wh = connect("duckdb://:memory:")
    con = wh.duckdb
    for i, (current, device, channel, amount) in enumerate(orders):
        day = CUR.start if current else CUR.start - timedelta(days=7)
        con.execute(
            "INSERT INTO orders (order_id, ordered_at, status, channel, device, gross_amount,"
            " discount_amount) VALUES (?, ?, 'paid', ?, ?, ?, 0)",
            [f"O{i}", datetime.combine(day, datetime.min.time()), channel, device, amount],
        )
    for i, (current, device) in enumerate(sessions):
        day = CUR.start if current else CUR.start - timedelta(days=7)
        con.execute(
            "INSERT INTO events (event_id, occurred_at, session_id, event_type, device)"
            " VALUES (?, ?, ?, 'page_view', ?)",
            [f"E{i}", datetime.combine(day, datetime.min.time()), f"S{i}", device],
        )
    r = explain_revenue_change(wh, CUR, dimensions=["device", "channel", "category"])
    scale = 1e-9 * max(r.revenue_current, r.revenue_previous, 1.0)
    if r.factors:
        assert abs(sum(f.contribution for f in r.factors) - r.change) <= scale
    for members in r.by_dimension.values():
        assert abs(sum(m.contribution for m in members) - r.change) <= scale
        for m in members:
            assert all(math.isfinite(f.contribution) for f in m.factors)
            if m.factors:
                assert abs(sum(f.contribution for f in m.factors) - m.contribution) <= scale
    wh.close()
