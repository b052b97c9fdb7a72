"""The application factory: settings → FastAPI app with API, pages, static files and security.

Routers are found automatically: every module of :mod:`shopscope.server.api` and
:mod:`shopscope.server.pages` with a ``router``. Routers built elsewhere (the real-time event
ingestion of ``server/events/``) are listed in :data:`EXTRA_ROUTERS` and mounted the same way.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response

from shopscope import __version__
from shopscope.appdb import open_appdb
from shopscope.server.api import API_PREFIX, api_routers
from shopscope.server.cache import ResultCache
from shopscope.server.errors import install_error_handlers
from shopscope.server.openapi import add_permissions
from shopscope.server.pages import page_routers
from shopscope.server.settings import ServerSettings
from shopscope.server.state import ServerState
from shopscope.server.throttle import LoginThrottle
from shopscope.team import role_model

__all__ = ["EXTRA_ROUTERS", "create_app"]

log = logging.getLogger(__name__)

EXTRA_ROUTERS: tuple[tuple[str, str], ...] = (
    ("shopscope.server.events.mount", "events_router_for"),
)
"""``(module, factory)`` pairs: ``factory(app, state) -> APIRouter`` is called and its router
mounted as is (routes carry their full paths). The real-time event ingestion of
``server/events/`` goes here (its router needs the app's ingestor and
``authorize=require("events.write")``)."""

SECURITY_HEADERS = {
    # plotly.js injects <style> elements, so styles allow 'unsafe-inline'; scripts never do
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' "
    "'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def _extra_routers(app: FastAPI, state: ServerState, extra: Sequence[APIRouter]) -> list[APIRouter]:
    # == EXTENSION POINT: routers built outside server/api and server/pages ==
    # e.g. real-time event ingestion: ("shopscope.server.events.mount", "events_router_for")
    mounted = [
        getattr(importlib.import_module(module_name), factory)(app, state)
        for module_name, factory in EXTRA_ROUTERS
    ]
    mounted += extra
    for router in mounted:
        app.include_router(router)
    return mounted


def create_app(
    settings: ServerSettings | None = None,
    *,
    extra_routers: Sequence[APIRouter] = (),
    lifespans: Sequence[Callable[[FastAPI], AbstractAsyncContextManager[None]]] = (),
) -> FastAPI:
    """A ready-to-serve app; opens (and migrates) the application database.

    Parameters
    ----------
    settings:
        Default: read from ``SHOPSCOPE_*`` environment variables.
    extra_routers:
        Routers to mount as they are (full paths), after the API and before the pages.
    lifespans:
        Async context managers entered at startup and left at shutdown, in order (e.g. the
        event ingestor's writer); they may keep objects in ``app.state.shopscope.extra``.
    """
    settings = settings or ServerSettings()
    roles = role_model()
    db = open_appdb(settings.appdb, warehouse_url=settings.warehouse, roles=roles.role_tiers())
    state = ServerState(
        settings=settings,
        db=db,
        roles=roles,
        throttle=LoginThrottle(settings.login_max_failures, settings.login_window_seconds),
        cache=ResultCache(settings.warehouse, ttl=settings.cache_seconds),
    )

    @asynccontextmanager
    async def lifespan(app_: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            hooks = state.extra.get("lifespans", [])
            assert isinstance(hooks, list)
            for enter in [*lifespans, *hooks]:
                await stack.enter_async_context(enter(app_))
            yield
        db.close()

    app = FastAPI(
        title="shopscope",
        version=__version__,
        description="E-commerce operations platform: the REST API over every domain's results. "
        "Authenticate with a session cookie (web) or 'Authorization: Bearer ss_...' (API "
        "tokens from `shopscope user token`). Every error is "
        '{"error": {"status", "code", "message", "details"}}.',
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # Swagger UI would load from a CDN; the schema is at openapi.json
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.shopscope = state
    if settings.brief_at:
        from shopscope.server.schedule import brief_schedule, parse_clock

        hooks = state.extra.setdefault("lifespans", [])
        assert isinstance(hooks, list)
        hooks.append(brief_schedule(state, parse_clock(settings.brief_at)))
    install_error_handlers(app)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for k, v in SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
        if request.url.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    from shopscope.server.static import router as static_router

    app.include_router(static_router)
    documented: list[tuple[str, APIRouter]] = []
    for _name, router in api_routers():
        app.include_router(router, prefix=API_PREFIX)
        documented.append((API_PREFIX, router))
    documented += [("", r) for r in _extra_routers(app, state, extra_routers)]
    for _name, router in page_routers():
        app.include_router(router)

    base_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = add_permissions(base_openapi(), documented)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
