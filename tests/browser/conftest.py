"""Browser tests: Debian's Chromium driven by Playwright against one live uvicorn server.

The server runs in a thread on a free port for the whole session, on the session's demo store
with one user per role. Screenshots go to ``tests/browser/artifacts/`` (git-ignored).
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@dataclass(frozen=True)
class LiveServer:
    """Base URL and the demo accounts (role → (username, password))."""

    url: str
    accounts: dict[str, tuple[str, str]]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """uvicorn serving the app in a thread, stopped at the end of the session."""
    import uvicorn

    from shopscope.cli.server import create_demo_accounts
    from shopscope.server import ServerSettings, create_app

    appdb = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'app.sqlite3'}"
    made = create_demo_accounts(appdb, demo_url, seed=11)
    settings = ServerSettings(
        warehouse=demo_url, appdb=appdb, login_max_failures=1000, live_seconds=2, cache_seconds=1e9
    )
    app = create_app(settings)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield LiveServer(f"http://127.0.0.1:{port}", {a.role: (a.username, a.password) for a in made})
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go (``tests/browser/artifacts/``)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Chromium (skips when Playwright or /usr/bin/chromium is missing)."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not shutil.which(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed")
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A fresh browser context and page; collects console errors, failed and external requests."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    pg.console_errors = []  # type: ignore[attr-defined]
    pg.external_requests = []  # type: ignore[attr-defined]
    pg.on("console", lambda m: m.type == "error" and pg.console_errors.append(m.text))
    pg.on("pageerror", lambda e: pg.console_errors.append(str(e)))

    def on_request(request: Any) -> None:
        if not request.url.startswith((live_server.url, "data:", "about:")):
            pg.external_requests.append(request.url)

    pg.on("request", on_request)
    yield pg
    context.close()
