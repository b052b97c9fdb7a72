"""Targets endpoints: progress against the month's targets; set a target (strategic tier).

See ``docs/methods/targets.md``. Reading needs ``workspace.strategic``; setting needs
``targets.manage`` and is written to the audit log.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from shopscope.appdb.records import audit
from shopscope.cli.output import to_jsonable
from shopscope.errors import ShopscopeError
from shopscope.server.api.common import ERRORS, Paging, cached, list_result
from shopscope.server.auth import Principal, client_ip, require
from shopscope.server.errors import ApiError
from shopscope.server.state import get_state, open_warehouse, shared_cursor
from shopscope.warehouse.connection import Warehouse, connect

__all__ = ["TargetIn", "progress_for", "router", "save_target", "writable_warehouse"]

router = APIRouter(tags=["targets"], responses=ERRORS)
WH = Annotated[Warehouse, Depends(open_warehouse)]
Reader = Annotated[Principal, Depends(require("workspace.strategic"))]
Manager = Annotated[Principal, Depends(require("targets.manage"))]
Month = Annotated[
    str | None,
    Query(max_length=10, description="Month YYYY-MM (default: the month of as_of)."),
]
AsOf = Annotated[
    date | None, Query(description="Last day counted, YYYY-MM-DD (default: last order day).")
]
Tolerance = Annotated[
    float, Query(ge=0, lt=1, description="Relative gap still on track (0.1 = ±10%).")
]


def progress_for(
    request: Request, wh: Warehouse, month: str | None, as_of: date | None, tolerance: float
) -> tuple[date, date, list[Any]]:
    """``(month, as_of, progress rows)`` (cached; the cache is cleared when a target is set)."""
    from shopscope.insight.periods import data_range
    from shopscope.team.targets import parse_month, target_progress

    def compute() -> tuple[date, date, list[Any]]:
        day = as_of
        if day is None:
            span = data_range(wh) if wh.has_table("orders") else None
            day = span.end if span is not None else date.today()
        first = parse_month(month) if month else day.replace(day=1)
        rows = target_progress(wh, first, day, tolerance=tolerance)
        return first, min(day, rows[0].as_of) if rows else day, rows

    result: tuple[date, date, list[Any]] = cached(
        request, ("targets", month, as_of, tolerance), compute
    )
    return result


@router.get("/targets")
def targets(
    request: Request,
    wh: WH,
    p: Reader,
    page: Paging,
    month: Month = None,
    as_of: AsOf = None,
    tolerance: Tolerance = 0.10,
) -> Response:
    """Each target of the month with month to date, pro-rated target, run-rate and pace."""
    first, day, rows = progress_for(request, wh, month, as_of, tolerance)
    if page.fmt == "csv":
        return list_result(request, p, rows, page, name=f"targets_{first:%Y-%m}")
    nxt = page.offset + page.limit
    return JSONResponse(
        {
            "month": first.isoformat(),
            "as_of": day.isoformat(),
            "tolerance": tolerance,
            "note": None
            if rows
            else f"No targets for {first:%Y-%m}: set them with PUT /api/v1/targets or "
            "`shopscope targets set`.",
            "items": to_jsonable(rows[page.offset : nxt]),
            "total": len(rows),
            "limit": page.limit,
            "offset": page.offset,
            "next_offset": nxt if nxt < len(rows) else None,
        }
    )


class TargetIn(BaseModel):
    """One monthly target to set (replaces the one with the same metric, channel, month)."""

    metric: str = Field(min_length=1, max_length=32, description="e.g. net_revenue, ad_spend.")
    month: str = Field(min_length=7, max_length=10, description="YYYY-MM.")
    value: float = Field(description="Target for the whole month (>= 0).")
    channel: str | None = Field(default=None, max_length=64, description="ad_spend only.")
    note: str | None = Field(default=None, max_length=500)


@contextmanager
def writable_warehouse(request: Request) -> Iterator[Warehouse]:
    """The warehouse opened for writing for one change (503 when another process holds it)."""
    state = get_state(request)
    wh = shared_cursor(state)  # event ingestion holds it open for writing
    if wh is None:
        try:
            wh = connect(state.settings.warehouse)
        except ShopscopeError as exc:
            raise ApiError(
                503,
                "warehouse_busy",
                f"The warehouse cannot be opened for writing ({exc}). Try again in a moment.",
            ) from None
    try:
        yield wh
    finally:
        wh.close()
        state.cache.clear()


def save_target(request: Request, p: Principal, body: TargetIn) -> Any:
    """Set the target of ``body`` and write ``targets.set`` to the audit log.

    Raises
    ------
    InvalidInputError
        For a bad metric, month, value or channel (checked before the warehouse is opened for
        writing, except the channel, which needs the warehouse's channels).
    """
    from shopscope.team.targets import list_targets, set_target, validate_target

    validate_target(body.metric, body.month, body.value, body.channel)
    channel = (body.channel or "").strip() or None
    with writable_warehouse(request) as wh:
        before = [
            t.value
            for t in list_targets(wh, body.month, metric=body.metric)
            if t.channel == channel
        ]
        target = set_target(
            wh, body.metric, body.month, body.value, channel=channel, note=body.note
        )
    with get_state(request).db.session() as s:
        audit(
            s,
            p.username,
            "targets.set",
            target=f"{target.metric}:{target.channel or '*'}:{target.month:%Y-%m}",
            ip=client_ip(request),
            details={"value": target.value, "previous": before[0] if before else None},
        )
    return target


@router.put("/targets")
def put_target(request: Request, body: TargetIn, p: Manager) -> JSONResponse:
    """Set one monthly target or channel budget (audited)."""
    return JSONResponse(to_jsonable(save_target(request, p, body)))


@router.post("/targets", status_code=201)
def post_target(request: Request, body: TargetIn, p: Manager) -> JSONResponse:
    """Set one monthly target or channel budget (audited); same as PUT."""
    return JSONResponse(to_jsonable(save_target(request, p, body)), status_code=201)
