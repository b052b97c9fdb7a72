"""Moving journaled events into the warehouse, exactly once.

Each flush reads the journal records after the checkpoint, keeps the first copy of every
event_id, and in **one DuckDB transaction** inserts the events that the ``events`` table does
not hold yet (an anti-join on event_id), writes rejected events to ``quarantine`` (with an
``ingest_log`` batch), and moves the ``stream_checkpoint`` row past the records. A crash at any
point either commits all of that or none of it, so replaying the journal after a restart never
loses an acknowledged event and never duplicates one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from shopscope.errors import BackendUnavailableError
from shopscope.server.events.journal import Journal, Position
from shopscope.warehouse.connection import arrow_schema

if TYPE_CHECKING:
    import duckdb

    from shopscope.warehouse.connection import Warehouse

__all__ = ["EventLoader", "FlushResult"]

log = logging.getLogger(__name__)

STREAM = "events"
SOURCE = "api:/api/v1/events"


@dataclass(frozen=True)
class FlushResult:
    """What one flush moved: journal records and events read, inserted, duplicate, rejected."""

    records: int
    events: int
    inserted: int
    duplicates: int
    rejected: int
    seconds: float


class EventLoader:
    """Loads the journal into a DuckDB warehouse, on demand or from a background thread."""

    def __init__(self, wh: Warehouse, journal: Journal, *, interval: float = 0.25) -> None:
        if wh.backend_name != "duckdb":
            raise BackendUnavailableError(
                f"Real-time event ingestion writes to a DuckDB warehouse; {wh.url} is "
                f"{wh.backend_name}. Ingest live events into DuckDB and copy them with "
                "`shopscope sync --to spark:///dir`."
            )
        self.journal = journal
        self.interval = interval
        self._con: duckdb.DuckDBPyConnection = wh.duckdb.cursor()
        self._schema = arrow_schema("events")
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.on_flush: list[Any] = []  # callables taking a FlushResult

    # -- checkpoint ---------------------------------------------------------------------------
    def checkpoint(self) -> Position:
        """How far the journal has been loaded (start of the journal when never)."""
        row = self._con.execute(
            "SELECT segment, byte_offset FROM stream_checkpoint WHERE stream = ?", [STREAM]
        ).fetchone()
        if row is None:
            segments = self.journal.segments()
            return Position(segments[0] if segments else 1, 0)
        return Position(int(row[0]), int(row[1]))

    # -- one flush ----------------------------------------------------------------------------
    def flush(self) -> FlushResult:
        """Load everything journaled after the checkpoint (thread-safe)."""
        with self._lock:
            return self._flush()

    def _flush(self) -> FlushResult:
        started = time.perf_counter()
        start = self.checkpoint()
        end = start
        rows: dict[str, dict[str, Any]] = {}
        rejected: list[dict[str, Any]] = []
        records = events = 0
        digest = hashlib.sha256()
        for position, payload in self.journal.read_from(start):
            end = position
            record = json.loads(payload)
            records += 1
            digest.update(payload)
            for row in record["rows"]:
                events += 1
                rows.setdefault(row["event_id"], row)
            for bad in record["rejected"]:
                events += 1
                bad["received_at"] = record["received_at"]
                rejected.append(bad)
        if records == 0:
            return FlushResult(0, 0, 0, 0, 0, time.perf_counter() - started)
        inserted = self._commit(list(rows.values()), rejected, end, digest.hexdigest())
        self.journal.drop_before(end)
        result = FlushResult(
            records=records,
            events=events,
            inserted=inserted,
            duplicates=events - len(rejected) - inserted,
            rejected=len(rejected),
            seconds=time.perf_counter() - started,
        )
        for callback in self.on_flush:
            callback(result)
        return result

    def _commit(
        self, rows: list[dict[str, Any]], rejected: list[dict[str, Any]], end: Position, sha: str
    ) -> int:
        con = self._con
        incoming = pa.Table.from_pylist(rows, schema=self._schema)
        now = datetime.now(UTC).replace(tzinfo=None)
        con.execute("BEGIN TRANSACTION")
        try:
            con.register("_stream_incoming", incoming)
            try:
                found = con.execute(
                    "INSERT INTO events SELECT i.* FROM _stream_incoming i "
                    "ANTI JOIN events e ON e.event_id = i.event_id"
                ).fetchone()
            finally:
                con.unregister("_stream_incoming")
            inserted = int(found[0]) if found else 0
            if rejected:
                self._quarantine(rejected, sha, now, inserted)
            con.execute("DELETE FROM stream_checkpoint WHERE stream = ?", [STREAM])
            con.execute(
                "INSERT INTO stream_checkpoint VALUES (?, ?, ?, ?)",
                [STREAM, end.segment, end.offset, now],
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        return inserted

    def _quarantine(
        self, rejected: list[dict[str, Any]], sha: str, now: datetime, inserted: int
    ) -> None:
        con = self._con
        found = con.execute("SELECT coalesce(max(batch_id), 0) + 1 FROM ingest_log").fetchone()
        batch = int(found[0]) if found else 1
        counts = json.dumps({"events": {"loaded": inserted, "quarantined": len(rejected)}})
        con.execute(
            "INSERT INTO ingest_log VALUES (?, 'api-events', ?, ?, ?, ?, 0, ?, ?, 'loaded', ?, ?)",
            [batch, SOURCE, sha, inserted + len(rejected), inserted, len(rejected), counts, now,
             now],
        )  # fmt: skip
        con.executemany(
            "INSERT INTO quarantine VALUES (?, ?, 'events', ?, ?, ?, ?, ?)",
            [
                [
                    batch,
                    SOURCE,
                    int(bad["index"]),
                    bad["raw"],
                    bad["code"],
                    bad["message"],
                    datetime.fromtimestamp(bad["received_at"] / 1e6, UTC).replace(tzinfo=None),
                ]
                for bad in rejected
            ],
        )

    # -- background ---------------------------------------------------------------------------
    def start(self) -> None:
        """Start the background thread flushing every ``interval`` seconds (or when woken)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="event-loader", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Ask the background thread to flush now."""
        self._wake.set()

    def stop(self) -> None:
        """Stop the thread after a last flush."""
        if self._thread is None:
            return
        self._stop.set()
        self._wake.set()
        self._thread.join()
        self._thread = None
        self.flush()

    def _run(self) -> None:
        backoff = self.interval
        while not self._stop.is_set():
            self._wake.wait(backoff)
            self._wake.clear()
            try:
                self.flush()
                backoff = self.interval
            except Exception as exc:  # keep the server up; nothing is lost, the journal stays
                log.error("event loader flush failed (will retry): %s", exc)
                backoff = min(backoff * 2, 5.0)
