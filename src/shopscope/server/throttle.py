"""Login throttling: a sliding window of failures per username and per client address."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

__all__ = ["LoginThrottle"]


class LoginThrottle:
    """Refuse logins for a key (username or address) after ``max_failures`` in ``window`` s.

    In memory, per server process: a restart forgets failures (the audit log keeps them).
    """

    def __init__(self, max_failures: int, window: float) -> None:
        self.max_failures = max_failures
        self.window = window
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _prune(self, key: str, now: float) -> deque[float]:
        q = self._failures[key]
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def retry_after(self, *keys: str) -> int:
        """Seconds until a login for any of ``keys`` is allowed again (0 = allowed now)."""
        now = time.monotonic()
        wait = 0.0
        with self._lock:
            for key in keys:
                q = self._prune(key, now)
                if len(q) >= self.max_failures:
                    wait = max(wait, q[0] + self.window - now)
        return int(wait) + 1 if wait > 0 else 0

    def failed(self, *keys: str) -> None:
        """Record one failed login for each key."""
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._prune(key, now).append(now)

    def succeeded(self, username_key: str) -> None:
        """Forget the failures of a username after a successful login."""
        with self._lock:
            self._failures.pop(username_key, None)
