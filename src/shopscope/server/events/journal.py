"""A durable append-only journal with group commit.

Records are appended to numbered segment files (``00000001.jnl``, ...). Each record is a header
(payload length and CRC-32, little-endian) followed by the payload bytes. One writer thread
takes every record queued since its last write, writes them together, calls ``fdatasync`` once,
and only then resolves the callers' futures: a record is acknowledged only when it is on disk,
and concurrent callers share the cost of one sync (group commit).

On open, the last segment is scanned and a torn tail (a record cut short by a crash, or whose
checksum does not match) is truncated, so readers only ever see whole records.
"""

from __future__ import annotations

import io
import logging
import os
import queue
import struct
import threading
import zlib
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from shopscope.errors import InvalidInputError

__all__ = ["Journal", "Position"]

log = logging.getLogger(__name__)

_HEADER = struct.Struct("<II")  # payload length, CRC-32 of the payload
_SUFFIX = ".jnl"
_MAX_RECORD = 256 * 1024 * 1024


@dataclass(frozen=True, order=True)
class Position:
    """A place in the journal: segment number and byte offset within it."""

    segment: int
    offset: int


class Journal:
    """Append-only, crash-safe record log in ``directory``.

    Parameters
    ----------
    directory:
        Folder holding the segment files; created when missing.
    segment_bytes:
        A new segment starts once the current one is at least this large.
    sync:
        ``fdatasync`` before acknowledging (the default). Only tests of other parts may turn it
        off.
    """

    def __init__(
        self, directory: Path, *, segment_bytes: int = 64 * 1024 * 1024, sync: bool = True
    ) -> None:
        if segment_bytes < 1024:
            raise InvalidInputError(f"segment_bytes={segment_bytes}: use at least 1024.")
        self.directory = directory
        self.segment_bytes = segment_bytes
        self.sync = sync
        directory.mkdir(parents=True, exist_ok=True)
        segments = self.segments()
        self._segment = segments[-1] if segments else 1
        self._file = self._open_for_append(self._segment)
        self._queue: queue.Queue[tuple[bytes, Future[Position]] | None] = queue.Queue()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="journal-writer", daemon=True)
        self._thread.start()

    # -- writing ------------------------------------------------------------------------------
    def append(self, payload: bytes) -> Future[Position]:
        """Queue ``payload``; the future resolves to the record's end once it is durable."""
        if self._closed:
            raise InvalidInputError("The journal is closed; restart the server to write again.")
        if len(payload) > _MAX_RECORD:
            raise InvalidInputError(
                f"Journal record of {len(payload)} bytes exceeds {_MAX_RECORD}; send smaller "
                "batches."
            )
        future: Future[Position] = Future()
        self._queue.put((payload, future))
        return future

    def end(self) -> Position:
        """Where the next record will start (everything before it is written)."""
        return Position(self._segment, self._file.tell())

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            while True:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._write(batch)
                    return
                batch.append(nxt)
            self._write(batch)

    def _write(self, batch: list[tuple[bytes, Future[Position]]]) -> None:
        ends: list[Position] = []
        try:
            for payload, _ in batch:
                if self._file.tell() >= self.segment_bytes:
                    self._roll()
                self._file.write(_HEADER.pack(len(payload), zlib.crc32(payload)))
                self._file.write(payload)
                ends.append(Position(self._segment, self._file.tell()))
            self._file.flush()
            if self.sync:
                os.fdatasync(self._file.fileno())
        except OSError as exc:
            log.error("journal write failed: %s", exc)
            for _, future in batch:
                future.set_exception(exc)
            return
        for (_, future), end in zip(batch, ends, strict=True):
            future.set_result(end)

    def _roll(self) -> None:
        self._file.flush()
        if self.sync:
            os.fdatasync(self._file.fileno())
        self._file.close()
        self._segment += 1
        self._file = self._open_for_append(self._segment)
        if self.sync:
            _sync_dir(self.directory)

    def close(self) -> None:
        """Write what is queued, sync, and stop the writer thread."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._thread.join()
        self._file.close()

    # -- reading ------------------------------------------------------------------------------
    def segments(self) -> list[int]:
        """Segment numbers present, ascending."""
        out = []
        for path in self.directory.glob(f"*{_SUFFIX}"):
            if path.stem.isdigit():
                out.append(int(path.stem))
        return sorted(out)

    def read_from(
        self, start: Position, *, limit_bytes: int = 64 * 1024 * 1024
    ) -> Iterator[tuple[Position, bytes]]:
        """Whole records after ``start``, each with the position just past it.

        Stops after about ``limit_bytes`` of payload, at the writer's current end, or at the
        first incomplete record (one still being written).
        """
        read = 0
        for segment in self.segments():
            if segment < start.segment:
                continue
            offset = start.offset if segment == start.segment else 0
            with self._path(segment).open("rb") as f:
                f.seek(offset)
                while read < limit_bytes:
                    header = f.read(_HEADER.size)
                    if len(header) < _HEADER.size:
                        break
                    length, crc = _HEADER.unpack(header)
                    payload = f.read(length)
                    if len(payload) < length or zlib.crc32(payload) != crc:
                        break
                    offset += _HEADER.size + length
                    read += length
                    yield Position(segment, offset), payload
            if read >= limit_bytes:
                return

    def drop_before(self, position: Position) -> int:
        """Delete whole segments that end before ``position``; returns how many."""
        dropped = 0
        for segment in self.segments():
            if segment < position.segment and segment != self._segment:
                self._path(segment).unlink(missing_ok=True)
                dropped += 1
        return dropped

    # -- files --------------------------------------------------------------------------------
    def _path(self, segment: int) -> Path:
        return self.directory / f"{segment:08d}{_SUFFIX}"

    def _open_for_append(self, segment: int) -> io.BufferedWriter:
        path = self._path(segment)
        if path.exists():
            _truncate_torn_tail(path)
        f = path.open("ab")
        f.seek(0, os.SEEK_END)
        return f


def _truncate_torn_tail(path: Path) -> None:
    """Cut ``path`` after its last whole record (a crash may leave half a record)."""
    good = 0
    with path.open("rb") as f:
        while True:
            header = f.read(_HEADER.size)
            if len(header) < _HEADER.size:
                break
            length, crc = _HEADER.unpack(header)
            payload = f.read(length)
            if len(payload) < length or zlib.crc32(payload) != crc:
                break
            good = f.tell()
    size = path.stat().st_size
    if size != good:
        log.warning("journal %s: truncating %d bytes of a torn record", path, size - good)
        with path.open("r+b") as f:
            f.truncate(good)
            os.fsync(f.fileno())


def _sync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
