"""Mounting real-time ingestion into the full server (``server/app.py``'s ``EXTRA_ROUTERS``).

Ingestion is on when the settings say ``ingest_events`` (``shopscope serve --ingest-events``).
The server process then holds one read-write DuckDB connection (``state.extra["warehouse"]``),
from which every request takes its own cursor (:func:`shopscope.server.state.open_warehouse`).
The ingestor starts with the app — replaying whatever a previous run left in the journal — and
stops, after a last load, when the app stops. Without ingestion the endpoint answers 503 with
how to turn it on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import APIRouter, FastAPI

from shopscope.server.auth import require
from shopscope.server.errors import ApiError
from shopscope.server.events.app import default_journal_dir
from shopscope.server.events.router import events_router
from shopscope.server.events.service import EventIngestor
from shopscope.warehouse.connection import connect

if TYPE_CHECKING:
    from shopscope.server.state import ServerState

__all__ = ["events_router_for"]


def events_router_for(app: FastAPI, state: ServerState) -> APIRouter:
    """``POST /api/v1/events`` for ``app``, authorised by the ``events.write`` permission."""
    holder: dict[str, EventIngestor] = {}
    settings = state.settings

    @asynccontextmanager
    async def running(_: FastAPI) -> AsyncIterator[None]:
        if not settings.ingest_events:
            yield
            return
        journal = default_journal_dir(settings.warehouse)  # refuses an in-memory warehouse
        wh = connect(settings.warehouse)
        ingestor = EventIngestor(wh, journal)
        ingestor.start()
        state.extra["warehouse"] = wh
        holder["ingestor"] = ingestor
        try:
            yield
        finally:
            holder.pop("ingestor", None)
            state.extra.pop("warehouse", None)
            ingestor.close()
            wh.close()

    def get_ingestor() -> EventIngestor:
        if "ingestor" not in holder:
            raise ApiError(
                503,
                "ingestion_off",
                "This server does not take events. Start it with `shopscope serve "
                "--ingest-events` (or SHOPSCOPE_INGEST_EVENTS=true) on a DuckDB warehouse file.",
            )
        return holder["ingestor"]

    hooks = state.extra.setdefault("lifespans", [])
    assert isinstance(hooks, list)
    hooks.append(running)
    state.extra["ingestor"] = holder
    return events_router(get_ingestor, require("events.write"))
