"""Conversion endpoints: funnels and abandoned carts (experiments: ``api/experiments.py``).

See ``docs/methods/funnels.md`` and ``docs/methods/abandoned-carts.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from shopscope.errors import InvalidInputError
from shopscope.server.api.common import ERRORS, Paging, cached, json_result, list_result
from shopscope.server.auth import Principal, require
from shopscope.server.state import open_warehouse
from shopscope.warehouse.connection import Warehouse

__all__ = [
    "DEFAULT_STEPS",
    "FunnelQuery",
    "carts_for",
    "day_start",
    "funnel_for",
    "parse_window",
    "router",
    "steps_of",
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


def day_start(value: date | None, shift: int = 0) -> datetime | None:
    """Midnight starting ``value`` + ``shift`` days (None stays None)."""
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
            wh, list(q.steps), window=window, per=q.unit, order=q.mode, start=day_start(q.start),
            end=day_start(q.end, 1), breakdown=q.breakdown, experiment_id=q.experiment,
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


def carts_for(
    request: Request, wh: Warehouse, since: date | None, as_of: date | None, idle_hours: float
) -> list[dict[str, Any]]:
    """Every abandoned cart, largest first (cached)."""
    from shopscope.conversion.abandoned import abandoned_carts

    def compute() -> list[dict[str, Any]]:
        table = abandoned_carts(
            wh, since=day_start(since), as_of=day_start(as_of, 1), idle=timedelta(hours=idle_hours),
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
