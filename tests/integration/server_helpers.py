"""Helpers shared by the integration tests (imported by name; conftest modules clash)."""

from __future__ import annotations

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
