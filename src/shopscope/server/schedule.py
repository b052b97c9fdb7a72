"""The daily brief as a scheduled job of the server: build it, turn it into tasks, notify.

With ``SHOPSCOPE_BRIEF_AT=HH:MM`` (UTC) the server runs :func:`run_brief` once a day at that
time: :func:`~shopscope.team.brief.build_brief` on the warehouse, then
:func:`~shopscope.team.tasks.sync_brief` into the application database (dismissed items stay
dismissed until their evidence changes; ``SHOPSCOPE_WEBHOOK_URL`` notifies new tasks). A failed
run is logged and tried again the next day; it never stops the server.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING

from fastapi import FastAPI

from shopscope.errors import ConfigurationError

if TYPE_CHECKING:
    from shopscope.server.state import ServerState
    from shopscope.team.tasks import SyncResult

__all__ = ["brief_schedule", "next_run", "parse_clock", "run_brief"]

log = logging.getLogger(__name__)


def parse_clock(value: str) -> time:
    """``"HH:MM"`` as a time of day; a clear error otherwise."""
    try:
        hh, mm = (int(p) for p in value.split(":"))
        return time(hh, mm)
    except ValueError:
        raise ConfigurationError(
            f"SHOPSCOPE_BRIEF_AT={value!r}: use a UTC time of day as HH:MM, e.g. 06:00."
        ) from None


def next_run(now: datetime, at: time) -> datetime:
    """The first ``at`` (UTC) strictly after ``now``."""
    candidate = datetime.combine(now.date(), at, tzinfo=UTC)
    return candidate if candidate > now else candidate + timedelta(days=1)


def run_brief(state: ServerState) -> SyncResult:
    """Build today's brief on the warehouse and sync it into the task inbox."""
    import os

    from shopscope.team.brief import build_brief
    from shopscope.team.task_notify import Notifier
    from shopscope.team.tasks import sync_brief
    from shopscope.warehouse.connection import Warehouse, connect

    shared = state.extra.get("warehouse")
    wh = shared if isinstance(shared, Warehouse) else connect(state.settings.warehouse,
                                                                read_only=True)  # fmt: skip
    try:
        brief = build_brief(wh)
    finally:
        if wh is not shared:
            wh.close()
    webhook = os.environ.get("SHOPSCOPE_WEBHOOK_URL")
    notifier = Notifier(webhook_url=webhook) if webhook else None
    result = sync_brief(state.db, brief, notifier=notifier)
    log.info("daily brief %s: %d new tasks, %d updated", brief.as_of, len(result.created),
             len(result.updated))  # fmt: skip
    return result


def brief_schedule(
    state: ServerState, at: time
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """A lifespan that runs :func:`run_brief` every day at ``at`` (UTC) while the app runs."""

    @asynccontextmanager
    async def running(_: FastAPI) -> AsyncIterator[None]:
        async def loop() -> None:
            while True:
                wait = (next_run(datetime.now(UTC), at) - datetime.now(UTC)).total_seconds()
                await asyncio.sleep(max(wait, 0.0))
                try:
                    await asyncio.to_thread(run_brief, state)
                except Exception:  # logged; tomorrow's run tries again
                    log.exception("the scheduled daily brief failed")

        task = asyncio.create_task(loop())
        try:
            yield
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    return running
