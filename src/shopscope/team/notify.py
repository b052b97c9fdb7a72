"""Notifications for new tasks: e-mail (SMTP) and webhooks, retried, logged, never lossy.

A notification is attempted up to ``attempts`` times with exponential back-off. The result says
whether it was delivered and, if not, the last error; the caller keeps the task either way (a
task never depends on its notification) and may retry undelivered notifications later.
"""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Literal

import httpx
from pydantic import BaseModel, Field

from shopscope.errors import ConfigurationError

__all__ = ["Delivery", "SmtpSettings", "send_email", "send_webhook"]

log = logging.getLogger(__name__)


class SmtpSettings(BaseModel):
    """Where to send e-mail (``SHOPSCOPE_SMTP_*`` in the server settings)."""

    host: str
    port: int = Field(default=587, ge=1, le=65535)
    sender: str
    username: str | None = None
    password: str | None = None
    security: Literal["starttls", "ssl", "none"] = "starttls"
    timeout: float = Field(default=10.0, gt=0)


@dataclass(frozen=True)
class Delivery:
    """The outcome of one notification."""

    channel: Literal["email", "webhook"]
    target: str
    delivered: bool
    attempts: int
    error: str | None = None


def _retry(
    channel: Literal["email", "webhook"],
    target: str,
    send: Callable[[], None],
    attempts: int,
    backoff: float,
) -> Delivery:
    if attempts < 1:
        raise ConfigurationError(f"attempts={attempts}: use at least 1.")
    error: str | None = None
    for attempt in range(1, attempts + 1):
        try:
            send()
            return Delivery(channel, target, True, attempt)
        except (OSError, smtplib.SMTPException, httpx.HTTPError) as exc:
            error = f"{type(exc).__name__}: {exc}"
            log.warning("%s to %s failed (attempt %d/%d): %s", channel, target, attempt,
                        attempts, error)  # fmt: skip
            if attempt < attempts:
                time.sleep(backoff * 2 ** (attempt - 1))
    return Delivery(channel, target, False, attempts, error)


def send_email(
    settings: SmtpSettings,
    to: str,
    subject: str,
    body: str,
    *,
    attempts: int = 3,
    backoff: float = 1.0,
) -> Delivery:
    """Send a plain-text e-mail; retried ``attempts`` times."""
    if "@" not in to:
        raise ConfigurationError(f"{to!r} is not an e-mail address.")
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)

    def send() -> None:
        if settings.security == "ssl":
            context = ssl.create_default_context()
            with smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=context
            ) as smtp:
                _login_and_send(smtp, settings, message)
            return
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
            if settings.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            _login_and_send(smtp, settings, message)

    return _retry("email", to, send, attempts, backoff)


def _login_and_send(smtp: smtplib.SMTP, settings: SmtpSettings, message: EmailMessage) -> None:
    if settings.username:
        smtp.login(settings.username, settings.password or "")
    smtp.send_message(message)


def send_webhook(
    url: str,
    payload: dict[str, Any],
    *,
    attempts: int = 3,
    backoff: float = 1.0,
    timeout: float = 10.0,
) -> Delivery:
    """POST ``payload`` as JSON to ``url``; any non-2xx answer counts as a failure."""
    if not url.startswith(("https://", "http://")):
        raise ConfigurationError(f"Webhook URL {url!r} must start with https:// (or http://).")
    body = json.dumps(payload, default=str).encode()

    def send() -> None:
        response = httpx.post(
            url, content=body, headers={"Content-Type": "application/json"}, timeout=timeout
        )
        response.raise_for_status()

    return _retry("webhook", url, send, attempts, backoff)
