"""An ingestion-only server: ``POST /api/v1/events`` and ``GET /api/v1/events/stats``.

The full server mounts the same router with its own token checks. This app is for a collector
node that only takes events (and for the crash and load tests): it owns the warehouse, starts
the loader (replaying whatever a previous run left in the journal) and accepts bearer tokens whose
SHA-256 digests it is given.

Run it with ``python -m shopscope.server.events.app --warehouse URL --port 8090``; the token is
read from the ``SHOPSCOPE_EVENTS_TOKEN`` environment variable.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import hmac
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Header
from fastapi.responses import JSONResponse

from shopscope.errors import ConfigurationError
from shopscope.server.events.router import events_router
from shopscope.server.events.service import EventIngestor
from shopscope.warehouse.connection import connect, parse_url

__all__ = ["bearer_authorizer", "create_ingest_app", "default_journal_dir"]


class _UnauthorizedError(Exception):
    pass


def bearer_authorizer(digests: set[str]) -> Callable[[str | None], None]:
    """A dependency accepting ``Authorization: Bearer <token>`` whose SHA-256 is in ``digests``."""

    def authorize(authorization: str | None = Header(default=None)) -> None:
        token = (authorization or "").removeprefix("Bearer ").strip()
        digest = hashlib.sha256(token.encode()).hexdigest()
        if not token or not any(hmac.compare_digest(digest, d) for d in digests):
            raise _UnauthorizedError

    return authorize


def default_journal_dir(warehouse_url: str) -> Path:
    """``<warehouse file>.events-journal/`` next to a DuckDB warehouse file."""
    parsed = parse_url(warehouse_url)
    if parsed.path is None:
        raise ConfigurationError(
            "Real-time ingestion needs a DuckDB warehouse file (journal and warehouse must both "
            "survive a restart); use --warehouse duckdb:///path.duckdb."
        )
    return parsed.path.with_name(parsed.path.name + ".events-journal")


def create_ingest_app(
    warehouse_url: str, token_digests: set[str], *, journal_dir: Path | None = None
) -> FastAPI:
    """The ingestion-only app for ``warehouse_url``."""
    journal = journal_dir or default_journal_dir(warehouse_url)
    state: dict[str, EventIngestor] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        wh = connect(warehouse_url)
        ingestor = EventIngestor(wh, journal)
        ingestor.start()
        state["ingestor"] = ingestor
        try:
            yield
        finally:
            ingestor.close()
            wh.close()

    app = FastAPI(title="shopscope event collector", lifespan=lifespan)
    authorize = bearer_authorizer(token_digests)

    @app.exception_handler(_UnauthorizedError)
    async def _unauthorized(*_: object) -> JSONResponse:
        return JSONResponse(
            {
                "error": {
                    "status": 401,
                    "code": "unauthenticated",
                    "message": "Send a valid token: Authorization: Bearer <token>.",
                    "details": [],
                }
            },
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )

    app.include_router(events_router(lambda: state["ingestor"], authorize))

    @app.get("/api/v1/events/stats", dependencies=[Depends(authorize)])
    async def stats() -> JSONResponse:
        return JSONResponse(dataclasses.asdict(state["ingestor"].stats()))

    return app


def main() -> None:
    """Run the collector with uvicorn (used by the crash test and the load benchmark)."""
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    args = parser.parse_args()
    token = os.environ.get("SHOPSCOPE_EVENTS_TOKEN", "")
    if not token:
        raise SystemExit("Set SHOPSCOPE_EVENTS_TOKEN to the token clients will send.")
    app = create_ingest_app(args.warehouse, {hashlib.sha256(token.encode()).hexdigest()})
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
