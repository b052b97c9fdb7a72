"""``POST /api/v1/events``: batched JSON events, acknowledged once durable.

Body: ``{"events": [{...}, ...]}`` (or a bare JSON array). The answer (200) counts what was
received and accepted and lists every rejected event with its index, id, code and message;
rejected events are also quarantined. Errors: 400 malformed JSON or shape, 413 body or batch too
large, 429 with ``Retry-After`` when the writer is behind. Authentication and scope checks are
the caller's dependency (``authorize``), so the app decides how tokens work.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from shopscope.errors import InvalidInputError, OverloadedError
from shopscope.server.events.service import EventIngestor

__all__ = ["MAX_BODY_BYTES", "events_router"]

MAX_BODY_BYTES = 8 * 1024 * 1024
"""Largest request body accepted (8 MiB); larger gets 413."""


def _error(status: int, code: str, message: str, **headers: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"status": status, "code": code, "message": message, "details": []}},
        status_code=status,
        headers=headers or None,
    )


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None when it is larger than ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def events_router(
    get_ingestor: Callable[[], EventIngestor],
    authorize: Callable[..., Any],
    *,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> APIRouter:
    """The router for ``POST /api/v1/events``.

    Parameters
    ----------
    get_ingestor:
        Returns the running :class:`EventIngestor` (the app owns its lifetime).
    authorize:
        A FastAPI dependency that rejects callers without the ``events:write`` permission.
    max_body_bytes:
        Bodies above this get 413.
    """
    router = APIRouter(tags=["events"])

    @router.post(
        "/api/v1/events",
        dependencies=[Depends(authorize)],
        summary="Send a batch of behavioural events",
        responses={400: {}, 401: {}, 403: {}, 413: {}, 429: {}},
    )
    async def post_events(request: Request) -> JSONResponse:
        body = await _read_body(request, max_body_bytes)
        if body is None:
            return _error(
                413,
                "payload_too_large",
                f"The body exceeds {max_body_bytes} bytes; send smaller batches.",
            )
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return _error(400, "malformed_json", f"The body is not valid JSON: {exc}.")
        events = data.get("events") if isinstance(data, dict) else data
        if not isinstance(events, list):
            return _error(
                400,
                "bad_shape",
                'Send {"events": [{...}, ...]} or a JSON array of event objects.',
            )
        ingestor = get_ingestor()
        if len(events) > ingestor.max_batch:
            return _error(
                413,
                "batch_too_large",
                f"A batch holds at most {ingestor.max_batch} events; this one has "
                f"{len(events)}. Split it.",
            )
        try:
            result = await ingestor.ingest(events)
        except OverloadedError as exc:
            return _error(429, "overloaded", str(exc), **{"Retry-After": str(exc.retry_after)})
        except InvalidInputError as exc:
            return _error(400, "invalid_batch", str(exc))
        return JSONResponse(
            {
                "received": result.received,
                "accepted": result.accepted,
                "rejected": [
                    {
                        "index": r.index,
                        "event_id": r.event_id,
                        "code": r.code,
                        "message": r.message,
                    }
                    for r in result.rejected
                ],
            }
        )

    return router
