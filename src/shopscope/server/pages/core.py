"""Sign-in, sign-out, language switch, the home redirect and the health check."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from shopscope.appdb import accounts, records
from shopscope.server.auth import (
    LANG_COOKIE,
    PRE_CSRF_COOKIE,
    SESSION_COOKIE,
    check_csrf,
    client_ip,
    current_principal,
    public,
)
from shopscope.server.auth import set_cookie as set_cookie_
from shopscope.server.errors import ApiError
from shopscope.server.i18n import LANGUAGES, catalog
from shopscope.server.pages.render import page_language, render
from shopscope.server.state import get_state

__all__ = ["NAV", "router", "safe_next"]

router = APIRouter(include_in_schema=False)
NAV: tuple[()] = ()
Public = Depends(public)


def safe_next(target: str | None) -> str:
    """A local path to go to after a form, never another site (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/healthz", dependencies=[Public])
def healthz() -> JSONResponse:
    """Liveness: 200 while the process serves requests."""
    return JSONResponse({"status": "ok"})


@router.get("/", dependencies=[Public])
def home(request: Request) -> Response:
    """The signed-in user's workspace, or the login page."""
    p = current_principal(request)
    if p is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(f"/{get_state(request).roles.workspace(p.role_key)}", status_code=303)


@router.get("/login", dependencies=[Public])
def login_page(request: Request, next: str = "/") -> Response:
    """The sign-in form."""
    expired = bool(request.cookies.get(SESSION_COOKIE)) and current_principal(request) is None
    return render(
        request, "login.html", principal=None, next=safe_next(next), error=None, expired=expired
    )


@router.post("/login", dependencies=[Public])
def login(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form(max_length=512)] = "/",
) -> Response:
    """Check the password (throttled per username and address) and start a session."""
    check_csrf(request, None, csrf_token)
    state = get_state(request)
    ip = client_ip(request)
    keys = (f"user:{username.lower()}", f"ip:{ip}")
    wait = state.throttle.retry_after(*keys)
    t = catalog(page_language(request, None))
    if wait:
        with state.db.session() as s:
            records.audit(s, username, "login.throttled", ip=ip)
        raise ApiError(
            429,
            "too_many_requests",
            t("login.throttled", seconds=wait),
            headers={"Retry-After": str(wait)},
        )
    with state.db.session() as s:
        user = accounts.authenticate(s, username, password)
        if user is None:
            records.audit(s, username, "login.failure", ip=ip)
        else:
            lifetime = timedelta(hours=state.settings.session_hours)
            token, _row = accounts.create_session(
                s, user, lifetime=lifetime, ip=ip, user_agent=request.headers.get("user-agent", "")
            )
            records.audit(s, user.username, "login.success", ip=ip)
    if user is None:
        state.throttle.failed(*keys)
        return render(
            request,
            "login.html",
            status_code=401,
            principal=None,
            next=safe_next(next),
            error=t("login.failed"),
            expired=False,
        )
    state.throttle.succeeded(keys[0])
    response = RedirectResponse(safe_next(next), status_code=303)
    max_age = int(state.settings.session_hours * 3600)
    set_cookie_(request, response, SESSION_COOKIE, token, max_age=max_age)
    response.delete_cookie(PRE_CSRF_COOKIE, path="/")
    return response


@router.post("/logout", dependencies=[Public])
def logout(request: Request, csrf_token: Annotated[str, Form(max_length=128)] = "") -> Response:
    """End the session."""
    p = current_principal(request)
    response = RedirectResponse("/login", status_code=303)
    if p is not None:
        check_csrf(request, p, csrf_token)
        with get_state(request).db.session() as s:
            accounts.delete_session(s, request.cookies.get(SESSION_COOKIE, ""))
            records.audit(s, p.username, "logout", ip=client_ip(request))
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/lang", dependencies=[Public])
def switch_language(
    request: Request,
    lang: Annotated[str, Form(max_length=8)],
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form(max_length=512)] = "/",
) -> Response:
    """Switch the interface language (remembered for the browser and the user)."""
    p = current_principal(request)
    check_csrf(request, p, csrf_token)
    if lang not in LANGUAGES:
        raise ApiError(400, "invalid_input", f"Unknown language {lang!r}; use en or zh.")
    if p is not None:
        with get_state(request).db.session() as s:
            accounts.get_user(s, p.username).language = lang
    response = RedirectResponse(safe_next(next), status_code=303)
    set_cookie_(request, response, LANG_COOKIE, lang, max_age=365 * 24 * 3600)
    return response
