"""Rendering pages: the Jinja2 environment, the common page context, error pages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from shopscope.server.auth import LANG_COOKIE, current_principal, pre_session_csrf
from shopscope.server.i18n import LANGUAGES, Formatter, catalog, pick_language

if TYPE_CHECKING:
    from shopscope.server.auth import Principal
    from shopscope.server.errors import ApiError

__all__ = ["env", "page_language", "render", "render_error"]


@cache
def env() -> Environment:
    """The template environment (autoescaping on, undefined variables are errors)."""
    return Environment(
        loader=PackageLoader("shopscope.server", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def page_language(request: Request, principal: Principal | None) -> str:
    """The language cookie, else the user's setting, else the browser's Accept-Language."""
    return pick_language(
        request.cookies.get(LANG_COOKIE),
        principal.language if principal is not None else None,
        accept=request.headers.get("accept-language", ""),
    )


def _query_without(request: Request, *drop: str) -> str:
    return urlencode([(k, v) for k, v in request.query_params.multi_items() if k not in drop])


def _export_href(request: Request, name: str) -> str:
    """This page's URL with ``export=name``: the table as CSV, same filters."""
    return "?" + urlencode(
        [(k, v) for k, v in request.query_params.multi_items() if k != "export"]
        + [("export", name)]
    )


def _export(
    request: Request, principal: Principal | None, tables: Mapping[str, Sequence[Any]]
) -> Response:
    from shopscope.cli.output import to_jsonable
    from shopscope.server.api.common import csv_response
    from shopscope.server.errors import ApiError

    name = request.query_params.get("export", "")
    if principal is None or name not in tables:
        raise ApiError(
            404,
            "not_found",
            f"No table {name[:40]!r} on this page; tables: {', '.join(tables) or 'none'}.",
        )
    rows = [to_jsonable(r) for r in tables[name]]
    page = request.url.path.strip("/").replace("/", "_") or "home"
    return csv_response(request, principal, rows, f"{page}_{name}")


def render(
    request: Request,
    template: str,
    *,
    status_code: int = 200,
    tables: Mapping[str, Sequence[Any]] | None = None,
    **context: Any,
) -> Response:
    """Render ``template`` with the page context (user, language, messages, formatters, nav).

    ``tables`` are the page's tables as rows: ``?export=<name>`` answers that table as CSV
    (permission ``export.csv``, audited) instead of the page, with the page's filters.
    """
    from shopscope.server.pages import nav_items

    principal = current_principal(request) if "principal" not in context else context["principal"]
    if "export" in request.query_params and template != "error.html":
        return _export(request, principal, tables or {})
    lang = page_language(request, principal)
    csrf = principal.csrf_token if principal is not None else pre_session_csrf(request)
    nav = [i for i in nav_items() if principal is not None and principal.can(i.permission)]
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    ctx = {
        "request": request,
        "principal": principal,
        "lang": lang,
        "languages": LANGUAGES,
        "t": catalog(lang),
        "f": Formatter(lang),
        "csrf_token": csrf,
        "nav": nav,
        "path": request.url.path,
        "here": here,
        "query_without": lambda *drop: _query_without(request, *drop),
        "export_href": lambda name: _export_href(request, name),
    } | context
    html = env().get_template(template).render(ctx)
    response = HTMLResponse(html, status_code=status_code)
    if principal is None:
        from shopscope.server.auth import PRE_CSRF_COOKIE, set_cookie

        set_cookie(request, response, PRE_CSRF_COOKIE, csrf, max_age=3600)
    return response


def render_error(request: Request, err: ApiError) -> Response:
    """The HTML page of an error (403, 404, 429, ...)."""
    principal = getattr(request.state, "principal", None)
    response = render(
        request,
        "error.html",
        status_code=err.status,
        principal=principal,
        error=err,
    )
    for k, v in err.headers.items():
        response.headers[k] = v
    return response
