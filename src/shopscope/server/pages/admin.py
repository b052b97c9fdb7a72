"""Administration page (strategic tier): users, their roles, and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from shopscope.appdb import accounts, records
from shopscope.server.auth import Principal, check_csrf, client_ip, require
from shopscope.server.pages import NavItem
from shopscope.server.pages.render import render
from shopscope.server.state import get_state

__all__ = ["NAV", "router"]

router = APIRouter(include_in_schema=False)
NAV = (NavItem("nav.admin", "/admin", "users.manage", 90),)
Admin = Annotated[Principal, Depends(require("users.manage"))]


@router.get("/admin")
def admin(request: Request, p: Admin) -> Response:
    """Users with a role form each, the add-user form and the latest audit entries."""
    state = get_state(request)
    with state.db.session() as s:
        users = list(accounts.list_users(s))
        audit = list(records.list_audit(s, limit=50)) if p.can("audit.read") else []
    return render(
        request,
        "admin/admin.html",
        principal=p,
        users=users,
        audit=audit,
        roles=state.roles,
        tables={
            "users": [
                {
                    "username": u.username,
                    "role": u.role_key,
                    "active": u.active,
                    "created_at": u.created_at,
                }
                for u in users
            ],
            "audit": [
                {"at": a.at, "actor": a.actor, "action": a.action, "target": a.target, "ip": a.ip}
                for a in audit
            ],
        },
    )


@router.post("/admin/users")
def add_user(
    request: Request,
    p: Admin,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    role: Annotated[str, Form(max_length=64)],
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Add a user (audited)."""
    check_csrf(request, p, csrf_token)
    with get_state(request).db.session() as s:
        accounts.create_user(s, username, password, role)
        records.audit(
            s, p.username, "user.create", target=username, ip=client_ip(request),
            details={"role": role},
        )  # fmt: skip
    return RedirectResponse("/admin", status_code=303)


@router.post("/admin/users/{username}/role")
def set_role(
    request: Request,
    username: str,
    p: Admin,
    role: Annotated[str, Form(max_length=64)],
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Change a user's role; their sessions end (audited)."""
    check_csrf(request, p, csrf_token)
    with get_state(request).db.session() as s:
        before = accounts.get_user(s, username).role_key
        accounts.set_role(s, username, role)
        records.audit(
            s, p.username, "user.set_role", target=username, ip=client_ip(request),
            details={"from": before, "to": role},
        )  # fmt: skip
    return RedirectResponse("/admin", status_code=303)
