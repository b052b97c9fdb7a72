"""Conversion findings: experiments to call or to distrust, carts to recover."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from shopscope.team.brief.model import Finding
from shopscope.team.brief.providers.registry import BriefContext, param, provider

__all__ = ["abandoned_carts", "experiments"]


@provider("experiments")
def experiments(ctx: BriefContext, params: dict[str, Any]) -> list[Finding]:
    """Experiments with exposures in the last ``recent_days``: ready to call, untrustworthy
    (sample-ratio mismatch) or still inconclusive with the days a ``mde`` effect still needs."""
    from shopscope.conversion.experiments.analysis import analyze_experiment
    from shopscope.conversion.experiments.assignment import experiment_ids
    from shopscope.conversion.experiments.power import sample_size

    recent = param(params, "recent_days", 14, int)
    mde = param(params, "mde", 0.05, float)
    out: list[Finding] = []
    for eid, units, first, last in experiment_ids(ctx.wh):
        if first is None or last is None or last.date() < ctx.as_of - timedelta(days=recent):
            continue
        analysis = analyze_experiment(ctx.wh, eid)
        decision = analysis.decision
        primary = analysis.results[0].best if analysis.results else None
        days_run = max((last - first).days + 1, 1)
        remaining = "-"
        if decision.verdict == "inconclusive" and primary and primary.control_mean:
            plan = sample_size(
                baseline=primary.control_mean, mde=mde, daily_traffic=units / days_run
            )
            remaining = str(max((plan.days or 0) - days_run, 0))
        out.append(
            Finding(
                key=f"experiment:{eid}",
                values={
                    "experiment_id": eid,
                    "verdict": decision.verdict,
                    "summary": decision.summary,
                    "days_run": days_run,
                    "days_left": remaining,
                    "mde_pct": f"{mde:.0%}",
                },
                evidence={
                    "verdict": decision.verdict,
                    "units": units,
                    "srm_p": analysis.srm.p_value,
                    "lift": primary.lift if primary else None,
                },
            )
        )
    return out


def _sku_list(skus: Any, limit: int = 3) -> str:
    items = [s.strip() for s in skus.split(",")] if isinstance(skus, str) else list(skus or [])
    shown = ", ".join(str(s) for s in items[:limit])
    return shown + (" …" if len(items) > limit else "")


@provider("abandoned_carts")
def abandoned_carts(ctx: BriefContext, params: dict[str, Any]) -> list[Finding]:
    """The most valuable carts abandoned by known customers in the last ``days``."""
    from shopscope.conversion.abandoned import abandoned_carts as carts

    days = param(params, "days", 3, int)
    top = param(params, "max_items", 10, int)
    end = datetime.combine(ctx.as_of + timedelta(days=1), time())
    rows = carts(ctx.wh, since=end - timedelta(days=days), as_of=end, limit=None).to_pylist()
    known = [r for r in rows if r["customer_id"]][:top]
    return [
        Finding(
            key=f"cart:{r['session_id']}",
            values={
                "customer_id": r["customer_id"],
                "items": r["items"],
                "value": f"{r['value']:,.2f}",
                "skus": _sku_list(r["skus"]),
            },
            evidence={"value": r["value"], "items": r["items"]},
        )
        for r in known
    ]
