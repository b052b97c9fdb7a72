"""Paths built in the engine and every attribution model, on hand-made journeys and the demo."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import ibis
import pyarrow as pa
import pytest

from shopscope.acquisition.attribution import (
    ALL_MODELS,
    HeuristicParams,
    MarkovAttribution,
    attribution_report,
    heuristic_credits,
    transitions,
)
from shopscope.acquisition.paths import PathOptions, path_stats, path_summary, touchpoints
from shopscope.errors import InvalidInputError
from shopscope.warehouse.connection import arrow_schema

T0 = datetime(2026, 5, 1, 9)
UTM = {
    "paid_search": {"utm_source": "google", "utm_medium": "cpc"},
    "paid_social": {"utm_source": "facebook", "utm_medium": "paid_social"},
    "direct": {},
    "email": {"utm_source": "newsletter", "utm_medium": "email"},
    "organic_search": {"utm_source": "google", "utm_medium": "organic"},
    "affiliate": {"utm_source": "awin", "utm_medium": "affiliate"},
    "referral": {"referrer": "blog.example.org"},
}


def events_table(rows: list[dict[str, Any]]) -> pa.Table:
    schema = arrow_schema("events")
    full = []
    for i, r in enumerate(rows):
        row = {f.name: None for f in schema}
        row.update({"event_id": f"E{i:05d}", "event_type": "page_view"})
        row.update(r)
        full.append(row)
    return pa.Table.from_pylist(full, schema=schema)


def visit(session: str, anon: str, day: float, channel: str, **extra: Any) -> dict[str, Any]:
    return {"session_id": session, "anonymous_id": anon,
            "occurred_at": T0 + timedelta(days=day), **UTM[channel], **extra}  # fmt: skip


def buy(session: str, anon: str, day: float, customer: str, order: str, value: float) -> dict:
    return {"session_id": session, "anonymous_id": anon, "customer_id": customer,
            "occurred_at": T0 + timedelta(days=day, hours=1), "event_type": "purchase",
            "order_id": order, "revenue": value}  # fmt: skip


JOURNEYS = [
    visit("S1", "A1", 0, "paid_search"),
    visit("S2", "A1", 10, "paid_social"),
    visit("S3", "A1", 20, "direct", customer_id="C1"),
    buy("S3", "A1", 20, "C1", "O1", 50.0),
    visit("S4", "A1", 25, "email"),
    visit("S5", "A1", 60, "organic_search"),
    buy("S5", "A1", 60, "C1", "O2", 30.0),
    visit("S6", "V2", 5, "affiliate"),
    visit("S7", "V2", 50, "referral"),
]


@pytest.fixture
def journeys(wh):
    wh.write_arrow("events", events_table(JOURNEYS))
    return wh


def _paths(wh, **options: Any) -> dict[str, list[str]]:
    tp = touchpoints(wh, options=PathOptions(**options)).to_pyarrow().to_pylist()
    out: dict[str, list[tuple[int, str]]] = {}
    for r in tp:
        key = r["conversion_id"] or r["user_id"]
        out.setdefault(key, []).append((r["position"], r["channel"]))
    return {k: [c for _, c in sorted(v)] for k, v in out.items()}


def test_paths_follow_conversions_lookback_and_stitching(journeys) -> None:
    assert _paths(journeys) == {
        "O1": ["paid_search", "paid_social", "direct"],  # anonymous visits stitched to C1
        "O2": ["organic_search"],  # email on day 25 is > 30 days before day 60
        "anon:V2": ["referral"],  # non-converting: 30 days before its last touch
    }
    assert _paths(journeys, lookback_days=100)["O2"] == ["email", "organic_search"]
    assert _paths(journeys, max_touches=2)["O1"] == ["paid_social", "direct"]
    assert "anon:V2" not in _paths(journeys, include_non_converting=False)


def test_path_stats_count_truncation_and_non_converting(journeys) -> None:
    opts = PathOptions(max_touches=2)
    tp = touchpoints(journeys, options=opts)
    stats = path_stats(journeys, tp, options=opts)
    assert (stats.conversions, stats.attributed_conversions) == (2, 2)
    assert stats.value == stats.attributed_value == 80.0
    assert (stats.non_converting_paths, stats.truncated_paths) == (1, 1)
    summary = {r["path"]: r for r in path_summary(touchpoints(journeys)).to_pyarrow().to_pylist()}
    assert summary["paid_search > paid_social > direct"]["value"] == 50.0


def test_bad_path_options() -> None:
    with pytest.raises(InvalidInputError, match="lookback window must be > 0"):
        PathOptions(lookback_days=0)
    with pytest.raises(InvalidInputError, match="at least 1 touch"):
        PathOptions(max_touches=0)


def _credits(tp: Any, model: str, **params: Any) -> dict[str, tuple[float, float]]:
    rows = heuristic_credits(tp, model, HeuristicParams(**params)).to_pyarrow().to_pylist()  # type: ignore[arg-type]
    return {r["channel"]: (r["conversions"], r["value"]) for r in rows}


def test_rule_based_models_on_a_known_path(journeys) -> None:
    tp = ibis.memtable(touchpoints(journeys).to_pyarrow())  # the paths once, then each model
    # O1: paid_search (day 0) > paid_social (day 10) > direct (day 20), value 50; O2: organic.
    assert _credits(tp, "first")["paid_search"] == (1.0, 50.0)
    assert _credits(tp, "last")["direct"] == (1.0, 50.0)
    assert _credits(tp, "last_non_direct")["paid_social"] == (1.0, 50.0)
    linear = _credits(tp, "linear")
    assert linear["paid_social"] == pytest.approx((1 / 3, 50 / 3))
    position = _credits(tp, "position")
    assert position["paid_search"] == pytest.approx((0.4, 20.0))
    assert position["paid_social"] == pytest.approx((0.2, 10.0))
    shifted = _credits(tp, "position", first_share=0.3, last_share=0.5)
    assert shifted["direct"] == pytest.approx((0.5, 25.0))
    decay = _credits(tp, "time_decay", half_life_days=7)
    days = [20 + 1 / 24, 10 + 1 / 24, 1 / 24]  # touch -> purchase one hour after day 20's visit
    w = [2 ** (-d / 7) for d in days]
    assert decay["paid_search"][0] == pytest.approx(w[0] / sum(w), rel=1e-9)
    for model in ("first", "last", "linear", "time_decay", "position", "last_non_direct"):
        assert _credits(tp, model)["organic_search"] == (1.0, 30.0)


def test_engine_transitions_match_the_path_list(journeys) -> None:
    tp = touchpoints(journeys)
    paths = [
        (["paid_search", "paid_social", "direct"], 1, 0),
        (["organic_search"], 1, 0),
        (["referral"], 0, 1),
    ]
    for order in (1, 2):
        engine = MarkovAttribution(order).fit(transitions(tp, order=order))
        direct = MarkovAttribution(order).fit_paths(paths)
        assert engine.transition_probabilities_ == pytest.approx(direct.transition_probabilities_)
        assert engine.removal_effects_ == pytest.approx(direct.removal_effects_)
    with pytest.raises(InvalidInputError, match="Markov order 0"):
        transitions(tp, order=0)


def test_every_model_shares_out_the_attributed_conversions(demo_wh) -> None:
    report = attribution_report(demo_wh, models=ALL_MODELS)
    stats = report.stats
    assert stats.attributed_conversions > 100
    for model in ALL_MODELS:
        rows = [c for c in report.credits if c.model == model]
        assert sum(c.conversions for c in rows) == pytest.approx(stats.attributed_conversions)
        assert sum(c.value for c in rows) == pytest.approx(stats.attributed_value)
        assert all(c.conversions >= -1e-9 for c in rows), model
    table = report.compare()
    assert {r["channel"] for r in table} == set(stats.channels)
    assert report.shapley["exact"] is True
    assert set(report.removal_effects) == {"markov", "markov2"}


def test_unknown_model_is_refused(journeys) -> None:
    with pytest.raises(InvalidInputError, match=r"Unknown attribution model.*'u_shaped'"):
        attribution_report(journeys, models=["linear", "u_shaped"])


def test_a_single_channel_gets_all_the_credit(wh) -> None:
    rows = []
    for i in range(6):
        rows.append(visit(f"S{i}a", f"A{i}", i, "email"))
        rows.append(visit(f"S{i}b", f"A{i}", i + 2, "email"))
        if i % 2 == 0:
            rows.append(buy(f"S{i}b", f"A{i}", i + 2, f"C{i}", f"O{i}", 10.0 + i))
    wh.write_arrow("events", events_table(rows))
    report = attribution_report(wh)
    assert report.stats.channels == ("email",)
    for c in report.credits:
        assert (c.conversions, c.value, c.share) == pytest.approx((3.0, 36.0, 1.0)), c.model


def test_no_conversions_is_a_zero_result(wh) -> None:
    wh.write_arrow("events", events_table([visit("S1", "A1", 0, "email")]))
    report = attribution_report(wh)
    assert report.stats.attributed_conversions == 0
    assert all(c.conversions == 0 and c.value == 0 for c in report.credits)


def test_attribution_over_a_date_range_counts_only_paths_ending_in_it(demo_wh):
    """Regression: a period used to fail subtracting the lookback from its start."""
    from datetime import date

    from shopscope.acquisition import attribution_report
    from shopscope.insight.periods import DateRange

    whole = attribution_report(demo_wh, models=("last",))
    june = attribution_report(
        demo_wh, models=("last",), period=DateRange(date(2026, 6, 1), date(2026, 6, 30))
    )
    assert 0 < june.stats.conversions < whole.stats.conversions
