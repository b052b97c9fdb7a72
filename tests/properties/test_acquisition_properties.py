"""Properties of every attribution model and of the budget planner (Hypothesis)."""

from __future__ import annotations

from typing import Any

import ibis
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopscope.acquisition.attribution import (
    HEURISTIC_MODELS,
    MarkovAttribution,
    coalitions,
    heuristic_credits,
    shapley_values,
    transitions,
)
from shopscope.acquisition.budget import ResponseCurve, allocate_budget

CHANNELS = ("direct", "email", "paid_search", "paid_social", "referral")

path_st = st.tuples(
    st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=6),
    st.booleans(),
    st.floats(min_value=0.0, max_value=500.0, allow_nan=False).map(lambda v: round(v, 2)),
)


def _touchpoints(paths: list[tuple[list[str], bool, float]]) -> Any:
    rows = []
    for i, (chs, converted, value) in enumerate(paths):
        n = len(chs)
        for k, ch in enumerate(chs, 1):
            rows.append({"path_id": f"P{i}", "converted": converted, "conversions": int(converted),
                         "value": value if converted else 0.0, "channel": ch, "position": k,
                         "n_touches": n, "days_before": float(2 * (n - k))})  # fmt: skip
    schema = {"path_id": "string", "converted": "boolean", "conversions": "int64",
              "value": "float64", "channel": "string", "position": "int64",
              "n_touches": "int64", "days_before": "float64"}  # fmt: skip
    return ibis.memtable(pd.DataFrame(rows), schema=schema)


def _all_credits(paths: list[tuple[list[str], bool, float]]) -> dict[str, dict[str, tuple]]:
    tp = _touchpoints(paths)
    conv = sum(1 for _, c, _ in paths if c)
    value = sum(v for _, c, v in paths if c)
    out: dict[str, dict[str, tuple]] = {}
    for model in HEURISTIC_MODELS:
        rows = heuristic_credits(tp, model).to_pyarrow().to_pylist()  # type: ignore[arg-type]
        out[model] = {r["channel"]: (r["conversions"], r["value"]) for r in rows}
    if conv:
        for order in (1, 2):
            m = MarkovAttribution(order).fit(transitions(tp, order=order))
            out[f"markov{order}"] = m.credits(conv, value)
    data = coalitions(tp, CHANNELS).to_pyarrow()
    masks = data.column("mask").to_numpy()
    for game in ("conversions", "conversion_rate"):
        sv = [
            shapley_values(
                masks,
                data.column(col).to_numpy(),
                len(CHANNELS),
                paths=data.column("paths").to_numpy(),
                game=game,
            )
            for col in ("conversions", "value")
        ]
        out[f"shapley_{game}"] = {
            c: (float(sv[0].values[i]), float(sv[1].values[i])) for i, c in enumerate(CHANNELS)
        }
    return out


@settings(max_examples=15, deadline=None)
@given(st.lists(path_st, min_size=1, max_size=12))
def test_credits_sum_to_conversions_and_value(paths) -> None:
    conv = sum(1 for _, c, _ in paths if c)
    value = sum(v for _, c, v in paths if c)
    for model, credits in _all_credits(paths).items():
        total_c = sum(c for c, _ in credits.values())
        total_v = sum(v for _, v in credits.values())
        assert total_c == pytest.approx(conv, abs=1e-9), model
        assert total_v == pytest.approx(value, abs=1e-6), model


@settings(max_examples=10, deadline=None)
@given(
    st.sampled_from(CHANNELS),
    st.lists(st.tuples(st.integers(1, 5), st.booleans()), min_size=1, max_size=8),
)
def test_single_channel_paths_give_that_channel_full_credit(channel, shapes) -> None:
    paths = [([channel] * n, converted, 10.0) for n, converted in shapes]
    if not any(c for _, c in shapes):
        paths.append(([channel], True, 10.0))
    conv = sum(1 for _, c, _ in paths if c)
    for model, credits in _all_credits(paths).items():
        assert credits[channel][0] == pytest.approx(conv), model
        others = [c for ch, (c, _) in credits.items() if ch != channel]
        assert all(abs(c) < 1e-12 for c in others), model


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0.05, 5.0), st.floats(0.2, 1.0), st.floats(0.0, 0.6)),
        min_size=1,
        max_size=4,
    ),
    st.floats(1.0, 500.0),
)
def test_allocation_spends_the_budget_and_equalises_marginal_roas(specs, budget) -> None:
    curves = [
        ResponseCurve(f"c{i}", "power", "revenue",
                      {"base": 0.0, "beta": b, "theta": t, "decay": d}, {}, 10.0, 100, 0.5)
        for i, (b, t, d) in enumerate(specs)
    ]  # fmt: skip
    plan = allocate_budget(curves, budget)
    spend = np.array([r.spend for r in plan.rows])
    assert spend.sum() == pytest.approx(budget, rel=1e-6)
    assert (spend >= -1e-9).all()
    inside = [r.marginal_roas for r in plan.rows if r.at_bound is None and r.spend > 1e-3]
    if len(inside) > 1:
        assert max(inside) == pytest.approx(min(inside), rel=1e-3)
