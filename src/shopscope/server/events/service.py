"""The event ingestion service: validate, journal durably, acknowledge, load in the background.

:meth:`EventIngestor.ingest` validates a batch, writes the good events and the rejections as one
journal record, and returns only after the journal has synced it to disk. The loader thread then
moves it into the warehouse within about ``interval`` seconds. When the loader falls behind by
more than ``max_backlog`` events, new batches are refused with :class:`OverloadedError` (the API
answers 429 with Retry-After) instead of growing the backlog without bound.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shopscope.errors import InvalidInputError, OverloadedError
from shopscope.server.events.journal import Journal
from shopscope.server.events.loader import EventLoader, FlushResult
from shopscope.server.events.validate import Rejection, validate_event

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = ["BatchResult", "EventIngestor", "IngestorStats"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchResult:
    """The answer to one batch: how many events were accepted, and each rejection."""

    received: int
    accepted: int
    rejected: tuple[Rejection, ...] = field(default=())


@dataclass(frozen=True)
class IngestorStats:
    """Counters since the service started."""

    accepted: int
    rejected: int
    loaded: int
    duplicates: int
    backlog: int
    last_flush_seconds: float | None


class EventIngestor:
    """Durable, idempotent event intake for one DuckDB warehouse.

    Parameters
    ----------
    wh:
        The warehouse (DuckDB); the loader writes through its own cursor.
    journal_dir:
        Where the journal segments live (next to the warehouse by default in the server).
    max_batch:
        Most events accepted in one call.
    max_backlog:
        Events acknowledged but not yet loaded before new batches get :class:`OverloadedError`.
    interval:
        Seconds between background loads.
    sync:
        Sync the journal before acknowledging; only tests of other parts turn this off.
    """

    def __init__(
        self,
        wh: Warehouse,
        journal_dir: Path,
        *,
        max_batch: int = 10_000,
        max_backlog: int = 500_000,
        interval: float = 0.25,
        sync: bool = True,
    ) -> None:
        if max_batch < 1 or max_backlog < max_batch:
            raise InvalidInputError("Use max_batch >= 1 and max_backlog >= max_batch.")
        self.max_batch = max_batch
        self.max_backlog = max_backlog
        self.journal = Journal(journal_dir, sync=sync)
        self.loader = EventLoader(wh, self.journal, interval=interval)
        self.loader.on_flush.append(self._flushed)
        self._lock = threading.Lock()
        self._accepted = self._rejected = self._loaded = self._duplicates = 0
        self._pending = 0
        self._last_flush: float | None = None
        self._rate = 50_000.0  # events/s the loader moves; refined by every flush

    def start(self) -> FlushResult:
        """Load whatever a previous run left in the journal, then start the loader thread."""
        recovered = self.loader.flush()
        if recovered.records:
            log.warning(
                "recovered %d journaled events (%d new) from a previous run",
                recovered.events,
                recovered.inserted,
            )
        self.loader.start()
        return recovered

    def close(self) -> None:
        """Stop the loader after a last flush and close the journal."""
        self.loader.stop()
        self.journal.close()

    # -- intake -------------------------------------------------------------------------------
    def prepare(self, events: list[Any], now: datetime | None = None) -> tuple[bytes, BatchResult]:
        """Validate ``events``; the journal record to write and the answer to give."""
        if len(events) > self.max_batch:
            raise InvalidInputError(
                f"A batch holds at most {self.max_batch} events; this one has {len(events)}. "
                "Split it into smaller batches."
            )
        now = now or datetime.now(UTC)
        rows: list[dict[str, Any]] = []
        rejected: list[Rejection] = []
        raws: list[dict[str, Any]] = []
        for index, raw in enumerate(events):
            checked = validate_event(raw, index, now)
            if isinstance(checked, Rejection):
                rejected.append(checked)
                raws.append(
                    {
                        "index": index,
                        "code": checked.code,
                        "message": checked.message,
                        "raw": json.dumps(raw, ensure_ascii=False, default=str)[:65_536],
                    }
                )
            else:
                rows.append(checked)
        received_at = int(now.timestamp() * 1_000_000)
        payload = json.dumps(
            {"received_at": received_at, "rows": rows, "rejected": raws},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        return payload, BatchResult(len(events), len(rows), tuple(rejected))

    def check_capacity(self, n: int) -> None:
        """Raise :class:`OverloadedError` when ``n`` more events would overflow the backlog."""
        with self._lock:
            pending = self._pending
        if pending + n > self.max_backlog:
            wait = max(1, math.ceil(pending / max(self._rate, 1.0)))
            raise OverloadedError(
                f"The event writer is {pending} events behind (limit {self.max_backlog}); "
                f"retry in {wait} s.",
                retry_after=wait,
            )

    async def ingest(self, events: list[Any]) -> BatchResult:
        """Validate, journal and wait until durable; then answer."""
        self.check_capacity(len(events))
        payload, result = self.prepare(events)
        await asyncio.wrap_future(self.journal.append(payload))
        self._count(result)
        if self._pending >= 50_000:
            self.loader.wake()
        return result

    def ingest_sync(self, events: list[Any]) -> BatchResult:
        """:meth:`ingest` for callers without an event loop."""
        self.check_capacity(len(events))
        payload, result = self.prepare(events)
        self.journal.append(payload).result()
        self._count(result)
        return result

    def _count(self, result: BatchResult) -> None:
        with self._lock:
            self._accepted += result.accepted
            self._rejected += len(result.rejected)
            self._pending += result.received

    def _flushed(self, result: FlushResult) -> None:
        with self._lock:
            self._loaded += result.inserted
            self._duplicates += result.duplicates
            self._pending = max(0, self._pending - result.events)
            self._last_flush = result.seconds
            if result.seconds > 0 and result.events >= 1000:
                self._rate = 0.7 * self._rate + 0.3 * result.events / result.seconds

    def stats(self) -> IngestorStats:
        """Counters since start."""
        with self._lock:
            return IngestorStats(
                accepted=self._accepted,
                rejected=self._rejected,
                loaded=self._loaded,
                duplicates=self._duplicates,
                backlog=self._pending,
                last_flush_seconds=self._last_flush,
            )
