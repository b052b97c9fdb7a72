"""Markov removal effects against a published worked example; Shapley against enumeration."""

from __future__ import annotations

import itertools
import math
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from shopscope.acquisition.attribution import MarkovAttribution, attribution_report, shapley_values
from shopscope.warehouse.connection import arrow_schema

PUZYROV_PATHS = [
    (["google ads"], 2.0, 1.0),  # two converting paths, one without conversion
    (["mailing"], 1.0, 0.0),
    (["google ads", "mailing"], 1.0, 0.0),
]


def test_markov_removal_effects_reproduce_puzyrov_2019() -> None:
    """Puzyrov, S. (2019). "Markov Chain Attribution – Simple Explanation Of Removal Effect".
    https://serhiipuzyrov.com/2019/07/markov-chain-attribution-simple-explanation-of-removal-effect/

    Four grouped paths: Google Ads 2 conversions, mailing 1, Google Ads > mailing 1, Google Ads
    0 (one null). The article's transition table: start > google ads 0.8, start > mailing 0.2,
    google ads > conv 0.5, google ads > mailing 0.25, google ads > null 0.25, mailing > conv 1.
    Its conversion probability 0.8 and removal effects (Google Ads 0.75, mailing 0.5) give
    2.4 and 1.6 of the 4 conversions. Asserted exactly (to float precision).
    """
    m = MarkovAttribution().fit_paths(PUZYROV_PATHS)
    p = m.transition_probabilities_
    assert p[("(start)", "google ads")] == pytest.approx(0.8, abs=1e-12)
    assert p[("(start)", "mailing")] == pytest.approx(0.2, abs=1e-12)
    assert p[("google ads", "(conversion)")] == pytest.approx(0.5, abs=1e-12)
    assert p[("google ads", "mailing")] == pytest.approx(0.25, abs=1e-12)
    assert p[("google ads", "(null)")] == pytest.approx(0.25, abs=1e-12)
    assert p[("mailing", "(conversion)")] == pytest.approx(1.0, abs=1e-12)
    assert m.conversion_probability_ == pytest.approx(0.8, abs=1e-12)
    assert m.removal_effects_ == pytest.approx({"google ads": 0.75, "mailing": 0.5}, abs=1e-12)
    credits = m.credits(4, 4.0)
    assert credits["google ads"][0] == pytest.approx(2.4, abs=1e-12)
    assert credits["mailing"][0] == pytest.approx(1.6, abs=1e-12)


def _events(rows: list[dict[str, Any]]) -> pa.Table:
    schema = arrow_schema("events")
    out = []
    for i, r in enumerate(rows):
        row = {f.name: None for f in schema}
        row.update({"event_id": f"E{i:05d}", "event_type": "page_view"} | r)
        out.append(row)
    return pa.Table.from_pylist(out, schema=schema)


def test_puzyrov_example_through_the_warehouse(wh) -> None:
    """The same five journeys as events (google cpc = paid_search, newsletter = email)."""
    tags = {"g": {"utm_source": "google", "utm_medium": "cpc"},
            "m": {"utm_source": "newsletter", "utm_medium": "email"}}  # fmt: skip
    journeys = [("g", True), ("g", True), ("m", True), ("gm", True), ("g", False)]
    rows: list[dict[str, Any]] = []
    t0 = datetime(2026, 3, 1)
    for u, (path, converts) in enumerate(journeys):
        for k, ch in enumerate(path):
            at = t0 + timedelta(days=u, hours=k)
            rows.append({"session_id": f"S{u}{k}", "anonymous_id": f"A{u}", "occurred_at": at,
                         **tags[ch]})  # fmt: skip
        if converts:
            rows.append({"session_id": f"S{u}{len(path) - 1}", "anonymous_id": f"A{u}",
                         "customer_id": f"C{u}", "event_type": "purchase", "order_id": f"O{u}",
                         "revenue": 10.0, "occurred_at": at + timedelta(minutes=5)})  # fmt: skip
    wh.write_arrow("events", _events(rows))
    report = attribution_report(wh, models=["markov"])
    assert report.removal_effects["markov"] == pytest.approx(
        {"paid_search": 0.75, "email": 0.5}, abs=1e-12
    )
    got = {c.channel: c.conversions for c in report.credits}
    assert got == pytest.approx({"paid_search": 2.4, "email": 1.6}, abs=1e-12)


def _brute_force(
    masks: np.ndarray, w: np.ndarray, paths: np.ndarray, n: int, game: str
) -> np.ndarray:
    """Shapley by definition: average marginal contribution over all n! channel orders."""

    def v(s: int) -> float:
        inside = [(int(m) & ~s) == 0 for m in masks]
        num = sum(float(x) for x, i in zip(w, inside, strict=True) if i)
        if game == "conversions":
            return num
        den = sum(float(x) for x, i in zip(paths, inside, strict=True) if i)
        return num / den if den else 0.0

    phi = np.zeros(n)
    for order in itertools.permutations(range(n)):
        s = 0
        for i in order:
            phi[i] += v(s | 1 << i) - v(s)
            s |= 1 << i
    phi /= math.factorial(n)
    if game == "conversion_rate":
        phi *= w.sum() / phi.sum()
    return phi


@pytest.mark.parametrize("game", ["conversions", "conversion_rate"])
@pytest.mark.parametrize("n", [1, 2, 4, 6])
def test_shapley_equals_enumeration(n: int, game: str) -> None:
    rng = np.random.default_rng(n)
    k = 3 * n + 2
    masks = rng.integers(1, 2**n, k)
    w = rng.integers(0, 6, k).astype(float)
    paths = w + rng.integers(1, 9, k)
    got = shapley_values(masks, w, n, paths=paths, game=game)  # type: ignore[arg-type]
    assert got.exact
    np.testing.assert_allclose(got.values, _brute_force(masks, w, paths, n, game), rtol=1e-10)


def test_sampled_shapley_is_within_its_reported_error() -> None:
    n = 6
    rng = np.random.default_rng(7)
    masks = rng.integers(1, 2**n, 40)
    w = rng.integers(0, 6, 40).astype(float)
    exact = shapley_values(masks, w, n).values
    sampled = shapley_values(masks, w, n, max_exact=3, samples=3000, seed=1)
    assert not sampled.exact and sampled.samples == 3000
    assert sampled.values.sum() == pytest.approx(w.sum())  # efficiency holds per order
    z = np.abs(sampled.values - exact) / np.maximum(sampled.std_errors, 1e-12)
    assert z.max() < 4.5
