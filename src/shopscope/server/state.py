"""What one running app holds: settings, the application database, role model, caches."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import ibis
from fastapi import Request

from shopscope.appdb import AppDB
from shopscope.errors import ShopscopeError
from shopscope.server.cache import ResultCache
from shopscope.server.errors import ApiError
from shopscope.server.settings import ServerSettings
from shopscope.server.throttle import LoginThrottle
from shopscope.team import RoleModel
from shopscope.warehouse.connection import Warehouse, connect

__all__ = ["ServerState", "get_state", "open_warehouse", "shared_cursor"]


@dataclass
class ServerState:
    """The app's long-lived objects (``app.state.shopscope``)."""

    settings: ServerSettings
    db: AppDB
    roles: RoleModel
    throttle: LoginThrottle
    cache: ResultCache
    extra: dict[str, object] = field(default_factory=dict)


def get_state(request: Request) -> ServerState:
    """The :class:`ServerState` of the app serving ``request``."""
    state: ServerState = request.app.state.shopscope
    return state


def shared_cursor(state: ServerState) -> Warehouse | None:
    """A cursor on the warehouse that event ingestion holds open for writing (None when the
    server does not ingest): DuckDB allows one configuration per file, so requests share it."""
    shared = state.extra.get("warehouse")
    if not isinstance(shared, Warehouse):
        return None
    return Warehouse(shared.url, ibis.duckdb.from_connection(shared.duckdb.cursor()))


def open_warehouse(request: Request) -> Iterator[Warehouse]:
    """Dependency: the warehouse opened read-only for one request (opening costs ~15 ms).

    When the server ingests events it holds the warehouse open for writing; requests then get
    their own cursor on that connection instead (DuckDB allows one configuration per file).
    """
    state = get_state(request)
    wh = shared_cursor(state)
    if wh is not None:
        try:
            yield wh
        finally:
            wh.close()
        return
    url = state.settings.warehouse
    try:
        wh = connect(url, read_only=True)
    except ShopscopeError as exc:
        raise ApiError(
            503,
            "warehouse_unavailable",
            f"The warehouse cannot be opened ({exc}). Build one with `shopscope demo` or point "
            "SHOPSCOPE_WAREHOUSE at it.",
        ) from None
    try:
        yield wh
    finally:
        wh.close()
