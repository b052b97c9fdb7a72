"""Core endpoints: who am I, roles, warehouse status, live today, tasks, views, tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from shopscope.appdb import accounts, records
from shopscope.server.api.common import ERRORS, Paging, cached, json_result, list_result
from shopscope.server.auth import Principal, client_ip, require
from shopscope.server.state import get_state, open_warehouse
from shopscope.warehouse.connection import Warehouse

__all__ = ["router"]

router = APIRouter(tags=["core"], responses=ERRORS)
WH = Annotated[Warehouse, Depends(open_warehouse)]


@router.get("/me")
def me(request: Request, p: Annotated[Principal, Depends(require(None))]) -> JSONResponse:
    """The signed-in user (or token owner), role, tier, permissions and default workspace."""
    roles = get_state(request).roles
    return json_result(
        {
            "username": p.username,
            "display_name": p.display_name,
            "role": p.role_key,
            "tier": p.tier,
            "workspace": roles.workspace(p.role_key),
            "language": p.language,
            "permissions": sorted(p.permissions),
            "via": p.via,
            # for unsafe API calls from the browser (X-CSRF-Token); other sites cannot read it
            "csrf_token": p.csrf_token if p.via == "session" else None,
        }
    )


@router.get("/roles")
def roles(request: Request, _p: Annotated[Principal, Depends(require(None))]) -> JSONResponse:
    """The role model: tiers, business dimensions, permissions and roles (EN and ZH)."""
    m = get_state(request).roles
    return json_result(
        {
            "tiers": list(m.tiers.values()),
            "dimensions": list(m.dimensions.values()),
            "permissions": list(m.permissions.values()),
            "roles": [
                r.__dict__ | {"permissions": sorted(m.grants(k))} for k, r in m.roles.items()
            ],
        }
    )


@router.get("/status")
def status(
    request: Request, wh: WH, _p: Annotated[Principal, Depends(require("status.read"))]
) -> JSONResponse:
    """Warehouse tables (rows, date ranges), quarantine counts and a shop summary."""
    from shopscope.warehouse.status import shop_summary, warehouse_status

    st = warehouse_status(wh)
    return json_result(
        {"status": st, "summary": cached(request, "summary", lambda: shop_summary(wh))}
    )


@router.get("/live")
def live(wh: WH, _p: Annotated[Principal, Depends(require("live.read"))]) -> JSONResponse:
    """Today so far against the same weekday last week up to the same time (not cached)."""
    from shopscope.insight.live import live_today

    return json_result(live_today(wh))


def _task(t: Any) -> dict[str, Any]:
    return {
        k: getattr(t, k)
        for k in ("id", "title", "body", "role_key", "source", "status", "due", "created_at")
    }


@router.get("/tasks")
def tasks(
    request: Request,
    page: Paging,
    p: Annotated[Principal, Depends(require("tasks.read"))],
    status: str | None = "open",
) -> Response:
    """The task inbox: tasks for the user or their role (``status``: open, done, or all)."""
    with get_state(request).db.session() as s:
        user = accounts.get_user(s, p.username)
        rows = [
            _task(t)
            for t in records.list_tasks(s, user, status=None if status == "all" else status)
        ]
    return list_result(request, p, rows, page, name="tasks")


@router.post("/tasks/{task_id}/complete")
def complete_task(
    request: Request, task_id: int, p: Annotated[Principal, Depends(require("tasks.write"))]
) -> JSONResponse:
    """Mark a task of the inbox done."""
    with get_state(request).db.session() as s:
        task = records.complete_task(s, accounts.get_user(s, p.username), task_id)
        return json_result(_task(task))


class ViewIn(BaseModel):
    """A view to save: a name and a local page path with its query string."""

    name: str = Field(min_length=1, max_length=128)
    path: str = Field(min_length=1, max_length=512)


@router.get("/views")
def views(
    request: Request, page: Paging, p: Annotated[Principal, Depends(require("views.manage"))]
) -> Response:
    """The user's saved views."""
    with get_state(request).db.session() as s:
        rows = [
            {"id": v.id, "name": v.name, "path": v.path, "created_at": v.created_at}
            for v in records.list_views(s, accounts.get_user(s, p.username))
        ]
    return list_result(request, p, rows, page, name="views")


@router.post("/views", status_code=201)
def save_view(
    request: Request, body: ViewIn, p: Annotated[Principal, Depends(require("views.manage"))]
) -> JSONResponse:
    """Save a view (a page with its filters)."""
    with get_state(request).db.session() as s:
        v = records.save_view(s, accounts.get_user(s, p.username), body.name, body.path)
        return JSONResponse({"id": v.id, "name": v.name, "path": v.path}, status_code=201)


@router.delete("/views/{view_id}", status_code=204)
def delete_view(
    request: Request, view_id: int, p: Annotated[Principal, Depends(require("views.manage"))]
) -> Response:
    """Delete a saved view."""
    with get_state(request).db.session() as s:
        records.delete_view(s, accounts.get_user(s, p.username), view_id)
    return Response(status_code=204)


class TokenIn(BaseModel):
    """A token to issue: a name, scopes (permissions) and an optional lifetime in days."""

    name: str = Field(min_length=1, max_length=128)
    scopes: list[str] = Field(min_length=1)
    days: int | None = Field(default=None, ge=1, le=3650)


@router.get("/tokens")
def tokens(
    request: Request, page: Paging, p: Annotated[Principal, Depends(require("tokens.manage"))]
) -> Response:
    """The user's API tokens (never their secrets)."""
    with get_state(request).db.session() as s:
        rows = [
            {
                "id": t.id,
                "name": t.name,
                "scopes": t.scopes,
                "created_at": t.created_at,
                "expires_at": t.expires_at,
                "last_used_at": t.last_used_at,
                "revoked": t.revoked,
            }
            for t in accounts.list_tokens(s, accounts.get_user(s, p.username))
        ]
    return list_result(request, p, rows, page, name="tokens")


@router.post("/tokens", status_code=201)
def create_token(
    request: Request, body: TokenIn, p: Annotated[Principal, Depends(require("tokens.manage"))]
) -> JSONResponse:
    """Issue a token limited to ``scopes`` (each must be a permission the caller holds).

    The secret is in this response only.
    """
    with get_state(request).db.session() as s:
        issued = accounts.create_token(
            s,
            accounts.get_user(s, p.username),
            body.name,
            body.scopes,
            allowed=sorted(p.permissions),
            lifetime=timedelta(days=body.days) if body.days else None,
        )
        records.audit(
            s,
            p.username,
            "token.create",
            target=body.name,
            ip=client_ip(request),
            details={"scopes": list(issued.scopes)},
        )
    return JSONResponse(
        {
            "id": issued.id,
            "name": issued.name,
            "token": issued.secret,
            "scopes": list(issued.scopes),
            "expires_at": issued.expires_at.isoformat() if issued.expires_at else None,
        },
        status_code=201,
    )


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(
    request: Request, token_id: int, p: Annotated[Principal, Depends(require("tokens.manage"))]
) -> Response:
    """Revoke one of the user's tokens."""
    with get_state(request).db.session() as s:
        t = accounts.revoke_token(s, accounts.get_user(s, p.username), token_id)
        records.audit(s, p.username, "token.revoke", target=t.name, ip=client_ip(request))
    return Response(status_code=204)
