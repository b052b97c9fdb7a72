"""Team pages: the task inbox with its workflow, the director's team map, the assessment."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from shopscope.appdb import accounts
from shopscope.errors import InvalidInputError, ShopscopeError
from shopscope.server.api.team import task_for, team_members
from shopscope.server.auth import Principal, check_csrf, require
from shopscope.server.i18n import catalog
from shopscope.server.pages import NavItem
from shopscope.server.pages.charts import figure_json
from shopscope.server.pages.render import page_language, render
from shopscope.server.state import get_state

__all__ = ["NAV", "router"]

router = APIRouter(include_in_schema=False)
NAV = (
    NavItem("nav.team_inbox", "/execution/inbox", "tasks.read", 12),
    NavItem("nav.team_map", "/strategic/team", "team.read", 8),
    NavItem("nav.assessment", "/account/assessment", "tasks.read", 96),
)
FILTERS = ("active", "open", "in_progress", "done", "dismissed", "all")
Reader = Annotated[Principal, Depends(require("tasks.read"))]
Writer = Annotated[Principal, Depends(require("tasks.write"))]
Anyone = Annotated[Principal, Depends(require(None))]


def _radar(position: Any, lang: str, title: str) -> Any:
    from shopscope.team.positioning import radar_figure

    return figure_json(radar_figure(position, lang, title=title))


# -- task inbox -----------------------------------------------------------------------------


@router.get("/execution/inbox")
def inbox(
    request: Request, p: Reader, status: Annotated[str, Query(max_length=16)] = "active"
) -> Response:
    """The caller's tasks (assigned to them or their role) with status, comments and forms."""
    from shopscope.team.tasks import list_inbox, task_view

    if status not in FILTERS:
        raise InvalidInputError(f"Unknown filter status={status!r}; use {', '.join(FILTERS)}.")
    with get_state(request).db.session() as s:
        user = accounts.get_user(s, p.username)
        chosen = None if status == "all" else status
        views = [task_view(s, t, comments=True) for t in list_inbox(s, user=user, status=chosen)]
    return render(
        request,
        "team/inbox.html",
        principal=p,
        tasks=views,
        status=status,
        filters=FILTERS,
        statuses=("open", "in_progress", "done", "dismissed"),
        tables={
            "tasks": [
                {k: getattr(v, k) for k in ("id", "status", "priority", "due", "role", "title")}
                for v in views
            ]
        },
    )


def _back(status: str) -> Response:
    target = status if status in FILTERS else "active"
    return RedirectResponse(f"/execution/inbox?status={target}", status_code=303)


@router.post("/execution/inbox/{task_id}/status")
def inbox_status(
    request: Request,
    task_id: int,
    p: Writer,
    status: Annotated[str, Form(max_length=16)],
    reason: Annotated[str, Form(max_length=2000)] = "",
    back: Annotated[str, Form(max_length=16)] = "active",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Move a task (a dismissal needs a reason)."""
    from shopscope.team.tasks import set_status

    check_csrf(request, p, csrf_token)
    with get_state(request).db.session() as s:
        task, user = task_for(s, p, task_id)
        set_status(s, task.id, status, by=user, reason=reason)
    return _back(back)


@router.post("/execution/inbox/{task_id}/comment")
def inbox_comment(
    request: Request,
    task_id: int,
    p: Writer,
    body: Annotated[str, Form(max_length=5000)],
    back: Annotated[str, Form(max_length=16)] = "active",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Comment on a task."""
    from shopscope.team.tasks import add_comment

    check_csrf(request, p, csrf_token)
    with get_state(request).db.session() as s:
        task, user = task_for(s, p, task_id)
        add_comment(s, task.id, body, by=user)
    return _back(back)


# -- team map -------------------------------------------------------------------------------


@router.get("/strategic/team")
def team(request: Request, p: Annotated[Principal, Depends(require("team.read"))]) -> Response:
    """Coverage of tiers × dimensions, gaps, single points of failure, radar per member."""
    from shopscope.team.teammap import team_map

    state = get_state(request)
    lang = page_language(request, p)
    with state.db.session() as s:
        members = team_members(s)
    result = team_map(members, state.roles)
    radars = [
        (f"radar-{i}", m, _radar(m.position, lang, m.name))
        for i, m in enumerate(members)
        if m.position is not None
    ][:24]
    return render(
        request,
        "team/team.html",
        principal=p,
        members=members,
        team=result,
        radars=radars,
        tables={
            "members": [
                {
                    "name": m.name,
                    "role": m.role,
                    "tier": m.position.tier if m.position else None,
                    "technology": m.position.technology_level if m.position else None,
                }
                for m in members
            ]
        },
    )


# -- assessment -----------------------------------------------------------------------------


def _assessment_page(
    request: Request, p: Principal, error: str | None = None, given: Any = None
) -> Response:
    from shopscope.team.positioning import questionnaire
    from shopscope.team.positioning.history import assessment_history

    lang = page_language(request, p)
    t = catalog(lang)
    with get_state(request).db.session() as s:
        history = assessment_history(s, accounts.get_user(s, p.username))
    latest = history[-1][1] if history else None
    return render(
        request,
        "team/assessment.html",
        status_code=400 if error else 200,
        principal=p,
        form=questionnaire(),
        given=given or {},
        error=error,
        latest=latest,
        history=history,
        radar=_radar(latest, lang, t("team.assessment.your_position")) if latest else None,
    )


@router.get("/account/assessment")
def assessment(request: Request, p: Anyone) -> Response:
    """The bilingual questionnaire, and the latest result with radar chart and path."""
    return _assessment_page(request, p)


def _answers(form: FormData) -> dict[str, int]:
    out: dict[str, int] = {}
    for key, value in form.multi_items():
        if key.startswith("q_") and isinstance(value, str) and value.isdigit():
            out[key[2:]] = int(value)
    return out


@router.post("/account/assessment")
async def submit_assessment(request: Request, p: Anyone) -> Response:
    """Score and store the answers (history kept), then show the result."""
    from shopscope.team.positioning.history import save_assessment

    form = await request.form()
    token = form.get("csrf_token")
    check_csrf(request, p, token if isinstance(token, str) else None)
    answers = _answers(form)
    try:
        with get_state(request).db.session() as s:
            save_assessment(s, accounts.get_user(s, p.username), answers)
    except ShopscopeError as exc:
        return _assessment_page(request, p, error=str(exc), given=answers)
    return RedirectResponse("/account/assessment#result", status_code=303)
