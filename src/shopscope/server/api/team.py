"""Team endpoints: the daily brief, the task workflow, the team map and the assessment.

The core module keeps ``GET /tasks`` and ``POST /tasks/{id}/complete``; this one adds a task's
details, status changes (dismissal with a reason), assignment and comments. A task can be acted
on by whoever has it in their inbox (assigned to them or to their role) and by holders of
``team.read`` (the director routes work).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from shopscope.appdb import accounts
from shopscope.appdb.models import Task, User
from shopscope.errors import InvalidInputError, NotFoundError
from shopscope.server.api.common import ERRORS, Paging, cached, json_result, list_result
from shopscope.server.auth import Principal, require
from shopscope.server.state import get_state, open_warehouse
from shopscope.warehouse.connection import Warehouse

__all__ = ["brief_for", "router", "task_for", "team_members"]

router = APIRouter(tags=["team"], responses=ERRORS)
WH = Annotated[Warehouse, Depends(open_warehouse)]
Writer = Annotated[Principal, Depends(require("tasks.write"))]


def brief_for(request: Request, wh: Warehouse) -> Any:
    """Today's brief (the last day of data), cached."""
    from shopscope.team.brief import build_brief

    return cached(request, ("team_brief",), lambda: build_brief(wh))


@router.get("/brief")
def brief(
    request: Request,
    wh: WH,
    page: Paging,
    p: Annotated[Principal, Depends(require("brief.read"))],
    scope: Annotated[
        Literal["tier", "role"],
        Query(description="Items of the caller's tier (default) or only of the caller's role."),
    ] = "tier",
) -> Response:
    """Today's brief for the caller: items of their tier (or role), most urgent first."""
    result = brief_for(request, wh)
    rows = [
        {
            "rule": i.rule,
            "key": i.key,
            "tier": i.tier,
            "role": i.role,
            "priority": i.priority,
            "due": i.due,
            "title": i.title(p.language),
            "evidence": i.evidence,
            "link": i.link,
            "fingerprint": i.fingerprint,
        }
        for i in result.items
        if i.tier == p.tier and (scope == "tier" or i.role == p.role_key)
    ]
    return list_result(request, p, rows, page, name="brief")


def task_for(s: Session, p: Principal, task_id: int) -> tuple[Task, User]:
    """The task if the caller may act on it (their inbox, or ``team.read``), and the user."""
    from shopscope.team.tasks import get_task

    user = accounts.get_user(s, p.username)
    task = get_task(s, task_id)
    mine = task.assignee_id == user.id or task.role_key == user.role_key
    if not (mine or p.can("team.read")):
        raise NotFoundError(f"No task {task_id} in the inbox of {p.username}.")
    return task, user


def _view(s: Session, task: Task) -> JSONResponse:
    from shopscope.team.tasks import task_view

    return json_result(task_view(s, task, comments=True))


@router.get("/tasks/{task_id}")
def task_detail(
    request: Request, task_id: int, p: Annotated[Principal, Depends(require("tasks.read"))]
) -> JSONResponse:
    """One task with its evidence, link, status history fields and comments."""
    with get_state(request).db.session() as s:
        task, _user = task_for(s, p, task_id)
        return _view(s, task)


class StatusIn(BaseModel):
    """A status change; ``reason`` is required for ``dismissed``."""

    status: Literal["open", "in_progress", "done", "dismissed"]
    reason: str | None = Field(default=None, max_length=2000)


@router.post("/tasks/{task_id}/status")
def task_status(request: Request, task_id: int, body: StatusIn, p: Writer) -> JSONResponse:
    """Move a task: open, in_progress, done, or dismissed (with a reason, which keeps the same
    finding from being raised again until its evidence changes)."""
    from shopscope.team.tasks import set_status

    with get_state(request).db.session() as s:
        task, user = task_for(s, p, task_id)
        set_status(s, task.id, body.status, by=user, reason=body.reason)
        return _view(s, task)


class AssignIn(BaseModel):
    """Assign to a user (by username) or to a role (by role key): exactly one of them."""

    user: str | None = Field(default=None, max_length=64)
    role: str | None = Field(default=None, max_length=64)


@router.post("/tasks/{task_id}/assign")
def task_assign(request: Request, task_id: int, body: AssignIn, p: Writer) -> JSONResponse:
    """Assign a task to a user or to a role."""
    from shopscope.team.tasks import assign

    with get_state(request).db.session() as s:
        task, _user = task_for(s, p, task_id)
        if (body.user is None) == (body.role is None):
            raise InvalidInputError("Give either user or role (exactly one).")
        target = accounts.get_user(s, body.user) if body.user else None
        assign(s, task.id, user=target, role_key=body.role)
        return _view(s, task)


class CommentIn(BaseModel):
    """A comment's text."""

    body: str = Field(min_length=1, max_length=5000)


@router.post("/tasks/{task_id}/comments", status_code=201)
def task_comment(request: Request, task_id: int, body: CommentIn, p: Writer) -> JSONResponse:
    """Comment on a task."""
    from shopscope.team.tasks import add_comment

    with get_state(request).db.session() as s:
        task, user = task_for(s, p, task_id)
        add_comment(s, task.id, body.body, by=user)
        response = _view(s, task)
    response.status_code = 201
    return response


def team_members(s: Session) -> list[Any]:
    """The app's active users as team members with their latest assessment."""
    from shopscope.team.positioning.history import latest_positions
    from shopscope.team.teammap import Member

    positions = latest_positions(s)
    return [
        Member(u.username, u.role_key, positions.get(u.id))
        for u in accounts.list_users(s)
        if u.active
    ]


@router.get("/team/map")
def team_map_(
    request: Request, p: Annotated[Principal, Depends(require("team.read"))]
) -> JSONResponse:
    """The team map: members with role and latest assessment, coverage, gaps, single points
    of failure, technology mix."""
    from shopscope.team.teammap import team_map

    state = get_state(request)
    with state.db.session() as s:
        members = team_members(s)
    result = team_map(members, state.roles)
    return json_result({"members": members, "map": result})


class AssessmentIn(BaseModel):
    """Answers 0..4 to every question of the questionnaire (``shopscope team questions``)."""

    answers: dict[str, int]


@router.post("/team/assessment", status_code=201)
def assessment(
    request: Request, body: AssessmentIn, p: Annotated[Principal, Depends(require(None))]
) -> JSONResponse:
    """Submit your positioning questionnaire: the position is stored (history is kept) and
    returned."""
    from shopscope.team.positioning.history import save_assessment

    with get_state(request).db.session() as s:
        position = save_assessment(s, accounts.get_user(s, p.username), body.answers)
    response = json_result(position)
    response.status_code = 201
    return response


@router.get("/team/assessment")
def assessment_history_(
    request: Request, page: Paging, p: Annotated[Principal, Depends(require(None))]
) -> Response:
    """Your assessments, oldest first (growth over time)."""
    from shopscope.team.positioning.history import assessment_history

    with get_state(request).db.session() as s:
        rows = [
            {"created_at": at, "position": pos}
            for at, pos in assessment_history(s, accounts.get_user(s, p.username))
        ]
    return list_result(request, p, rows, page, name="assessments")
