"""The exception hierarchy of shopscope: one tree, every error a user can see.

::

    ShopscopeError                      base of everything raised on purpose
    ├── ConfigurationError              bad settings, URL or mapping file (also ValueError)
    │   └── WarehouseURLError           a warehouse URL that cannot be opened
    ├── InvalidInputError               input data that cannot be used (also ValueError)
    │   ├── FileFormatError             not CSV/Parquet/JSONL, empty, truncated, wrong encoding
    │   └── MissingColumnsError         required columns absent (lists expected vs found)
    ├── IngestError                     an ingest that failed and was rolled back
    ├── ConvergenceError                a model fit that found no finite optimum
    ├── NotFoundError                   a table, batch or object that is missing (LookupError)
    ├── BackendUnavailableError         an optional backend (Spark) is not installed
    └── OverloadedError                 a writer that is behind; retry after ``retry_after`` s

Messages say what was wrong, the offending value, what is allowed and how to fix it.
The CLI catches :class:`ShopscopeError` once, prints ``Error: <message>`` and exits 1.
"""

from __future__ import annotations

__all__ = [
    "BackendUnavailableError",
    "ConfigurationError",
    "ConvergenceError",
    "FileFormatError",
    "IngestError",
    "InvalidInputError",
    "MissingColumnsError",
    "NotFoundError",
    "OverloadedError",
    "ShopscopeError",
    "WarehouseURLError",
]


class ShopscopeError(Exception):
    """Base class of every error shopscope raises on purpose."""


class ConfigurationError(ShopscopeError, ValueError):
    """Settings, a URL or a mapping file that cannot be used."""


class WarehouseURLError(ConfigurationError):
    """A warehouse URL with an unknown scheme or an unusable location."""


class InvalidInputError(ShopscopeError, ValueError):
    """Input data that cannot be used as it is."""


class FileFormatError(InvalidInputError):
    """A file that is not in a readable format (not CSV, empty, truncated, bad encoding)."""


class MissingColumnsError(InvalidInputError):
    """A file that lacks columns its source or mapping requires."""

    def __init__(self, message: str, *, expected: list[str], found: list[str]) -> None:
        super().__init__(message)
        self.expected = expected
        self.found = found


class IngestError(ShopscopeError):
    """An ingest that failed; the warehouse was left as it was."""


class ConvergenceError(ShopscopeError):
    """A maximum-likelihood fit that found no finite optimum (never a silent NaN)."""


class NotFoundError(ShopscopeError, LookupError):
    """A table, batch or other named object that does not exist."""


class BackendUnavailableError(ShopscopeError, ImportError):
    """An optional backend whose packages are not installed."""


class OverloadedError(ShopscopeError):
    """Work refused because a writer is behind; the caller should retry after ``retry_after``."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
