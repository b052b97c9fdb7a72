"""Server building blocks: route permissions, static path safety, throttling, cache, settings."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest
from fastapi.routing import APIRoute

from shopscope.insight.breakdowns import DIMENSIONS
from shopscope.server.api import api_routers
from shopscope.server.api.common import DimensionName
from shopscope.server.auth import permission_of
from shopscope.server.cache import ResultCache
from shopscope.server.errors import ApiError
from shopscope.server.pages import page_routers
from shopscope.server.pages.core import safe_next
from shopscope.server.static import STATIC_DIR, plotly_js_path, resolve_static
from shopscope.server.static import router as static_router
from shopscope.server.throttle import LoginThrottle
from shopscope.team import role_model

PUBLIC = {"/healthz", "/", "/login", "/logout", "/lang", "/static/vendor/plotly.min.js",
          "/static/{name:path}"}  # fmt: skip


def _routes():
    for name, router in [*api_routers(), *page_routers(), ("static", static_router)]:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            yield name, route


def test_every_route_declares_its_permission():
    known = set(role_model().permissions)
    for name, route in _routes():
        declared = permission_of([d.call for d in route.dependant.dependencies])
        assert declared is not False, f"{name}: {route.path} declares no permission"
        if declared == "public":
            assert route.path in PUBLIC, f"{route.path} is public"
        else:
            assert declared is None or declared in known, (route.path, declared)


def test_dimension_names_follow_insight():
    assert set(typing.get_args(DimensionName)) == set(DIMENSIONS)


@pytest.mark.parametrize("name", ["../app.py", "/etc/passwd", "", "a\x00.css", "..\\x.css",
                                  "app.css/../../auth.py", "missing.css", "."])  # fmt: skip
def test_static_resolution_refuses_escapes(name):
    with pytest.raises(ApiError):
        resolve_static(STATIC_DIR, name)


def test_static_resolution_refuses_symlinks_out(tmp_path: Path):
    root = tmp_path / "static"
    root.mkdir()
    (tmp_path / "secret.css").write_text("x")
    (root / "link.css").symlink_to(tmp_path / "secret.css")
    (root / "ok.css").write_text("body{}")
    assert resolve_static(root, "ok.css").name == "ok.css"
    with pytest.raises(ApiError):
        resolve_static(root, "link.css")


def test_plotly_comes_from_the_installed_package():
    import plotly

    assert plotly_js_path().is_relative_to(Path(plotly.__file__).resolve().parent)
    assert plotly_js_path().stat().st_size > 1_000_000


def test_safe_next():
    assert safe_next("/tactical?dimension=device") == "/tactical?dimension=device"
    for bad in (None, "", "//evil.example", "https://evil.example", "/\\evil", "javascript:x"):
        assert safe_next(bad) == "/"


def test_throttle_window(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("shopscope.server.throttle.time.monotonic", lambda: clock[0])
    t = LoginThrottle(max_failures=2, window=60)
    t.failed("user:a", "ip:1")
    assert t.retry_after("user:a") == 0
    t.failed("user:a", "ip:1")
    assert t.retry_after("user:a") == 61 and t.retry_after("ip:1") == 61
    assert t.retry_after("user:b") == 0
    clock[0] += 30
    assert 0 < t.retry_after("user:a") <= 31
    clock[0] += 31
    assert t.retry_after("user:a", "ip:1") == 0
    t.failed("user:a")
    t.succeeded("user:a")
    assert t.retry_after("user:a") == 0


def test_result_cache_reuses_and_invalidates(tmp_path: Path):
    path = tmp_path / "wh.duckdb"
    path.write_bytes(b"1")
    cache = ResultCache(f"duckdb:///{path}", ttl=60)
    calls = []
    assert cache.get("k", lambda: calls.append(1) or len(calls)) == 1
    assert cache.get("k", lambda: calls.append(1) or len(calls)) == 1
    path.write_bytes(b"12")  # the warehouse changed: recompute
    assert cache.get("k", lambda: calls.append(1) or len(calls)) == 2
    off = ResultCache("duckdb://:memory:", ttl=0)
    assert off.get("k", lambda: 5) == 5


def test_app_factory_mounts_extra_routers_and_runs_lifespans():
    from contextlib import asynccontextmanager

    from fastapi import APIRouter, Depends
    from fastapi.testclient import TestClient

    from shopscope.server import ServerSettings, create_app
    from shopscope.server.auth import require

    events: list[str] = []
    extra = APIRouter()

    @extra.post("/api/v1/ping", dependencies=[Depends(require("events.write"))])
    def ping() -> dict[str, str]:
        return {"pong": "yes"}

    @asynccontextmanager
    async def writer(app):
        events.append("start")
        app.state.shopscope.extra["writer"] = "running"
        yield
        events.append("stop")

    app = create_app(
        ServerSettings(warehouse="duckdb://:memory:", appdb="sqlite://"),
        extra_routers=[extra],
        lifespans=[writer],
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        assert app.state.shopscope.extra["writer"] == "running"
        assert client.post("/api/v1/ping").status_code == 401  # declared permission applies
    assert events == ["start", "stop"]
