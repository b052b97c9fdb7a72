"""A small cache of computed results, dropped when the warehouse file changes."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["ResultCache"]

T = TypeVar("T")


class ResultCache:
    """Least-recently-used results for ``ttl`` seconds, keyed with the warehouse's version."""

    def __init__(self, warehouse_url: str, *, ttl: float, size: int = 64) -> None:
        self.ttl = ttl
        self.size = size
        self._path = (
            Path(warehouse_url.removeprefix("duckdb:///"))
            if warehouse_url.startswith("duckdb:///")
            else None
        )
        self._items: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def _version(self) -> tuple[float, int]:
        if self._path is None or not self._path.exists():
            return (0.0, 0)
        st = self._path.stat()
        return (st.st_mtime, st.st_size)

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached value of ``key``, computing (outside the lock) when missing or stale."""
        if self.ttl <= 0:
            return compute()
        full = (key, self._version())
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(full)
            if hit is not None and hit[0] > now:
                self._items.move_to_end(full)
                value: T = hit[1]
                return value
        value = compute()
        with self._lock:
            self._items[full] = (now + self.ttl, value)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._items.clear()
