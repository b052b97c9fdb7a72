"""Who is asking, and may they: sessions, API tokens, permissions, CSRF.

Browser clients carry an HttpOnly session cookie; machine clients send
``Authorization: Bearer ss_...``. Every route declares the permission it needs with
:func:`require`; a signed-in principal without it gets 403, an anonymous one 401 (a redirect
to the login page for web pages). Forms carry a CSRF token bound to the session (or, before
login, to a short-lived cookie); unsafe API calls made with the session cookie must send it in
``X-CSRF-Token``. API tokens are not sent automatically by browsers, so they need none.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from fastapi import Request, Response

from shopscope.appdb import accounts
from shopscope.server.errors import ApiError
from shopscope.server.state import get_state

__all__ = [
    "LANG_COOKIE",
    "PRE_CSRF_COOKIE",
    "SESSION_COOKIE",
    "Principal",
    "check_csrf",
    "client_ip",
    "current_principal",
    "permission_of",
    "pre_session_csrf",
    "public",
    "require",
    "set_cookie",
]

SESSION_COOKIE = "shopscope_session"
PRE_CSRF_COOKIE = "shopscope_csrf"
LANG_COOKIE = "shopscope_lang"
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Principal:
    """A signed-in user (``via="session"``) or an API token (``via="token"``)."""

    user_id: int
    username: str
    display_name: str
    role_key: str
    tier: str
    language: str
    permissions: frozenset[str]
    via: str
    csrf_token: str = ""

    def can(self, permission: str) -> bool:
        """Whether the principal holds ``permission``."""
        return permission in self.permissions


def client_ip(request: Request) -> str:
    """The client address (as uvicorn reports it, honouring trusted proxy headers)."""
    return request.client.host if request.client else ""


def current_principal(request: Request) -> Principal | None:
    """The principal of ``request`` (cached on it), or None when anonymous."""
    if hasattr(request.state, "principal"):
        cached: Principal | None = request.state.principal
        return cached
    state = get_state(request)
    principal: Principal | None = None
    header = request.headers.get("authorization", "")
    with state.db.session() as s:
        if header:
            scheme, _, secret = header.partition(" ")
            found = accounts.find_token(s, secret.strip()) if scheme.lower() == "bearer" else None
            if found is None:
                raise ApiError(
                    401,
                    "unauthenticated",
                    "The API token is missing, malformed, expired or revoked. Send "
                    "'Authorization: Bearer ss_...' with a token from `shopscope user token`.",
                    headers={"WWW-Authenticate": "Bearer"},
                )
            token, user = found
            granted = state.roles.grants(user.role_key) & frozenset(token.scopes)
            principal = Principal(
                user.id,
                user.username,
                user.display_name,
                user.role_key,
                state.roles.role(user.role_key).tier,
                user.language,
                granted,
                "token",
            )
        else:
            cookie = request.cookies.get(SESSION_COOKIE)
            idle = timedelta(minutes=state.settings.session_idle_minutes)
            row = accounts.find_session(s, cookie, idle=idle) if cookie else None
            if row is not None:
                user = row.user
                principal = Principal(
                    user.id,
                    user.username,
                    user.display_name,
                    user.role_key,
                    state.roles.role(user.role_key).tier,
                    user.language,
                    state.roles.grants(user.role_key),
                    "session",
                    row.csrf_token,
                )
            elif cookie:
                request.state.session_expired = True
    request.state.principal = principal
    return principal


def check_csrf(request: Request, principal: Principal | None, token: str | None) -> None:
    """Raise 403 unless ``token`` matches the session's (or the pre-login cookie's) token."""
    expected = principal.csrf_token if principal is not None else ""
    if not expected:
        expected = request.cookies.get(PRE_CSRF_COOKIE, "")
    if not token or not expected or not secrets.compare_digest(token, expected):
        raise ApiError(
            403,
            "csrf_failed",
            "The form's security token is missing or stale. Reload the page and submit again.",
        )


def pre_session_csrf(request: Request) -> str:
    """The pre-login CSRF token of this browser (a new one when it has none)."""
    return request.cookies.get(PRE_CSRF_COOKIE) or secrets.token_urlsafe(32)


def set_cookie(
    request: Request, response: Response, name: str, value: str, *, max_age: int | None
) -> None:
    """Set a cookie HttpOnly, SameSite=Lax, path /, and Secure when the settings say so."""
    mode = get_state(request).settings.secure_cookies
    secure = mode == "always" or (mode == "auto" and request.url.scheme == "https")
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="lax", secure=secure, path="/"
    )


def require(permission: str | None) -> Callable[[Request], Principal]:
    """A dependency that yields the principal holding ``permission`` (None: any signed-in user).

    Unsafe methods authenticated by the session cookie must also carry the CSRF token in the
    ``X-CSRF-Token`` header (forms are checked by the page handlers).
    """

    def dependency(request: Request) -> Principal:
        principal = current_principal(request)
        if principal is None:
            expired = getattr(request.state, "session_expired", False)
            raise ApiError(
                401,
                "session_expired" if expired else "unauthenticated",
                "Your session has expired; sign in again."
                if expired
                else "Sign in, or send an API token ('Authorization: Bearer ss_...').",
            )
        if permission is not None and not principal.can(permission):
            raise ApiError(
                403,
                "forbidden",
                f"This needs the permission {permission!r}, which the role "
                f"{principal.role_key!r} ({principal.tier} tier) does not hold"
                + (" or the API token's scopes do not include" if principal.via == "token" else "")
                + ".",
                details=[{"permission": permission, "role": principal.role_key}],
            )
        if (
            request.url.path.startswith("/api/")
            and request.method in _UNSAFE
            and principal.via == "session"
        ):
            check_csrf(request, principal, request.headers.get("x-csrf-token"))
        return principal

    dependency.permission = permission  # type: ignore[attr-defined]
    return dependency


def public(request: Request) -> None:
    """Dependency marking a route as open to everyone (login page, health check, static)."""


public.permission = "public"  # type: ignore[attr-defined]


def permission_of(endpoint_dependencies: Sequence[Any]) -> str | Literal[False] | None:
    """The permission declared among a route's dependencies; False when none is declared."""
    for dep in endpoint_dependencies:
        if hasattr(dep, "permission"):
            value: str | None = dep.permission
            return value
    return False
