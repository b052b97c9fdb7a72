"""Conversion pages: the funnel and experiments (tactical), an experiment's analysis, and the
abandoned-cart follow-up list (execution)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

import plotly.graph_objects as go
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from shopscope.server.api.common import shop_currency
from shopscope.server.api.conversion import (
    DEFAULT_STEPS,
    FunnelQuery,
    carts_for,
    funnel_for,
    steps_of,
)
from shopscope.server.api.experiments import analysis_for, experiments_for
from shopscope.server.auth import Principal, require
from shopscope.server.i18n import Catalog, Formatter, catalog
from shopscope.server.pages import NavItem
from shopscope.server.pages.charts import figure_json
from shopscope.server.pages.render import page_language, render
from shopscope.server.state import open_warehouse
from shopscope.warehouse.connection import Warehouse

__all__ = ["NAV", "decision_sentence", "router"]

router = APIRouter(include_in_schema=False)
NAV = (
    NavItem("nav.conversion", "/tactical/conversion", "conversion.read", 22),
    NavItem("nav.carts", "/execution/carts", "carts.read", 34),
)
WH = Annotated[Warehouse, Depends(open_warehouse)]
CARTS_SHOWN = 100


def label(t: Catalog, prefix: str, key: str | None) -> str:
    """The message ``prefix.key`` when the catalog has it, else ``key`` itself."""
    if key is None:
        return ""
    return t(f"{prefix}.{key}") if t.has(f"{prefix}.{key}") else key


def decision_sentence(
    t: Catalog,
    f: Formatter,
    verdict: str | None,
    variant: str | None,
    metric: str | None,
    lift: float | None,
    ci: tuple[float, float] | list[float] | None,
) -> str:
    """The decision in the page's language: the verdict and the decision metric's effect."""
    if verdict is None:
        return t("conversion.exp.no_decision")
    head = t(f"conversion.sentence.{verdict}", variant=variant or "")
    if verdict == "untrustworthy" or metric is None or lift is None:
        return head
    return (
        head
        + " "
        + t(
            "conversion.exp.effect",
            metric=label(t, "conversion.metric", metric),
            lift=f.percent(lift, signed=True),
            low=f.percent(ci[0], signed=True) if ci else "–",
            high=f.percent(ci[1], signed=True) if ci else "–",
        )
    )


def _funnel_chart(t: Catalog, f: Formatter, fun: Any) -> Any:
    text = [
        t(
            "conversion.funnel_bar",
            units=f.number(s.units),
            start=f.percent(s.conversion),
            step=f.percent(s.step_conversion),
        )
        for s in fun.steps
    ]
    fig = go.Figure(
        go.Funnel(
            y=[label(t, "conversion.event", s.event_type) for s in fun.steps],
            x=[s.units for s in fun.steps],
            text=text,
            textinfo="text",
            hovertemplate="%{y}<br>%{text}<extra></extra>",
        )
    )
    fig.update_layout(title={"text": t("conversion.funnel_chart"), "font": {"size": 14}})
    return figure_json(fig)


def _lift_chart(t: Catalog, a: Any) -> Any:
    names, lifts, lo, hi = [], [], [], []
    for r in a.results:
        b = r.best
        if b.lift is None or b.lift_ci is None:
            continue
        names.append(f"{label(t, 'conversion.metric', r.metric)} · {r.variant}")
        lifts.append(b.lift * 100)
        lo.append((b.lift - b.lift_ci[0]) * 100)
        hi.append((b.lift_ci[1] - b.lift) * 100)
    fig = go.Figure(
        go.Scatter(
            x=lifts, y=names, mode="markers", name=t("conversion.exp.lift_pct"),
            error_x={"type": "data", "symmetric": False, "array": hi, "arrayminus": lo},
        )
    )  # fmt: skip
    fig.add_vline(x=0, line_dash="dot")
    fig.update_layout(
        title={"text": t("conversion.exp.lift_chart"), "font": {"size": 14}},
        xaxis_title=t("conversion.exp.lift_pct"),
    )
    return figure_json(fig)


@router.get("/tactical/conversion")
def conversion(
    request: Request,
    wh: WH,
    p: Annotated[Principal, Depends(require("conversion.read"))],
    steps: Annotated[str, Query(max_length=500)] = DEFAULT_STEPS,
    window: Annotated[str, Query(max_length=20)] = "1d",
    mode: Annotated[Literal["loose", "strict"], Query()] = "loose",
    unit: Annotated[Literal["user", "session"], Query()] = "user",
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> Response:
    """The funnel (chart, step conversion, drop-off) and the experiments with their decisions."""
    from shopscope.warehouse.schema import EVENT_TYPES

    lang = page_language(request, p)
    t, f = catalog(lang), Formatter(lang)
    q = FunnelQuery(steps_of(steps), window, mode, unit, None, None, start, end)
    fun = funnel_for(request, wh, q)
    exps = experiments_for(request, wh)
    decisions = {
        e.experiment_id: decision_sentence(
            t, f, e.verdict, e.variant, e.decision_metric, e.lift, e.lift_ci
        )
        for e in exps
    }
    return render(
        request,
        "conversion/conversion.html",
        principal=p,
        funnel=fun,
        funnel_chart=_funnel_chart(t, f, fun),
        experiments=exps,
        decisions=decisions,
        steps=",".join(q.steps),
        window=window,
        mode=mode,
        unit=unit,
        start=start,
        end=end,
        event_types=EVENT_TYPES,
        label=lambda prefix, key: label(t, prefix, key),
        tables={"funnel": list(fun.steps), "experiments": exps},
    )


@router.get("/tactical/experiments/{experiment_id}")
def experiment(
    request: Request,
    wh: WH,
    p: Annotated[Principal, Depends(require("conversion.read"))],
    experiment_id: Annotated[str, Path(max_length=128)],
) -> Response:
    """One experiment: decision, SRM, per-metric results and the lift-with-CI chart."""
    lang = page_language(request, p)
    t, f = catalog(lang), Formatter(lang)
    a = analysis_for(request, wh, experiment_id)
    main = next((r for r in a.results if not r.guardrail), None)
    sentence = decision_sentence(
        t, f, a.decision.verdict, a.decision.variant, main.metric if main else None,
        main.best.lift if main else None, main.best.lift_ci if main else None,
    )  # fmt: skip
    rows = [
        {
            "metric": r.metric, "variant": r.variant, "guardrail": r.guardrail,
            "control": r.best.control_mean, "treatment": r.best.treatment_mean,
            "lift": r.best.lift, "lift_low": r.best.lift_ci[0] if r.best.lift_ci else None,
            "lift_high": r.best.lift_ci[1] if r.best.lift_ci else None,
            "p_value": r.frequentist.p_value, "p_adjusted": r.p_adjusted,
            "cuped_variance_reduction": r.variance_reduction,
            "p_always_valid": r.sequential.p_value if r.sequential else None,
            "chance_to_beat": r.bayes.chance_to_beat if r.bayes else None,
            "expected_loss": r.bayes.expected_loss if r.bayes else None, "status": r.status,
        }
        for r in a.results
    ]  # fmt: skip
    srm = [
        {"variant": v, "observed": n, "expected": a.srm.expected.get(v)}
        for v, n in a.srm.observed.items()
    ]
    return render(
        request,
        "conversion/experiment.html",
        principal=p,
        a=a,
        sentence=sentence,
        rows=rows,
        srm=srm,
        lift_chart=_lift_chart(t, a),
        currency=shop_currency(request, wh),
        label=lambda prefix, key: label(t, prefix, key),
        tables={"results": rows, "srm": srm},
    )


@router.get("/execution/carts")
def carts(
    request: Request,
    wh: WH,
    p: Annotated[Principal, Depends(require("carts.read"))],
    start: Annotated[date | None, Query(alias="from")] = None,
    as_of: Annotated[date | None, Query()] = None,
    idle_hours: Annotated[float, Query(ge=0, le=720)] = 1.0,
    known: Annotated[bool, Query()] = False,
) -> Response:
    """Abandoned carts to follow up, largest value first, with CSV export."""
    rows = carts_for(request, wh, start, as_of, idle_hours)
    if known:
        rows = [r for r in rows if r["customer_id"]]
    return render(
        request,
        "conversion/carts.html",
        principal=p,
        carts=rows[:CARTS_SHOWN],
        total=len(rows),
        total_value=sum(r["value"] or 0.0 for r in rows),
        start=start,
        as_of=as_of,
        idle_hours=idle_hours,
        known=known,
        currency=shop_currency(request, wh),
        tables={"carts": rows},
    )
