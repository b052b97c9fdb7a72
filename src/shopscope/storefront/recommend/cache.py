"""One serving index per warehouse in the process, reloaded when a new build lands.

Every build writes a new ``build_id`` to ``reco_build`` in the same transaction as the lists.
For a DuckDB file the cache compares the file's and its WAL's size and modification time on
each lookup (a ``stat``, microseconds) and, only when they changed and at most once per
``check_seconds``, reads the build id (one tiny query); other warehouses read it at most once
per ``check_seconds``. A new build id reloads the index; a changed ``products`` count re-reads
only the SKU categories. A build in this process drops the cached index at once
(:func:`forget`). While a new index loads, other threads keep serving the old one.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shopscope.storefront.recommend.index import ServingIndex, build_version

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = [
    "CHECK_SECONDS",
    "IndexCache",
    "forget",
    "serving_index",
    "shared_cache",
    "warehouse_file",
]

CHECK_SECONDS = 1.0
log = logging.getLogger(__name__)


@dataclass
class _Entry:
    index: ServingIndex | None = None
    checked_at: float = float("-inf")
    stamp: tuple[Any, ...] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


def _file_stamp(path: str | None) -> tuple[Any, ...] | None:
    """Size and modification time of a DuckDB file and its WAL (None: not a file)."""
    if path is None:
        return None
    out: list[Any] = []
    for name in (path, path + ".wal"):
        try:
            st = Path(name).stat()
        except OSError:
            out.append(None)
        else:
            out.append((st.st_mtime_ns, st.st_size))
    return tuple(out)


def warehouse_file(wh: Warehouse) -> str | None:
    """The absolute path of a DuckDB warehouse file (None: in memory, or not DuckDB)."""
    if wh.backend_name != "duckdb" or wh.url.path is None:
        return None
    return str(Path(wh.url.path).absolute())


class IndexCache:
    """One :class:`ServingIndex` per warehouse, reloaded when a new build lands."""

    def __init__(self, *, check_seconds: float = CHECK_SECONDS) -> None:
        self.check_seconds = check_seconds
        self._files: dict[str, _Entry] = {}
        self._objects: weakref.WeakKeyDictionary[Any, _Entry] = weakref.WeakKeyDictionary()
        self._guard = threading.Lock()

    def _entry(self, key: str | Any) -> _Entry:
        table: Any = self._files if isinstance(key, str) else self._objects
        entry: _Entry | None = table.get(key)
        if entry is None:
            with self._guard:
                entry = table.setdefault(key, _Entry())
        return entry

    def get(
        self,
        key: str | Any,
        opener: Callable[[], AbstractContextManager[Warehouse]],
        *,
        path: str | None = None,
    ) -> ServingIndex:
        """The index for ``key`` (a file path, or the warehouse object itself).

        ``opener`` gives a warehouse to read from; it is called only to check the build id
        (when due) or to load.
        """
        entry = self._entry(key)
        index = entry.index
        now = time.monotonic()
        if index is not None:
            stamp = _file_stamp(path)
            if stamp is not None and stamp == entry.stamp:
                return index  # the file has not changed: nothing can have been built
            if now - entry.checked_at < self.check_seconds:
                return index
            if not entry.lock.acquire(blocking=False):
                return index  # another thread is checking or loading: serve the old lists
            try:
                with opener() as wh:
                    version = build_version(wh)
                    if version == index.version:
                        entry.checked_at, entry.stamp = now, stamp
                        return index
                    if version[0] == index.version[0]:  # same build, the catalogue changed
                        fresh = index.with_categories(wh, version)
                    else:
                        fresh = ServingIndex.load(wh)
            except Exception:  # the warehouse is busy or gone: keep serving what we have
                log.warning("recommendation lists could not be re-checked", exc_info=True)
                entry.checked_at = now
                return index
            else:
                entry.index, entry.checked_at, entry.stamp = fresh, now, stamp
                return fresh
            finally:
                entry.lock.release()
        with entry.lock:
            if entry.index is not None:
                return entry.index
            stamp = _file_stamp(path)  # before reading: a later write is noticed next time
            with opener() as wh:
                fresh = ServingIndex.load(wh)
            entry.index, entry.checked_at, entry.stamp = fresh, now, stamp
            return fresh

    def forget(self, key: str | Any) -> None:
        """Drop the index of ``key`` (the next lookup loads the current build)."""
        with self._guard:
            table: Any = self._files if isinstance(key, str) else self._objects
            table.pop(key, None)


_CACHE = IndexCache()


def _key(wh: Warehouse) -> str | Any:
    return warehouse_file(wh) or wh


def serving_index(wh: Warehouse) -> ServingIndex:
    """The process-wide index of ``wh``'s lists (loaded on first use, reloaded after a build)."""
    return _CACHE.get(_key(wh), lambda: nullcontext(wh), path=warehouse_file(wh))


def forget(wh: Warehouse) -> None:
    """Drop ``wh``'s cached index (called by the build in this process)."""
    _CACHE.forget(_key(wh))


def shared_cache() -> IndexCache:
    """The process-wide :class:`IndexCache` (the REST API uses it with its own opener)."""
    return _CACHE
