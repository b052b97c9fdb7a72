"""The plain-language decision: ship, do not ship, keep running, or do not trust.

Rules, in order:

1. Sample-ratio mismatch → *untrustworthy*: fix assignment/logging before reading effects.
2. A guardrail significantly worse in a variant → that variant is *harmful* (not shipped).
3. The decision metric (first primary metric) significantly better after correction → *ship*
   the variant with the largest lift; significantly worse → *do not ship*.
4. Otherwise *inconclusive*: keep running (the always-valid sequential test allows it) or stop.

The effect reported is the CUPED-adjusted one when CUPED ran, else the plain one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from shopscope.conversion.experiments.srm import SrmCheck

if TYPE_CHECKING:
    from shopscope.conversion.experiments.analysis import MetricResult

__all__ = ["Decision", "Verdict", "decide"]

Verdict = Literal["ship", "do_not_ship", "inconclusive", "untrustworthy", "harmful"]


@dataclass(frozen=True)
class Decision:
    """The verdict, the variant it is about, and one sentence a manager can read."""

    verdict: Verdict
    variant: str | None
    summary: str


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x * 100:+.1f}%"


def _effect(r: MetricResult) -> str:
    b = r.best
    if b.lift is not None and b.lift_ci is not None:
        ci = f"[{_pct(b.lift_ci[0])}, {_pct(b.lift_ci[1])}]"
        level = round((1 - b.alpha) * 100)
        return f"{_pct(b.lift)} {r.metric}, {level}% CI {ci}"
    return f"{r.metric} difference {b.diff if b.diff is not None else 'n/a'}"


def decide(results: Sequence[MetricResult], srm: SrmCheck, control: str, alpha: float) -> Decision:
    """Apply the rules in the module docstring."""
    if srm.mismatch:
        return Decision("untrustworthy", None, f"Do not trust this test: {srm.message}.")
    harmed: dict[str, list[str]] = {}
    for r in results:
        b = r.best
        if r.guardrail and b.p_value is not None and b.p_value < alpha and b.diff is not None:
            worse = b.diff < 0 if r.higher_is_better else b.diff > 0
            if worse:
                harmed.setdefault(r.variant, []).append(r.metric)
    primary = [r for r in results if not r.guardrail]
    if not primary:
        return Decision("inconclusive", None, "No primary metric was analysed.")
    decision_metric = primary[0].metric
    rows = [r for r in primary if r.metric == decision_metric]
    usable = [r for r in rows if r.status == "ok" and r.p_adjusted is not None]
    if not usable:
        why = "; ".join(f"{r.variant}: {r.message or r.status}" for r in rows)
        return Decision("inconclusive", None, f"No usable result for {decision_metric}: {why}.")

    def good(r: MetricResult) -> bool:
        d = r.best.diff or 0.0
        return d > 0 if r.higher_is_better else d < 0

    winners = [r for r in usable if (r.p_adjusted or 1) < alpha and good(r)]
    losers = [r for r in usable if (r.p_adjusted or 1) < alpha and not good(r)]
    srm_text = srm.message
    for r in sorted(winners, key=lambda r: -(r.best.lift or 0.0)):
        if r.variant in harmed:
            guards = ", ".join(harmed[r.variant])
            return Decision(
                "harmful", r.variant,
                f"Do not ship {r.variant}: {_effect(r)}, but guardrail {guards} got worse; "
                f"{srm_text}.",
            )  # fmt: skip
        return Decision(
            "ship", r.variant,
            f"Ship {r.variant}: {_effect(r)}, no guardrail harmed, {srm_text}.",
        )  # fmt: skip
    if losers:
        r = losers[0]
        return Decision(
            "do_not_ship", r.variant,
            f"Do not ship {r.variant}: {_effect(r)} against {control} (worse); {srm_text}.",
        )  # fmt: skip
    r = min(usable, key=lambda r: r.p_adjusted or 1.0)
    return Decision(
        "inconclusive", r.variant,
        f"Inconclusive: {r.variant} {_effect(r)}, adjusted p = {r.p_adjusted:.3g}; keep "
        f"running or stop with no change; {srm_text}.",
    )  # fmt: skip
