"""Real-time event ingestion: a durable journal, a background loader and the HTTP endpoint.

Flow: ``POST /api/v1/events`` → :func:`validate_event` per event → one journal record synced to
disk (group commit) → 200 with per-event rejections → the loader moves journal records into
``events`` (deduplicated by event_id) and rejections into ``quarantine`` in one transaction that
also advances ``stream_checkpoint``. See ``docs/events.md``.
"""

from shopscope.server.events.journal import Journal, Position
from shopscope.server.events.loader import EventLoader, FlushResult
from shopscope.server.events.router import MAX_BODY_BYTES, events_router
from shopscope.server.events.service import BatchResult, EventIngestor, IngestorStats
from shopscope.server.events.validate import Rejection, validate_event

__all__ = [
    "MAX_BODY_BYTES",
    "BatchResult",
    "EventIngestor",
    "EventLoader",
    "FlushResult",
    "IngestorStats",
    "Journal",
    "Position",
    "Rejection",
    "events_router",
    "validate_event",
]
