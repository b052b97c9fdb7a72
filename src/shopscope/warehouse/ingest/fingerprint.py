"""A file's identity (SHA-256 of its bytes) and, for gzip, proof that the stream is complete.

DuckDB reads a truncated gzip file without complaint up to the cut, so ingestion checks the
stream itself. The check runs in a thread beside the staging read (zlib and hashlib release the
GIL), so on two cores it costs little wall time.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Fingerprint", "fingerprint"]

_CHUNK = 1 << 22
_GZIP = 16 + zlib.MAX_WBITS


@dataclass(frozen=True)
class Fingerprint:
    """SHA-256 of the file and, for gzip, whether every compressed member ends properly."""

    sha256: str
    gzip: bool
    complete: bool
    problem: str = ""


class _GzipChecker:
    """Inflate a (possibly multi-member) gzip stream chunk by chunk, keeping nothing."""

    def __init__(self) -> None:
        self._inflater = zlib.decompressobj(_GZIP)
        self.problem = ""

    def feed(self, data: bytes) -> None:
        try:
            while data and not self.problem:
                self._inflater.decompress(data)
                if not self._inflater.eof:
                    return
                data = self._inflater.unused_data
                if data:  # another gzip member follows
                    self._inflater = zlib.decompressobj(_GZIP)
        except zlib.error as exc:
            self.problem = f"the gzip data is corrupt ({exc})"

    def finish(self) -> str:
        if not self.problem and not self._inflater.eof:
            self.problem = "the gzip stream stops before its end (the file is truncated)"
        return self.problem


def fingerprint(path: Path) -> Fingerprint:
    """Hash ``path``; for a gzip file also inflate it to check the stream is complete."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        chunk = fh.read(_CHUNK)
        checker = _GzipChecker() if chunk[:2] == b"\x1f\x8b" else None
        while chunk:
            digest.update(chunk)
            if checker is not None:
                checker.feed(chunk)
            chunk = fh.read(_CHUNK)
    if checker is None:
        return Fingerprint(digest.hexdigest(), gzip=False, complete=True)
    problem = checker.finish()
    return Fingerprint(digest.hexdigest(), gzip=True, complete=not problem, problem=problem)
