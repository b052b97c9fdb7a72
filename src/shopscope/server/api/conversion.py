"""Conversion endpoints: funnels, experiments (list, analysis, power), abandoned carts.

See ``docs/methods/funnels.md`` and ``docs/methods/experiments.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from shopscope.cli.output import to_jsonable
from shopscope.errors import InvalidInputError, ShopscopeError
from shopscope.server.api.common import ERRORS, Paging, cached, json_result, list_result
from shopscope.server.auth import Principal, require
from shopscope.server.errors import ApiError
from shopscope.server.state import open_warehouse
from shopscope.warehouse.connection import Warehouse

__all__ = [
    "DEFAULT_STEPS",
    "ExperimentRow",
    "FunnelQuery",
    "analysis_for",
    "carts_for",
    "experiments_for",
    "funnel_for",
    "parse_window",
    "router",
]

router = APIRouter(tags=["conversion"], responses=ERRORS)
WH = Annotated[Warehouse, Depends(open_warehouse)]
Reader = Annotated[Principal, Depends(require("conversion.read"))]
CartReader = Annotated[Principal, Depends(require("carts.read"))]
DEFAULT_STEPS = "product_view,add_to_cart,begin_checkout,purchase"
Breakdown = Literal["channel", "device", "category", "new_returning", "variant"]
Correction = Literal["holm", "bh", "none"]
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DAY = Annotated[date | None, Query(alias="from", description="First day, YYYY-MM-DD.")]
_TO = Annotated[date | None, Query(alias="to", description="Last day, YYYY-MM-DD (inclusive).")]


def parse_window(value: str) -> timedelta:
    """``30m``, ``1d``, ``2.5h`` → a positive duration (400 otherwise)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", value)
    if not m or float(m.group(1)) <= 0:
        raise InvalidInputError(
            f"window {value[:40]!r}: use a positive number and a unit s/m/h/d/w, e.g. 30m or 1d."
        )
    return timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2)])


def _day(value: date | None, shift: int = 0) -> datetime | None:
    return datetime.combine(value + timedelta(days=shift), time()) if value is not None else None


@dataclass(frozen=True)
class FunnelQuery:
    """The funnel filters of the endpoint and the page (all hashable: a cache key)."""

    steps: tuple[str, ...]
    window: str
    mode: Literal["loose", "strict"]
    unit: Literal["user", "session"]
    breakdown: str | None
    experiment: str | None
    start: date | None
    end: date | None


def funnel_for(request: Request, wh: Warehouse, q: FunnelQuery) -> Any:
    """The :class:`~shopscope.conversion.funnels.Funnel` of ``q`` (validated, cached)."""
    from shopscope.conversion.funnels import funnel

    window = parse_window(q.window)
    if q.breakdown == "variant" and not q.experiment:
        raise InvalidInputError("breakdown=variant needs experiment=<experiment id>.")
    if q.start and q.end and q.end < q.start:
        raise InvalidInputError(f"to ({q.end}) is before from ({q.start}).")
    return cached(
        request,
        ("funnel", q),
        lambda: funnel(
            wh, list(q.steps), window=window, per=q.unit, order=q.mode, start=_day(q.start),
            end=_day(q.end, 1), breakdown=q.breakdown, experiment_id=q.experiment,
        ),
    )  # fmt: skip


def steps_of(value: str) -> tuple[str, ...]:
    """Comma-separated event types → a tuple (the funnel validates the names)."""
    return tuple(s.strip() for s in value.split(",") if s.strip())


@router.get("/funnel")
def funnel_endpoint(
    request: Request,
    wh: WH,
    _p: Reader,
    steps: Annotated[
        str, Query(max_length=500, description="Comma-separated event types, in order.")
    ] = DEFAULT_STEPS,
    window: Annotated[
        str, Query(max_length=20, description="Conversion window from the first step: 30m, 1d.")
    ] = "1d",
    mode: Annotated[
        Literal["loose", "strict"], Query(description="loose (in order) or strict (consecutive).")
    ] = "loose",
    unit: Annotated[
        Literal["user", "session"], Query(description="Count users or sessions.")
    ] = "user",
    breakdown: Annotated[
        Breakdown | None, Query(description="Split by this; variant needs experiment.")
    ] = None,
    experiment: Annotated[
        str | None, Query(max_length=128, description="Experiment id for breakdown=variant.")
    ] = None,
    start: _DAY = None,
    end: _TO = None,
) -> JSONResponse:
    """Units reaching each step, conversion from the start and step to step, drop-off, time to
    convert; per breakdown member when ``breakdown`` is given."""
    q = FunnelQuery(steps_of(steps), window, mode, unit, breakdown, experiment, start, end)
    return json_result(funnel_for(request, wh, q))


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
        kw["start"] = _day(entry.start_date)
        kw["end"] = _day(entry.end_date, 1)
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


def carts_for(
    request: Request, wh: Warehouse, since: date | None, as_of: date | None, idle_hours: float
) -> list[dict[str, Any]]:
    """Every abandoned cart, largest first (cached)."""
    from shopscope.conversion.abandoned import abandoned_carts

    def compute() -> list[dict[str, Any]]:
        table = abandoned_carts(
            wh, since=_day(since), as_of=_day(as_of, 1), idle=timedelta(hours=idle_hours),
            limit=None,
        )  # fmt: skip
        return list(table.to_pylist())

    return cached(request, ("abandoned", since, as_of, idle_hours), compute)


@router.get("/abandoned-carts")
def abandoned(
    request: Request,
    wh: WH,
    page: Paging,
    p: CartReader,
    start: _DAY = None,
    as_of: Annotated[date | None, Query(description="Up to this day (default: all data).")] = None,
    idle_hours: Annotated[
        float, Query(ge=0, le=720, description="Hours without activity before a cart counts.")
    ] = 1.0,
    known: Annotated[
        bool, Query(description="Only carts of signed-in customers (who can be contacted).")
    ] = False,
) -> Response:
    """Cart sessions with no purchase and no recovery within 7 days, largest value first."""
    rows = carts_for(request, wh, start, as_of, idle_hours)
    if known:
        rows = [r for r in rows if r["customer_id"]]
    return list_result(request, p, rows, page, name="abandoned_carts")
