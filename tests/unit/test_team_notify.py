"""Notifications against a real local SMTP server and a real local HTTP endpoint."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from shopscope.errors import ConfigurationError
from shopscope.team.notify import SmtpSettings, send_email, send_webhook


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[_Inbox, int]]:
    inbox = _Inbox()
    port = _port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, ready_timeout=30)
    controller.start()
    yield inbox, port
    controller.stop()


def test_email_reaches_the_smtp_server(smtp: tuple[_Inbox, int]) -> None:
    inbox, port = smtp
    settings = SmtpSettings(host="127.0.0.1", port=port, sender="brief@shop.test", security="none")
    result = send_email(settings, "ana@shop.test", "New task: restock 85123A", "Due 2026-07-01")
    assert result.delivered and result.attempts == 1
    (message,) = inbox.messages
    assert message["To"] == "ana@shop.test" and message["Subject"] == "New task: restock 85123A"
    assert "Due 2026-07-01" in message.get_payload()


def test_unreachable_smtp_is_retried_and_reported() -> None:
    settings = SmtpSettings(host="127.0.0.1", port=_port(), sender="b@s.test", security="none",
                            timeout=1)  # fmt: skip
    result = send_email(settings, "ana@shop.test", "s", "b", attempts=3, backoff=0.01)
    assert not result.delivered and result.attempts == 3
    assert result.error and "Connection" in result.error
    with pytest.raises(ConfigurationError, match="not an e-mail address"):
        send_email(settings, "ana", "s", "b")


def test_webhook_retries_until_the_endpoint_accepts() -> None:
    seen: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            seen.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(503 if len(seen) < 2 else 204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/hook"
        result = send_webhook(url, {"task": 7}, attempts=3, backoff=0.01)
    finally:
        server.shutdown()
        server.server_close()
    assert result.delivered and result.attempts == 2
    assert seen == [b'{"task": 7}', b'{"task": 7}']
    with pytest.raises(ConfigurationError, match="https://"):
        send_webhook("ftp://x", {})
