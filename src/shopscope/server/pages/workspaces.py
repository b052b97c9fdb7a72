"""The three workspaces: strategic executive overview, tactical overview, execution inbox."""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from shopscope.appdb import accounts, records
from shopscope.appdb.models import User
from shopscope.errors import ShopscopeError
from shopscope.server.api.common import DimensionName, Period, cached, shop_currency
from shopscope.server.api.insight import report_for, resolved
from shopscope.server.auth import Principal, check_csrf, require
from shopscope.server.pages import NavItem
from shopscope.server.pages.charts import bar_chart, line_chart
from shopscope.server.pages.render import render
from shopscope.server.state import get_state, open_warehouse
from shopscope.warehouse.connection import Warehouse

__all__ = ["HEADLINE_KPIS", "NAV", "router"]

router = APIRouter(include_in_schema=False)
NAV = (
    NavItem("nav.strategic", "/strategic", "workspace.strategic", 10),
    NavItem("nav.tactical", "/tactical", "workspace.tactical", 20),
    NavItem("nav.execution", "/execution", "workspace.execution", 30),
)
WH = Annotated[Warehouse, Depends(open_warehouse)]
HEADLINE_KPIS = ("net_revenue", "orders", "aov", "customers", "new_customers", "conversion_rate",
                 "repeat_purchase_rate", "gross_margin")  # fmt: skip
TACTICAL_DIMENSIONS = ("channel", "device", "category", "country", "customer_type", "segment")


def _series_chart(report: Any, t: Any) -> Any:
    if report.series is None:
        return None
    s = report.series.to_pylist()
    return line_chart(
        [r["bucket"] for r in s],
        {
            t("chart.current"): [r["current"] for r in s],
            t("chart.comparison"): [r["previous"] for r in s],
        },
        title=t("chart.net_revenue_trend"),
    )


def _ltv_chart(report: Any, t: Any) -> Any:
    if report.ltv is None:
        return None
    rows = report.ltv.to_pylist()
    groups: dict[str, dict[int, float]] = {}
    for r in rows:
        groups.setdefault(str(r["group"]), {})[int(r["period"])] = r[
            "cumulative_revenue_per_customer"
        ]
    periods = sorted({int(r["period"]) for r in rows})
    return line_chart(
        periods,
        {g: [v.get(k) for k in periods] for g, v in groups.items()},
        title=t("chart.ltv_by_channel"),
    )


@router.get("/strategic")
def strategic(
    request: Request,
    wh: WH,
    f: Period,
    p: Annotated[Principal, Depends(require("workspace.strategic"))],
) -> Response:
    """Executive overview: KPIs with drivers, trend, anomalies, cohort LTV vs CAC, demand and
    stock risk, the budget plan, LTV by channel, team map."""
    from shopscope.server.i18n import Formatter, catalog
    from shopscope.server.pages import strategic_panels as sp
    from shopscope.server.pages.render import page_language

    lang = page_language(request, p)
    t, fmt = catalog(lang), Formatter(lang)
    report = report_for(request, wh, f)
    panels = {
        "ltv_cac": sp.ltv_cac_panel(request, wh, t, fmt),
        "demand": sp.demand_panel(request, wh, t, fmt),
        "stock": sp.stock_panel(request, wh, t, fmt),
        "budget": sp.budget_panel(request, wh, t, fmt),
    }
    kpis = [k for k in report.kpis if k.key in HEADLINE_KPIS]
    with get_state(request).db.session() as s:
        counts = Counter(s.scalars(select(User.role_key).where(User.active.is_(True))))
    roles = get_state(request).roles
    team: list[dict[str, Any]] = [
        {"role": r, "tier": roles.tiers[r.tier], "users": counts.get(k, 0)}
        for k, r in sorted(roles.roles.items(), key=lambda kv: -roles.tiers[kv[1].tier].rank)
    ]
    return render(
        request,
        "workspaces/strategic.html",
        principal=p,
        report=report,
        kpis=kpis,
        currency=shop_currency(request, wh),
        series_chart=_series_chart(report, t),
        ltv_chart=_ltv_chart(report, t),
        team=team,
        panels=panels,
        filters=f,
        tables={
            **sp.panel_tables(panels),
            "kpis": list(report.kpis),
            "drivers": list(report.drivers.factors) if report.drivers else [],
            "anomalies": [
                dataclasses.asdict(a) | {"drivers": "; ".join(a.drivers)} for a in report.anomalies
            ],
            "team": [
                {
                    "role": r["role"].key,
                    "tier": r["role"].tier,
                    "name_en": r["role"].name_en,
                    "name_zh": r["role"].name_zh,
                    "users": r["users"],
                }
                for r in team
            ],
        },
    )


@router.get("/tactical")
def tactical(
    request: Request,
    wh: WH,
    f: Period,
    p: Annotated[Principal, Depends(require("workspace.tactical"))],
    dimension: Annotated[DimensionName, Query()] = "channel",
) -> Response:
    """Tactical overview: KPIs split by a dimension, movers, and the domain pages."""
    from shopscope.insight.breakdowns import breakdown, movers
    from shopscope.server.i18n import catalog
    from shopscope.server.pages.render import page_language

    t = catalog(page_language(request, p))
    period = resolved(wh, f)
    table = cached(
        request, ("breakdown", period, dimension), lambda: breakdown(wh, period, dimension)
    )
    rows = table.to_pylist()
    up, down = cached(
        request,
        ("movers", period, dimension, f.compare),
        lambda: movers(wh, period, dimension, compare=f.compare),
    )
    chart = bar_chart(
        [r["member"] for r in rows[:15]],
        [r["net_revenue"] for r in rows[:15]],
        title=t("chart.net_revenue_by", dimension=t(f"dimension.{dimension}")),
    )
    return render(
        request,
        "workspaces/tactical.html",
        principal=p,
        period=period,
        filters=f,
        dimension=dimension,
        dimensions=TACTICAL_DIMENSIONS,
        rows=rows,
        movers_up=list(up),
        movers_down=list(down),
        breakdown_chart=chart,
        currency=shop_currency(request, wh),
        tables={"breakdown": rows, "movers": [*up, *down]},
    )


@router.get("/execution")
def execution(
    request: Request,
    wh: WH,
    p: Annotated[Principal, Depends(require("workspace.execution"))],
) -> Response:
    """Execution inbox: today's live figures, the task inbox and what data is loaded."""
    from shopscope.insight.live import live_today
    from shopscope.warehouse.status import warehouse_status

    try:
        live: Any = live_today(wh)
    except ShopscopeError:
        live = None
    with get_state(request).db.session() as s:
        user = accounts.get_user(s, p.username)
        tasks = list(records.list_tasks(s, user))
        views = list(records.list_views(s, user))
    status = cached(request, "status", lambda: warehouse_status(wh))
    return render(
        request,
        "workspaces/execution.html",
        principal=p,
        live=live,
        tasks=tasks,
        views=views,
        status=status,
        currency=shop_currency(request, wh),
        live_ms=int(get_state(request).settings.live_seconds * 1000),
        tables={
            "tasks": [
                {
                    "id": t.id,
                    "title": t.title,
                    "body": t.body,
                    "due": t.due,
                    "created_at": t.created_at,
                }
                for t in tasks
            ],
            "data": list(status.tables),
        },
    )


@router.post("/execution/tasks/{task_id}/complete")
def complete_task(
    request: Request,
    task_id: int,
    p: Annotated[Principal, Depends(require("tasks.write"))],
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Mark a task done from the inbox form."""
    check_csrf(request, p, csrf_token)
    with get_state(request).db.session() as s:
        records.complete_task(s, accounts.get_user(s, p.username), task_id)
    return RedirectResponse("/execution", status_code=303)


@router.post("/views")
def save_view(
    request: Request,
    p: Annotated[Principal, Depends(require("views.manage"))],
    name: Annotated[str, Form(max_length=128)],
    path: Annotated[str, Form(max_length=512)],
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Save the current page with its filters, then go back to it."""
    check_csrf(request, p, csrf_token)
    with get_state(request).db.session() as s:
        view = records.save_view(s, accounts.get_user(s, p.username), name, path)
        target = view.path
    return RedirectResponse(target, status_code=303)
