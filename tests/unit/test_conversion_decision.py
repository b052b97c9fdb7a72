"""The decision rules and multi-variant/multi-metric analysis on sufficient statistics only."""

from __future__ import annotations

import pytest
from statsmodels.stats.multitest import multipletests

from shopscope.conversion.experiments.analysis import analyze_arms
from shopscope.conversion.experiments.assignment import ExposureSummary
from shopscope.conversion.experiments.metrics import METRICS
from shopscope.conversion.experiments.sufficient import ArmStats

CONV, ORDERS, REVENUE = METRICS["conversion"], METRICS["orders"], METRICS["revenue"]


def _binary(v: str, n: int, x: int) -> ArmStats:
    return ArmStats(v, n, float(x), float(x))


def _cont(v: str, n: int, mean: float, var: float) -> ArmStats:
    return ArmStats(v, n, n * mean, (n - 1) * var + n * mean * mean)


def _conv(xc: int, xt: int, n: int = 20_000, nt: int | None = None) -> dict:
    return {
        "conversion": {
            "control": _binary("control", n, xc),
            "treatment": _binary("treatment", nt or n, xt),
        }
    }


def _run(units, stats, metrics=(CONV,), guards=(), **kw):
    exposure = ExposureSummary("e", "anonymous_id", units, 0, sum(units.values()), 0)
    return analyze_arms("e", exposure, stats, list(metrics), list(guards), **kw)


def test_ship_with_the_issue_sentence():
    units = {"control": 20_000, "treatment": 20_000}
    a = _run(units, _conv(2000, 2300))
    assert a.decision.verdict == "ship" and a.decision.variant == "treatment"
    s = a.decision.summary
    assert s.startswith("Ship treatment: +15.0% conversion, 95% CI [")
    assert "no guardrail harmed, SRM ok" in s


def test_guardrail_harm_blocks_shipping():
    units = {"control": 20_000, "treatment": 20_000}
    stats = {
        "conversion": {"control": _binary("control", 20_000, 2000),
                       "treatment": _binary("treatment", 20_000, 2300)},
        "orders": {"control": _cont("control", 20_000, 1.0, 1.0),
                   "treatment": _cont("treatment", 20_000, 0.9, 1.0)},
    }  # fmt: skip
    a = _run(units, stats, guards=(ORDERS,))
    assert a.decision.verdict == "harmful" and "guardrail orders got worse" in a.decision.summary
    guard = next(r for r in a.results if r.guardrail)
    assert guard.p_adjusted is None  # guardrails are not corrected


def test_srm_makes_the_result_untrustworthy():
    units = {"control": 20_000, "treatment": 21_000}
    a = _run(units, _conv(2000, 2600, nt=21_000))
    assert a.srm.mismatch and a.decision.verdict == "untrustworthy"


def test_worse_variant_is_not_shipped_and_inconclusive_otherwise():
    units = {"control": 20_000, "treatment": 20_000}
    worse = _run(units, _conv(2300, 2000))
    assert worse.decision.verdict == "do_not_ship"
    same = _run(units, _conv(2000, 2010))
    assert same.decision.verdict == "inconclusive"


@pytest.mark.parametrize("correction", ["holm", "bh"])
def test_three_variants_two_metrics_corrected_like_statsmodels(correction):
    n = 10_000
    units = {"a": n, "b": n, "control": n}
    stats = {
        "conversion": {"control": _binary("control", n, 1000), "a": _binary("a", n, 1090),
                       "b": _binary("b", n, 1020)},
        "revenue": {"control": _cont("control", n, 5.0, 400.0), "a": _cont("a", n, 5.6, 400.0),
                    "b": _cont("b", n, 4.9, 400.0)},
    }  # fmt: skip
    a = _run(units, stats, metrics=(CONV, REVENUE), correction=correction, cuped=False)
    assert [(r.metric, r.variant) for r in a.results] == [
        ("conversion", "a"),
        ("conversion", "b"),
        ("revenue", "a"),
        ("revenue", "b"),
    ]
    raw = [r.frequentist.p_value for r in a.results]
    method = {"holm": "holm", "bh": "fdr_bh"}[correction]
    expected = multipletests(raw, method=method)[1]
    assert [r.p_adjusted for r in a.results] == pytest.approx(list(expected), abs=1e-12)
    assert a.control == "control"


def test_designed_arm_without_users_is_flagged_not_dropped():
    units = {"control": 5000}
    stats = {"conversion": {"control": _binary("control", 5000, 500)}}
    a = _run(units, stats, allocation={"control": 0.5, "treatment": 0.5})
    assert a.srm.mismatch and a.decision.verdict == "untrustworthy"
    (r,) = a.results
    assert r.status == "empty_arm" and r.frequentist.p_value is None
    assert any("no exposed units" in n for n in a.notes)
