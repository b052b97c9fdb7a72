"""Experiment endpoints: the list with each one's decision, the full analysis, power and
duration (``docs/methods/experiments.md``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from shopscope.cli.output import to_jsonable
from shopscope.errors import InvalidInputError, ShopscopeError
from shopscope.server.api.common import ERRORS, Paging, cached, list_result
from shopscope.server.api.conversion import day_start, steps_of
from shopscope.server.auth import Principal, require
from shopscope.server.errors import ApiError
from shopscope.server.state import open_warehouse
from shopscope.warehouse.connection import Warehouse

__all__ = ["ExperimentRow", "analysis_for", "experiments_for", "router"]

router = APIRouter(tags=["conversion"], responses=ERRORS)
WH = Annotated[Warehouse, Depends(open_warehouse)]
Reader = Annotated[Principal, Depends(require("conversion.read"))]
Correction = Literal["holm", "bh", "none"]


@dataclass(frozen=True)
class ExperimentRow:
    """An experiment found in the events and/or the registry, with its current decision."""

    experiment_id: str
    exposed_units: int
    first_exposure: datetime | None
    last_exposure: datetime | None
    registered: bool
    name: str
    status: str
    hypothesis: str
    recorded_decision: str
    verdict: str | None
    variant: str | None
    summary: str
    decision_metric: str | None
    lift: float | None
    lift_ci: tuple[float, float] | None


def analysis_for(request: Request, wh: Warehouse, experiment_id: str, **options: Any) -> Any:
    """The analysis of ``experiment_id`` with registry defaults (cached); 404 when unknown."""
    from shopscope.conversion.experiments import analyze_experiment, experiment_ids
    from shopscope.conversion.experiments.registry import list_registered

    found = [eid for eid, *_ in cached(request, "experiment_ids", lambda: experiment_ids(wh))]
    if experiment_id not in found:
        raise ApiError(
            404,
            "not_found",
            f"No experiment {experiment_id[:80]!r} in the events; experiments: "
            f"{', '.join(found) or '(none)'}.",
            details=[{"known": found}],
        )
    entry = next((e for e in list_registered(wh) if e.experiment_id == experiment_id), None)
    o = dict(options)
    metrics = o.pop("metrics", None) or (entry.metrics if entry else None)
    guardrails = o.pop("guardrails", None)
    control = o.pop("control", None) or (entry.control if entry else None)
    kw: dict[str, Any] = {
        "metrics": list(metrics or ("conversion", "revenue", "aov")),
        "guardrails": list(guardrails if guardrails is not None else entry.guardrails if entry
                           else ()),
        "control": control,
        "allocation": (entry.allocation or None) if entry else None,
    }  # fmt: skip
    if entry is not None:
        kw["start"] = day_start(entry.start_date)
        kw["end"] = day_start(entry.end_date, 1)
    kw |= o
    key = ("experiment", experiment_id, tuple(sorted((k, repr(v)) for k, v in kw.items())))
    return cached(request, key, lambda: analyze_experiment(wh, experiment_id, **kw))


def experiments_for(request: Request, wh: Warehouse) -> list[ExperimentRow]:
    """Experiments in the events and the registry, each with its decision (cached)."""
    from shopscope.conversion.experiments import experiment_ids
    from shopscope.conversion.experiments.registry import list_registered

    found = {e[0]: e for e in cached(request, "experiment_ids", lambda: experiment_ids(wh))}
    registered = {e.experiment_id: e for e in list_registered(wh)}
    rows = []
    for eid in sorted(set(found) | set(registered)):
        _, n, first, last = found.get(eid, (eid, 0, None, None))
        e = registered.get(eid)
        decision: dict[str, Any] = {"verdict": None, "variant": None, "summary": ""}
        decision |= {"decision_metric": None, "lift": None, "lift_ci": None}
        if eid in found:
            try:
                a = analysis_for(request, wh, eid)
            except ShopscopeError as exc:
                decision["summary"] = str(exc)
            else:
                decision |= {
                    "verdict": a.decision.verdict,
                    "variant": a.decision.variant,
                    "summary": a.decision.summary,
                }
                main = next((r for r in a.results if not r.guardrail), None)
                if main is not None:
                    decision |= {
                        "decision_metric": main.metric,
                        "lift": main.best.lift,
                        "lift_ci": main.best.lift_ci,
                    }
        rows.append(
            ExperimentRow(
                experiment_id=eid, exposed_units=n, first_exposure=first, last_exposure=last,
                registered=e is not None, name=e.name if e else "",
                status=e.status if e else "", hypothesis=e.hypothesis if e else "",
                recorded_decision=e.decision if e else "", **decision,
            )
        )  # fmt: skip
    return rows


@router.get("/experiments")
def experiments(request: Request, wh: WH, page: Paging, p: Reader) -> Response:
    """Experiments found in the events and in the registry, with the current decision."""
    return list_result(request, p, experiments_for(request, wh), page, name="experiments")


@router.get("/experiments/power")
def experiment_power(
    request: Request,
    wh: WH,
    _p: Reader,
    baseline: Annotated[
        float | None, Query(description="Control conversion rate (or mean with sd).")
    ] = None,
    mde: Annotated[
        float | None, Query(description="Relative minimum detectable effect (0.05 = +5%).")
    ] = None,
    n: Annotated[int | None, Query(ge=2, description="Units per arm: compute the MDE.")] = None,
    sd: Annotated[float | None, Query(gt=0, description="Standard deviation (continuous).")] = None,
    alpha: Annotated[float, Query(gt=0, lt=1, description="Significance level.")] = 0.05,
    power: Annotated[float, Query(gt=0, lt=1, description="Power.")] = 0.8,
    daily_traffic: Annotated[
        float | None, Query(gt=0, description="Eligible units per day (all arms).")
    ] = None,
    experiment: Annotated[
        str | None, Query(max_length=128, description="Read baseline and traffic from this.")
    ] = None,
) -> JSONResponse:
    """Sample size per arm for an MDE (or the MDE for ``n`` units per arm) and the duration."""
    from shopscope.conversion.experiments import minimum_detectable_effect, sample_size

    if experiment is not None:
        from shopscope.conversion.experiments.traffic import experiment_traffic

        analysis_for(request, wh, experiment)  # 404 with the known ids when unknown
        tr = cached(request, ("traffic", experiment), lambda: experiment_traffic(wh, experiment))
        baseline = baseline if baseline is not None else tr.baseline_conversion
        daily_traffic = daily_traffic if daily_traffic is not None else tr.daily_units
    if baseline is None:
        raise InvalidInputError("Give baseline (or experiment to read it from the data).")
    if n is not None:
        plan = minimum_detectable_effect(
            baseline=baseline, n_control=n, sd=sd, alpha=alpha, power=power,
            daily_traffic=daily_traffic,
        )  # fmt: skip
    elif mde is None:
        raise InvalidInputError("Give mde (relative effect, e.g. 0.05) or n (units per arm).")
    else:
        plan = sample_size(
            baseline=baseline, mde=mde, sd=sd, alpha=alpha, power=power,
            daily_traffic=daily_traffic,
        )  # fmt: skip
    return JSONResponse(to_jsonable(plan) | {"total": plan.total})


@router.get("/experiments/{experiment_id}")
def experiment_analysis(
    request: Request,
    wh: WH,
    _p: Reader,
    experiment_id: Annotated[str, Path(max_length=128, description="See /experiments.")],
    metrics: Annotated[
        str | None, Query(max_length=300, description="Comma-separated; the first decides.")
    ] = None,
    guardrails: Annotated[
        str | None, Query(max_length=300, description="Comma-separated guardrail metrics.")
    ] = None,
    control: Annotated[str | None, Query(max_length=64, description="Control variant.")] = None,
    alpha: Annotated[float, Query(gt=0, lt=1, description="Significance level.")] = 0.05,
    correction: Annotated[Correction, Query(description="holm, bh or none.")] = "holm",
    cuped: Annotated[bool, Query(description="CUPED variance reduction.")] = True,
    winsorize: Annotated[
        float | None, Query(gt=0.5, lt=1, description="Cap continuous metrics at a quantile.")
    ] = None,
    unit: Annotated[
        Literal["anonymous_id", "customer_id", "session_id"], Query(description="Unit.")
    ] = "anonymous_id",
) -> JSONResponse:
    """Per-metric results (plain, CUPED, always-valid sequential, Bayesian), SRM and decision."""
    a = analysis_for(
        request, wh, experiment_id,
        metrics=list(steps_of(metrics)) if metrics else None,
        guardrails=list(steps_of(guardrails)) if guardrails is not None else None,
        control=control, alpha=alpha, correction=correction, cuped=cuped, winsorize=winsorize,
        unit=unit,
    )  # fmt: skip
    body = to_jsonable(a)
    for row, r in zip(body["results"], a.results, strict=True):
        row["reported"] = to_jsonable(r.best)
    return JSONResponse(body)
