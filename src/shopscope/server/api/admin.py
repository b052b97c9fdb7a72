"""Administration: users, roles and the audit log (strategic tier)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from shopscope.appdb import accounts, records
from shopscope.cli.output import to_jsonable
from shopscope.server.api.common import ERRORS, Paging, json_result, list_result
from shopscope.server.auth import Principal, client_ip, require
from shopscope.server.state import get_state

__all__ = ["router"]

router = APIRouter(tags=["admin"], responses=ERRORS)
Admin = Annotated[Principal, Depends(require("users.manage"))]


def _user(u: Any) -> dict[str, Any]:
    return {
        "username": u.username,
        "display_name": u.display_name,
        "role": u.role_key,
        "language": u.language,
        "active": u.active,
        "created_at": u.created_at,
    }


@router.get("/users")
def users(request: Request, page: Paging, p: Admin) -> Response:
    """Every user with role and status."""
    with get_state(request).db.session() as s:
        rows = [_user(u) for u in accounts.list_users(s)]
    return list_result(request, p, rows, page, name="users")


class UserIn(BaseModel):
    """A user to add."""

    username: str = Field(min_length=2, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    role: str = Field(min_length=1, max_length=64)
    display_name: str = Field(default="", max_length=128)


@router.post("/users", status_code=201)
def add_user(request: Request, body: UserIn, p: Admin) -> JSONResponse:
    """Add a user (audited)."""
    with get_state(request).db.session() as s:
        u = accounts.create_user(
            s, body.username, body.password, body.role, display_name=body.display_name
        )
        records.audit(
            s, p.username, "user.create", target=u.username, ip=client_ip(request),
            details={"role": u.role_key},
        )  # fmt: skip
        return JSONResponse(to_jsonable(_user(u)), status_code=201)


class RoleIn(BaseModel):
    """A new role for a user."""

    role: str = Field(min_length=1, max_length=64)


@router.put("/users/{username}/role")
def set_role(request: Request, username: str, body: RoleIn, p: Admin) -> JSONResponse:
    """Change a user's role; their sessions end (audited)."""
    with get_state(request).db.session() as s:
        before = accounts.get_user(s, username).role_key
        u = accounts.set_role(s, username, body.role)
        records.audit(
            s, p.username, "user.set_role", target=username, ip=client_ip(request),
            details={"from": before, "to": body.role},
        )  # fmt: skip
        return json_result(_user(u))


@router.get("/audit")
def audit_log(
    request: Request,
    page: Paging,
    p: Annotated[Principal, Depends(require("audit.read"))],
    action: str | None = None,
) -> Response:
    """The audit log, newest first (``action`` filters one kind, e.g. ``export.csv``)."""
    with get_state(request).db.session() as s:
        rows = [
            {
                "at": a.at,
                "actor": a.actor,
                "action": a.action,
                "target": a.target,
                "ip": a.ip,
                "details": a.details,
            }
            for a in records.list_audit(s, action=action, limit=10_000)
        ]
    return list_result(request, p, rows, page, name="audit")
