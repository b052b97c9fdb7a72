"""The user's account page: API tokens (create with scopes, revoke)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from shopscope.appdb import accounts, records
from shopscope.server.auth import Principal, check_csrf, client_ip, require
from shopscope.server.pages import NavItem
from shopscope.server.pages.render import render
from shopscope.server.state import get_state

__all__ = ["NAV", "router"]

router = APIRouter(include_in_schema=False)
NAV = (NavItem("nav.account", "/account", "tokens.manage", 95),)
Owner = Annotated[Principal, Depends(require("tokens.manage"))]


def _page(request: Request, p: Principal, issued: Any = None) -> Response:
    with get_state(request).db.session() as s:
        tokens = list(accounts.list_tokens(s, accounts.get_user(s, p.username)))
    response = render(
        request,
        "account/account.html",
        principal=p,
        tokens=tokens,
        scopes=sorted(p.permissions),
        issued=issued,
        tables={
            "tokens": [
                {
                    "id": t.id,
                    "name": t.name,
                    "scopes": " ".join(t.scopes),
                    "created_at": t.created_at,
                    "expires_at": t.expires_at,
                    "last_used_at": t.last_used_at,
                    "revoked": t.revoked,
                }
                for t in tokens
            ]
        },
    )
    response.headers["Cache-Control"] = "no-store"  # a new secret is on this page once
    return response


@router.get("/account")
def account(request: Request, p: Owner) -> Response:
    """The user's API tokens."""
    return _page(request, p)


@router.post("/account/tokens")
def create_token(
    request: Request,
    p: Owner,
    name: Annotated[str, Form(max_length=128)],
    scope: Annotated[list[str], Form()],
    days: Annotated[int | None, Form(ge=1, le=3650)] = None,
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Issue a token; its secret is shown on the answer page only."""
    check_csrf(request, p, csrf_token)
    with get_state(request).db.session() as s:
        issued = accounts.create_token(
            s,
            accounts.get_user(s, p.username),
            name,
            scope,
            allowed=sorted(p.permissions),
            lifetime=timedelta(days=days) if days else None,
        )
        records.audit(
            s, p.username, "token.create", target=name, ip=client_ip(request),
            details={"scopes": list(issued.scopes)},
        )  # fmt: skip
    return _page(request, p, issued)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(
    request: Request,
    token_id: int,
    p: Owner,
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Revoke one of the user's tokens."""
    check_csrf(request, p, csrf_token)
    with get_state(request).db.session() as s:
        t = accounts.revoke_token(s, accounts.get_user(s, p.username), token_id)
        records.audit(s, p.username, "token.revoke", target=t.name, ip=client_ip(request))
    return RedirectResponse("/account", status_code=303)
