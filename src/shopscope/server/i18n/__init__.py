"""English and Simplified Chinese: message catalogs and locale-aware number, money and dates.

Catalogs are TOML files in this folder: ``en.toml``/``zh.toml`` for the core, and
``<domain>.en.toml``/``<domain>.zh.toml`` for each domain's pages, merged into one catalog per
language (a key defined twice is an error). Keys are dotted (``nav.retention``); values may use
``{name}`` placeholders.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any

from shopscope.errors import ConfigurationError

__all__ = [
    "LANGUAGES",
    "Catalog",
    "Formatter",
    "catalog",
    "pick_language",
]

LANGUAGES: dict[str, str] = {"en": "English", "zh": "简体中文"}
MISSING = "⟦{}⟧"
_SYMBOLS = {"GBP": "£", "USD": "$", "EUR": "€", "CNY": "¥", "JPY": "¥", "BRL": "R$"}


def _flatten(prefix: str, data: Mapping[str, Any], out: dict[str, str], source: str) -> None:
    for key, value in data.items():
        full = f"{prefix}.{key}" if prefix else key
        if isinstance(value, Mapping):
            _flatten(full, value, out, source)
        else:
            if full in out:
                raise ConfigurationError(f"Message {full!r} is defined twice ({source}).")
            out[full] = str(value)


@dataclass(frozen=True)
class Catalog:
    """The messages of one language."""

    lang: str
    messages: dict[str, str]

    def __call__(self, key: str, **values: Any) -> str:
        """The message ``key`` with ``values`` filled in; ``⟦key⟧`` when it is missing."""
        text = self.messages.get(key)
        if text is None:
            return MISSING.format(key)
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        """Whether the catalog defines ``key``."""
        return key in self.messages


@cache
def catalog(lang: str) -> Catalog:
    """The merged catalog of ``lang`` (``en`` or ``zh``)."""
    if lang not in LANGUAGES:
        raise ConfigurationError(f"Unknown language {lang!r}; languages: {', '.join(LANGUAGES)}.")
    messages: dict[str, str] = {}
    folder = resources.files("shopscope.server.i18n")
    names = sorted(
        p.name
        for p in folder.iterdir()
        if p.name == f"{lang}.toml" or p.name.endswith(f".{lang}.toml")
    )
    for name in names:
        data = tomllib.loads(folder.joinpath(name).read_text(encoding="utf-8"))
        _flatten("", data, messages, name)
    return Catalog(lang, messages)


def pick_language(*candidates: str | None, accept: str = "") -> str:
    """The first supported language among ``candidates``, else from Accept-Language, else en."""
    for c in candidates:
        if c in LANGUAGES:
            return str(c)
    for part in accept.split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return "en"


@dataclass(frozen=True)
class Formatter:
    """Numbers, money, ratios and dates in one language's conventions.

    English: ``1,234.5``, ``£1,234.50``, ``30 Jun 2026``. Chinese: ``1,234.5``, large counts as
    ``12.3万`` / ``1.2亿`` in compact form, ``£1,234.50``, ``2026年6月30日``.
    """

    lang: str

    def number(self, value: float | None, digits: int = 0, *, compact: bool = False) -> str:
        """A number with thousands separators (``compact`` abbreviates large ones)."""
        if value is None:
            return "–"
        if compact:
            a = abs(value)
            if self.lang == "zh":
                if a >= 1e8:
                    return f"{value / 1e8:,.1f}亿"
                if a >= 1e4:
                    return f"{value / 1e4:,.1f}万"
            else:
                if a >= 1e6:
                    return f"{value / 1e6:,.1f}M"
                if a >= 1e4:
                    return f"{value / 1e3:,.1f}k"
        return f"{value:,.{digits}f}"

    def money(self, value: float | None, currency: str = "", *, compact: bool = False) -> str:
        """An amount with the currency's symbol (or code)."""
        if value is None:
            return "–"
        symbol = _SYMBOLS.get(currency, f"{currency} " if currency else "")
        sign = "-" if value < 0 else ""
        return f"{sign}{symbol}{self.number(abs(value), 2, compact=compact)}"

    def percent(self, value: float | None, digits: int = 1, *, signed: bool = False) -> str:
        """A ratio as a percentage (``signed`` shows + for increases)."""
        if value is None:
            return "–"
        return f"{value * 100:+.{digits}f}%" if signed else f"{value * 100:.{digits}f}%"

    def date(self, value: date | datetime | str | None) -> str:
        """A day in the language's long form."""
        if value is None:
            return "–"
        if isinstance(value, str):
            value = date.fromisoformat(value[:10])
        if self.lang == "zh":
            return f"{value.year}年{value.month}月{value.day}日"
        return value.strftime("%d %b %Y").lstrip("0")

    def datetime(self, value: datetime | None) -> str:
        """A moment to the minute (UTC)."""
        if value is None:
            return "–"
        return f"{self.date(value)} {value:%H:%M} UTC"

    def value(self, value: Any, unit: str = "", currency: str = "") -> str:
        """A KPI value by its unit (currency, ratio, count, units, currency_per_unit)."""
        if value is None:
            return "–"
        if unit in ("currency", "currency_per_unit"):
            return self.money(value, currency)
        if unit == "ratio":
            return self.percent(value)
        if unit == "units":
            return self.number(value, 2)
        if isinstance(value, float) and unit != "count":
            return self.number(value, 2)
        if isinstance(value, int | float):
            return self.number(value)
        if isinstance(value, datetime | date):
            return self.date(value)
        return str(value)
