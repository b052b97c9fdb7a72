"""Helpers shared by the integration tests (imported by name; conftest modules clash)."""

from __future__ import annotations

import csv
import io
import json
import re
import socket
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class AppEnv:
    """The session's app, its accounts (role → (username, password)) and the appdb URL."""

    app: Any
    appdb: str
    warehouse: str
    accounts: dict[str, tuple[str, str]]


def login(client: TestClient, username: str, password: str) -> Any:
    """Sign in through the login form (fetching its CSRF token first)."""
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token.group(1)},
        follow_redirects=False,
    )


def csrf_of(html: str) -> str:
    """The CSRF token in a rendered page."""
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m is not None
    return m.group(1)


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The one error shape: {"error": {status, code, message, details}}."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    err = body["error"]
    assert set(err) == {"status", "code", "message", "details"}
    assert err["status"] == status and isinstance(err["message"], str) and err["message"]
    assert isinstance(err["details"], list)
    if code is not None:
        assert err["code"] == code
    return err


def english_only_messages() -> set[str]:
    """English messages of two or more words whose Chinese differs (a leak is visible)."""
    from shopscope.server.i18n import catalog

    en, zh = catalog("en").messages, catalog("zh").messages
    return {v for k, v in en.items() if v != zh[k] and "{" not in v and len(v.split()) >= 2}


def main_of(html: str) -> str:
    """The page's ``<main>`` element (the shared header is checked by the core page tests)."""
    found = re.search(r"<main\b.*?</main>", html, flags=re.S)
    assert found is not None
    return found.group(0)


def get_in_language(client: TestClient, url: str, lang: str) -> str:
    """GET ``url`` in ``lang`` and check it is complete: 200, the ``lang`` attribute, no
    missing-message markers and (in Chinese) no untranslated English in ``<main>``."""
    client.cookies.set("shopscope_lang", lang)
    try:
        r = client.get(url)
    finally:
        client.cookies.delete("shopscope_lang")
    assert r.status_code == 200, (url, r.text[:300])
    assert f'lang="{"zh-CN" if lang == "zh" else "en"}"' in r.text, url
    main = main_of(r.text)
    assert "⟦" not in main, (url, re.findall("⟦[^⟧]*⟧", main))
    if lang == "zh":
        leaked = sorted(m for m in english_only_messages() if f">{m}<" in main)
        assert leaked == [], (url, leaked)
    return r.text


def charts_of(html: str) -> dict[str, dict]:
    """The page's Plotly figures by chart id (the JSON each chart container carries)."""
    found = re.findall(r'<script type="application/json" data-chart="([^"]+)">(.*?)</script>', html)
    return {name: json.loads(body) for name, body in found}


def csv_rows(client: TestClient, url: str) -> list[dict[str, str]]:
    """GET a CSV export (200, text/csv) and parse it."""
    r = client.get(url)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv"), r.text[:300]
    return list(csv.DictReader(io.StringIO(r.text)))
