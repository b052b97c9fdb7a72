"""Anomaly detection: the baseline, bad input, and recovery of anomalies injected into the demo.

The validation figures recorded in ``docs/methods/anomalies.md`` come from
:func:`injection_scores` (seed 7, reported) and :func:`clean_false_positives`; the method was
tuned on seed 11 only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pytest

from shopscope.errors import InvalidInputError, NotFoundError
from shopscope.insight.anomalies import (
    Anomaly,
    daily_kpis,
    detect_anomalies,
    robust_baseline,
)
from shopscope.insight.periods import DateRange
from shopscope.warehouse.connection import Warehouse, connect
from shopscope.warehouse.demo import generate_demo

__all__: list[str] = []

END = date(2026, 6, 30)
WINDOW = DateRange(date(2026, 2, 2), END)  # after the Christmas peak; 149 days
DEMO_LINES = 150_000  # ~210 orders a day in 2026


def _demo(seed: int) -> Warehouse:
    wh = connect("duckdb://:memory:")
    generate_demo(wh, size=DEMO_LINES, seed=seed, end_date=END, days=400)
    return wh


def promo_days(wh: Warehouse) -> set[date]:
    """Promotion days recorded in ``demo_truth`` (real, generated demand shocks)."""
    rows = wh.duckdb.execute(
        "SELECT text FROM demo_truth WHERE domain = 'promotions' AND name = 'discount'"
    ).fetchall()
    days: set[date] = set()
    for (text,) in rows:
        lo, hi = (date.fromisoformat(p.strip()) for p in text.replace("..", "/").split("/"))
        days |= {lo + timedelta(days=i) for i in range((hi - lo).days + 1)}
    return days


def inject(wh: Warehouse, *, seed: int, n_each: int = 8) -> tuple[set[date], set[date]]:
    """Delete 35-60% of the sale orders on ``n_each`` days and duplicate 50-100% on others.

    Days are drawn from :data:`WINDOW` away from promotions and at least 3 days apart.
    Returns (drop days, spike days).
    """
    rng = np.random.default_rng(seed)
    con = wh.duckdb
    blocked = {d + timedelta(days=k) for d in promo_days(wh) for k in (-1, 0, 1)}
    candidates = [
        WINDOW.start + timedelta(days=i)
        for i in range(WINDOW.days)
        if WINDOW.start + timedelta(days=i) not in blocked
    ]
    chosen: list[date] = []
    for i in rng.permutation(len(candidates)):
        day = candidates[int(i)]
        if all(abs((day - c).days) >= 3 for c in chosen):
            chosen.append(day)
        if len(chosen) == 2 * n_each:
            break
    drops, spikes = set(chosen[:n_each]), set(chosen[n_each:])
    for day in sorted(chosen):
        ids = [
            r[0]
            for r in con.execute(
                "SELECT order_id FROM orders WHERE CAST(ordered_at AS DATE) = ? "
                "AND order_id LIKE 'O%' ORDER BY order_id",
                [day],
            ).fetchall()
        ]
        share = rng.uniform(0.35, 0.6) if day in drops else rng.uniform(0.5, 1.0)
        picked = [ids[int(i)] for i in rng.choice(len(ids), int(share * len(ids)), replace=False)]
        con.execute("CREATE OR REPLACE TEMP TABLE _picked (order_id VARCHAR)")
        con.executemany("INSERT INTO _picked VALUES (?)", [[p] for p in picked])
        if day in drops:
            con.execute("DELETE FROM order_items WHERE order_id IN (SELECT * FROM _picked)")
            con.execute("DELETE FROM orders WHERE order_id IN (SELECT * FROM _picked)")
        else:
            con.execute(
                "INSERT INTO order_items SELECT * REPLACE (order_id || '-dup' AS order_id) "
                "FROM order_items WHERE order_id IN (SELECT * FROM _picked)"
            )
            con.execute(
                "INSERT INTO orders SELECT * REPLACE (order_id || '-dup' AS order_id) "
                "FROM orders WHERE order_id IN (SELECT * FROM _picked)"
            )
    return drops, spikes


@dataclass(frozen=True)
class Scores:
    """Day-level detection scores of one injection run."""

    precision: float
    precision_with_promos: float
    recall: float
    found: int
    promo_hits: int


def injection_scores(seed: int) -> Scores:
    """Inject anomalies into a demo built with ``seed`` and score revenue/orders detection."""
    wh = _demo(seed)
    try:
        drops, spikes = inject(wh, seed=seed)
        truth = drops | spikes
        promos = promo_days(wh)
        found = {a.day for a in detect_anomalies(wh, WINDOW, kpis=("revenue", "orders"))}
    finally:
        wh.close()
    hits = len(found & truth)
    promo_hits = len((found - truth) & promos)
    return Scores(
        precision=hits / max(len(found - promos) + len(found & truth & promos), 1),
        precision_with_promos=hits / max(len(found), 1),
        recall=hits / len(truth),
        found=len(found),
        promo_hits=promo_hits,
    )


def clean_false_positives(seed: int, period: DateRange) -> tuple[float, float]:
    """Flagged days per 100 days on the clean demo: (all, excluding promotion days)."""
    wh = _demo(seed)
    try:
        promos = promo_days(wh)
        found = {a.day for a in detect_anomalies(wh, period, kpis=("revenue", "orders"))}
    finally:
        wh.close()
    per100 = 100.0 / period.days
    return len(found) * per100, len(found - promos) * per100


# -- the baseline -----------------------------------------------------------------------------


def test_baseline_recovers_weekday_pattern_and_trend() -> None:
    weekly = np.array([1.0, 1.1, 0.9, 1.0, 1.2, 0.8, 1.0])
    t = np.arange(57)
    y = 100 * np.exp(0.005 * t) * np.tile(weekly, 9)[:57]
    fit = robust_baseline(y[:56])
    assert fit is not None
    expected_log, sigma, offset = fit
    # The log offset (1% of the level) bends the pattern slightly: within 2% on clean data.
    assert np.exp(expected_log) - offset == pytest.approx(y[56], rel=0.02)
    assert sigma < 0.03  # a noiseless series leaves only the small fit error


def test_baseline_needs_complete_positive_history() -> None:
    assert robust_baseline(np.zeros(56)) is None
    assert robust_baseline(np.r_[np.ones(55), np.nan]) is None
    assert robust_baseline(np.ones(50)) is None


def test_baseline_ignores_an_outlier_in_history() -> None:
    rng = np.random.default_rng(3)
    y = rng.poisson(200, 56).astype(float)
    clean = robust_baseline(y)
    y[30] = 2000.0
    dirty = robust_baseline(y)
    assert clean is not None and dirty is not None
    assert abs(clean[0] - dirty[0]) < 0.03
    assert dirty[1] < 1.5 * clean[1]


def test_constant_series_guards_zero_mad() -> None:
    fit = robust_baseline(np.full(56, 10.0))
    assert fit is not None
    assert fit[1] > 0


# -- API and bad input ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_demo() -> Iterator[Warehouse]:
    wh = connect("duckdb://:memory:")
    generate_demo(wh, size="small", seed=1, end_date=END)
    yield wh
    wh.close()


def test_daily_kpis_zero_fills_and_nulls_events(small_demo: Warehouse) -> None:
    period = DateRange(date(2026, 3, 25), date(2026, 4, 5))
    table = daily_kpis(small_demo, period)
    assert table.column("day").to_pylist()[0] == period.start
    assert table.num_rows == period.days
    sessions = table.column("sessions").to_pylist()
    assert sessions[0] is None  # events start on 2026-04-02
    assert sessions[-1] is not None and sessions[-1] > 0
    rows = table.to_pylist()
    assert all(r["orders"] >= 0 for r in rows)
    assert all(r["aov"] == pytest.approx(r["revenue"] / r["orders"]) for r in rows if r["orders"])
    future = daily_kpis(small_demo, DateRange(date(2030, 1, 1), date(2030, 1, 3)))
    assert future.column("orders").to_pylist() == [0, 0, 0]
    assert future.column("aov").to_pylist() == [None, None, None]


def test_anomaly_fields_are_consistent(small_demo: Warehouse) -> None:
    found = detect_anomalies(small_demo, DateRange(date(2025, 1, 1), END))
    assert found, "the small demo has a few anomalous days"
    for a in found:
        assert isinstance(a, Anomaly)
        assert abs(a.score) >= 3.5
        assert (a.direction == "up") == (a.score > 0) == (a.value > a.expected)
        assert a.size == pytest.approx((a.value - a.expected) / a.expected)
        assert a.drivers and all(":" in d and "vs usual" in d for d in a.drivers)


def test_short_history_gives_empty_list_and_warning(
    small_demo: Warehouse, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="shopscope.insight.anomalies"):
        found = detect_anomalies(small_demo, DateRange(date(2024, 7, 1), date(2024, 8, 1)))
    assert found == []
    assert "need 56 days of history" in caplog.text


def test_empty_warehouse_raises(wh: Warehouse) -> None:
    with pytest.raises(NotFoundError, match="no orders"):
        detect_anomalies(wh, DateRange(date(2026, 1, 1), date(2026, 1, 31)))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kpis": ("profit",)}, "allowed: revenue, orders, aov, sessions, conversion_rate"),
        ({"kpis": ()}, "allowed"),
        ({"threshold": 0.0}, "threshold must be a positive number"),
        ({"history_days": 50}, "multiple of 7"),
        ({"history_days": 7}, "at least 14"),
    ],
)
def test_invalid_arguments(small_demo: Warehouse, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        detect_anomalies(small_demo, DateRange(date(2026, 6, 1), END), **kwargs)  # type: ignore[arg-type]


# -- validation on the demo store ---------------------------------------------------------------


@pytest.mark.slow
def test_injected_anomalies_are_found() -> None:
    """Seed 7 (reported in docs/methods/anomalies.md); tuning used seed 11 only."""
    scores = injection_scores(7)
    assert scores.precision >= 0.8, scores
    assert scores.recall >= 0.8, scores


@pytest.mark.slow
def test_clean_demo_has_few_false_positives() -> None:
    """Clean seed-7 demo, 2025-09-01..2026-06-30 (Christmas included)."""
    _, without_promos = clean_false_positives(7, DateRange(date(2025, 9, 1), END))
    assert without_promos <= 3.0
