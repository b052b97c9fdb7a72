"""Budget plans: fit response curves and split a daily ad budget across channels
(``docs/methods/budget.md``). The API and the strategic pages share :func:`budget_plan_for`."""

from __future__ import annotations

import dataclasses
import math
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from shopscope.appdb.records import audit
from shopscope.cli.output import to_jsonable
from shopscope.errors import InvalidInputError
from shopscope.server.api.acquisition import Margin
from shopscope.server.api.common import ERRORS, cached
from shopscope.server.auth import Principal, client_ip, require
from shopscope.server.state import get_state, open_warehouse
from shopscope.warehouse.connection import Warehouse

__all__ = [
    "DEFAULT_MAX_SCALE",
    "BudgetPlanView",
    "CurveForm",
    "Objective",
    "Outcome",
    "budget_plan_for",
    "current_spend_for",
    "record_budget_plan",
    "router",
]

router = APIRouter(tags=["acquisition"], responses=ERRORS)
WH = Annotated[Warehouse, Depends(open_warehouse)]
Planner = Annotated[Principal, Depends(require("budget.plan"))]
DEFAULT_MAX_SCALE = 2.0
"""Cap on a channel's planned daily spend, in multiples of its typical daily spend."""
MaxScale = Annotated[
    float,
    Query(
        ge=0,
        le=100,
        description="Cap each channel at this many times its typical daily spend (0: no cap; "
        "beyond the data the curves are extrapolated).",
    ),
]

Objective = Literal["revenue", "profit"]
Outcome = Literal["new_customers", "revenue"]
CurveForm = Literal["power", "hill"]


@dataclasses.dataclass(frozen=True)
class BudgetPlanView:
    """A budget plan and what it was computed from: the one result of the API and the pages."""

    plan: Any
    curves: tuple[Any, ...]
    current: dict[str, float]
    value_per_outcome: dict[str, float] | float
    outcome: str
    form: str
    weeks: int
    max_scale: float


def current_spend_for(request: Request, wh: Warehouse) -> dict[str, float]:
    """Mean daily ad spend per channel over the last 28 days of ``ad_spend`` (cached)."""
    from shopscope.acquisition.budget import current_spend

    found: dict[str, float] = cached(request, "acq_current_spend", lambda: current_spend(wh))
    return found


def budget_plan_for(
    request: Request,
    wh: Warehouse,
    total: float,
    *,
    objective: Objective = "revenue",
    outcome: Outcome = "new_customers",
    form: CurveForm = "power",
    margin: float = 1.0,
    weeks: int = 0,
    max_scale: float = DEFAULT_MAX_SCALE,
) -> BudgetPlanView:
    """Fit (cached) response curves and split ``total`` per day (or over ``weeks`` weeks).

    New customers are valued at each channel's revenue per customer in their first year.
    Each channel's daily spend is capped at ``max_scale`` times its typical daily spend (the
    range its curve was fitted on; ``0``: no cap), so a plan does not rest on extrapolation.
    """
    from shopscope.acquisition.budget import allocate_budget, fit_response_curves, plan_weeks
    from shopscope.acquisition.cohorts import value_per_customer

    curves = cached(
        request,
        ("acq_curves", outcome, form),
        lambda: tuple(fit_response_curves(wh, outcome=outcome, form=form, n_boot=0)),
    )
    current = current_spend_for(request, wh)
    value: dict[str, float] | float = 1.0
    if outcome == "new_customers":
        per = cached(request, "acq_value_per_customer", lambda: value_per_customer(wh))
        value = {c.channel: per.get(c.channel, 0.0) for c in curves}
    cap = {c.channel: max_scale * c.typical_spend for c in curves} if max_scale > 0 else None
    if cap is not None and objective == "revenue":
        daily = total / (7 * weeks) if weeks > 0 else total
        room = math.fsum(cap.values())
        if daily > room + 1e-9:
            raise InvalidInputError(
                f"A daily budget of {daily:,.2f} exceeds what the channels' data support: at most "
                f"{max_scale:g} x each channel's typical daily spend, {room:,.2f} in all. Lower "
                "the budget, raise max_scale, or set max_scale=0 to plan without a cap "
                "(the curves are then extrapolated)."
            )
    common: dict[str, Any] = {
        "objective": objective,
        "value_per_outcome": value,
        "margin": margin,
        "current": current,
        "maximum": cap,
    }

    def compute() -> Any:
        if weeks > 0:
            return plan_weeks(curves, total, weeks, **common)
        return allocate_budget(curves, total, **common)

    key = ("acq_budget_plan", total, objective, outcome, form, margin, weeks, max_scale)
    plan = cached(request, key, compute)
    return BudgetPlanView(plan, curves, current, value, outcome, form, weeks, max_scale)


def record_budget_plan(request: Request, p: Principal, view: BudgetPlanView) -> None:
    """Write the computed plan to the audit log (``budget.plan``: who, where, the inputs)."""
    plan = view.plan
    with get_state(request).db.session() as s:
        audit(
            s,
            p.username,
            "budget.plan",
            target=request.url.path,
            ip=client_ip(request),
            details={
                "total": plan.budget,
                "objective": plan.objective,
                "outcome": view.outcome,
                "form": view.form,
                "margin": plan.margin,
                "weeks": view.weeks,
                "max_scale": view.max_scale,
            },
        )


def _curve_summary(c: Any) -> dict[str, Any]:
    return {
        "channel": c.channel,
        "form": c.form,
        "outcome": c.outcome,
        "params": c.params,
        "typical_spend": c.typical_spend,
        "response_at_typical": float(c.response(c.typical_spend)),
        "days": c.days,
        "r_squared": c.r_squared,
    }


@router.get("/budget/plan")
def budget_plan(
    request: Request,
    wh: WH,
    p: Planner,
    total: Annotated[
        float, Query(gt=0, le=1e12, description="Budget per day (or over `weeks` weeks).")
    ],
    objective: Annotated[Objective, Query(description="Maximise revenue or profit.")] = "revenue",
    outcome: Annotated[
        Outcome,
        Query(description="Outcome the curves predict (new customers are valued by channel)."),
    ] = "new_customers",
    form: Annotated[CurveForm, Query(description="Curve form.")] = "power",
    margin: Margin = 1.0,
    weeks: Annotated[
        int, Query(ge=0, le=52, description="Plan this many weeks; `total` is the whole horizon.")
    ] = 0,
    max_scale: MaxScale = DEFAULT_MAX_SCALE,
) -> JSONResponse:
    """Fit response curves and split a budget to maximise predicted revenue (observational)."""
    from shopscope.acquisition.budget import OBSERVATIONAL_NOTE

    view = budget_plan_for(
        request,
        wh,
        total,
        objective=objective,
        outcome=outcome,
        form=form,
        margin=margin,
        weeks=weeks,
        max_scale=max_scale,
    )
    record_budget_plan(request, p, view)
    plan = view.plan
    return JSONResponse(
        to_jsonable(
            {
                "note": OBSERVATIONAL_NOTE,
                "objective": plan.objective,
                "outcome": outcome,
                "budget": plan.budget,
                "weeks": weeks,
                "max_scale": max_scale,
                "margin": plan.margin,
                "value_per_outcome": view.value_per_outcome,
                "curves": [_curve_summary(c) for c in view.curves],
                "allocation": [dataclasses.asdict(r) for r in plan.rows],
                "predicted_revenue": plan.predicted_revenue,
                "current_revenue": plan.current_revenue,
                "expected_gain": plan.expected_gain,
            }
        )
    )
