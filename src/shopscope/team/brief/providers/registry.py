"""The provider registry: ``@provider(name)``, the :class:`BriefContext` and shared helpers.

A provider is ``fn(ctx, params) -> list[Finding]``, registered under a name that rules refer to.
Providers raise :class:`~shopscope.errors.ShopscopeError` when their data is missing; the brief
reports that rule as skipped with the message instead of failing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from shopscope.errors import ConfigurationError
from shopscope.team.brief.model import Finding

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = ["PROVIDERS", "BriefContext", "last_days", "param", "pct", "provider"]


@dataclass
class BriefContext:
    """What every provider gets: the warehouse, the brief's day and a cache shared by rules."""

    wh: Warehouse
    as_of: date
    cache: dict[str, Any] = field(default_factory=dict)

    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per brief for ``key``."""
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]


Provider = Callable[[BriefContext, dict[str, Any]], list[Finding]]
PROVIDERS: dict[str, Provider] = {}


def provider(name: str) -> Callable[[Provider], Provider]:
    """Register a provider under ``name``."""

    def wrap(fn: Provider) -> Provider:
        PROVIDERS[name] = fn
        return fn

    return wrap


def param(params: dict[str, Any], name: str, default: Any, kind: type) -> Any:
    """``params[name]`` checked against ``kind`` (int accepted for float)."""
    value = params.get(name, default)
    ok = isinstance(value, kind) or (kind is float and isinstance(value, int))
    if not ok or (isinstance(value, bool) and kind is not bool):
        raise ConfigurationError(f"Rule parameter {name}={value!r} must be a {kind.__name__}.")
    return value


def pct(x: float) -> str:
    """``x`` as a signed percentage (``+12.3%``)."""
    return f"{x:+.1%}"


def last_days(as_of: date, days: int) -> Any:
    """The ``days`` days ending on ``as_of`` as a ``DateRange``."""
    from shopscope.insight.periods import DateRange

    return DateRange(as_of - timedelta(days=days - 1), as_of)
