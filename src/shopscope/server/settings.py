"""Settings of the web server, read from ``SHOPSCOPE_*`` environment variables."""

from __future__ import annotations

from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

from shopscope.settings import default_warehouse_url

__all__ = ["ServerSettings"]


class ServerSettings(BaseSettings):
    """How one shopscope server runs.

    Attributes
    ----------
    warehouse:
        Warehouse URL (``SHOPSCOPE_WAREHOUSE``).
    appdb:
        Application database URL (``SHOPSCOPE_APPDB``); default SQLite next to the warehouse.
    secure_cookies:
        ``auto`` marks cookies Secure when the request arrived over HTTPS (directly or through
        a proxy whose ``X-Forwarded-Proto`` uvicorn trusts); ``always`` / ``never`` force it.
    session_hours, session_idle_minutes:
        Absolute and idle lifetime of a browser session.
    login_max_failures, login_window_seconds:
        Failed logins allowed per username and per client address in the window before
        further attempts get 429 with ``Retry-After``.
    cache_seconds:
        How long computed results are reused (the cache is also dropped when the warehouse
        file changes).
    live_seconds:
        How often the live "today" tile refreshes in the browser.
    """

    model_config = SettingsConfigDict(env_prefix="SHOPSCOPE_", extra="ignore")

    warehouse: str = default_warehouse_url()
    appdb: str | None = None
    secure_cookies: Literal["auto", "always", "never"] = "auto"
    session_hours: float = 12.0
    session_idle_minutes: float = 120.0
    login_max_failures: int = 5
    login_window_seconds: float = 900.0
    cache_seconds: float = 300.0
    live_seconds: float = 15.0
    brief_at: str | None = None
    """Run the daily brief and sync it into the task inbox every day at this UTC time (HH:MM)."""
    ingest_events: bool = False
    """Take real-time events (``POST /api/v1/events``); the server then holds the warehouse
    open for writing, so other processes cannot open it meanwhile (docs/events.md)."""
