"""Strategic targets page: each target of a month against its pace, and a form to set one.

Progress comes from :func:`shopscope.server.api.targets.progress_for`, the function behind
``GET /api/v1/targets``; the form posts to this page and sets the target through
:func:`shopscope.server.api.targets.save_target` (CSRF-checked, audited), like ``PUT``.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any

import plotly.graph_objects as go
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from shopscope.errors import InvalidInputError, ShopscopeError
from shopscope.server.api.common import shop_currency
from shopscope.server.api.targets import TargetIn, progress_for, save_target
from shopscope.server.auth import Principal, check_csrf, require
from shopscope.server.i18n import Catalog, catalog
from shopscope.server.pages import NavItem
from shopscope.server.pages.charts import figure_json
from shopscope.server.pages.render import page_language, render
from shopscope.server.state import open_warehouse
from shopscope.warehouse.connection import Warehouse
from shopscope.warehouse.schema import TARGET_METRICS

__all__ = ["NAV", "pace_chart", "router"]

router = APIRouter(include_in_schema=False)
NAV = (NavItem("nav.targets", "/strategic/targets", "workspace.strategic", 12),)
Reader = Annotated[Principal, Depends(require("workspace.strategic"))]
Manager = Annotated[Principal, Depends(require("targets.manage"))]
_COLOURS = {
    "ahead": "#2a9d8f",
    "on_track": "#4c78a8",
    "behind": "#e76f51",
    "over_budget": "#e76f51",
    "under_budget": "#f4a261",
    "no_data": "#999999",
}


def _label(t: Catalog, metric: str, channel: str | None) -> str:
    name = t(f"targets.metric.{metric}")
    return f"{name} · {channel}" if channel else name


def pace_chart(rows: list[Any], t: Catalog) -> Any:
    """Horizontal pace bars: month to date as a % of the pro-rated target (100% = on pace)."""
    shown = [r for r in rows if r.actual is not None and r.target_to_date > 0]
    fig = go.Figure(
        [
            go.Bar(
                y=[_label(t, r.metric, r.channel) for r in shown],
                x=[100.0 * r.actual / r.target_to_date for r in shown],
                orientation="h",
                marker={"color": [_COLOURS[r.status] for r in shown]},
                text=[t(f"targets.status.{r.status}") for r in shown],
                textposition="auto",
                hovertemplate="%{y}: %{x:.1f}%<extra></extra>",
            )
        ]
    )
    fig.add_vline(x=100, line_dash="dash", line_color="#333")
    fig.update_layout(
        title={"text": t("targets.chart_title"), "font": {"size": 14}},
        xaxis={"title": {"text": t("targets.chart_axis")}, "ticksuffix": "%"},
    )
    return figure_json(fig)


def _page(
    request: Request,
    wh: Warehouse,
    p: Principal,
    month: str | None,
    as_of: date | None,
    *,
    form_error: str | None = None,
    saved: bool = False,
    status_code: int = 200,
) -> Response:
    from shopscope.team.targets import known_channels

    t = catalog(page_language(request, p))
    error: str | None = None
    rows: list[Any] = []
    first: date | None = None
    day = as_of
    try:
        first, day, rows = progress_for(request, wh, month, as_of, 0.10)
    except ShopscopeError as exc:
        error = str(exc)
    table = [
        {
            "metric": r.metric, "channel": r.channel, "month": r.month, "target": r.target,
            "target_to_date": r.target_to_date, "actual": r.actual, "projected": r.projected,
            "gap_rel": r.gap_rel, "status": r.status, "prorating": r.prorating,
        }
        for r in rows
    ]  # fmt: skip
    return render(
        request,
        "targets/targets.html",
        status_code=status_code,
        principal=p,
        rows=rows,
        pace_chart=pace_chart(rows, t) if rows else None,
        month=first,
        as_of=day,
        error=error,
        form_error=form_error,
        saved=saved,
        metrics=TARGET_METRICS,
        channels=known_channels(wh),
        currency=shop_currency(request, wh) if wh.has_table("orders") else "",
        tables={"progress": table},
    )


@router.get("/strategic/targets")
def targets(
    request: Request,
    wh: Annotated[Warehouse, Depends(open_warehouse)],
    p: Reader,
    month: Annotated[str | None, Query(max_length=10)] = None,
    as_of: Annotated[date | None, Query()] = None,
    saved: Annotated[int, Query(ge=0, le=1)] = 0,
) -> Response:
    """The month's targets with pace bars and a table; the form to set a target."""
    return _page(request, wh, p, month or None, as_of, saved=bool(saved))


@router.post("/strategic/targets")
def set_target_form(
    request: Request,
    p: Manager,
    metric: Annotated[str, Form(max_length=32)],
    month: Annotated[str, Form(max_length=10)],
    value: Annotated[str, Form(max_length=32)],
    channel: Annotated[str, Form(max_length=64)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Set one target from the form (CSRF-checked, audited); back to the month's page."""
    check_csrf(request, p, csrf_token)
    try:
        try:
            number = float(value)
        except ValueError:
            raise InvalidInputError(f"Target value {value!r} is not a number.") from None
        body = TargetIn.model_construct(
            metric=metric, month=month, value=number, channel=channel or None, note=note or None
        )
        target = save_target(request, p, body)
    except InvalidInputError as exc:
        # The write connection is closed by now: open the read-only one to show the page again.
        with contextmanager(open_warehouse)(request) as wh:
            return _page(request, wh, p, None, None, form_error=str(exc), status_code=400)
    return RedirectResponse(
        f"/strategic/targets?month={target.month:%Y-%m}&saved=1", status_code=303
    )
