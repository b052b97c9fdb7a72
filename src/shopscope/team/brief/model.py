"""What the daily brief is made of: findings from the analytics, rules, and the items they make."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

__all__ = ["Brief", "BriefItem", "Finding", "Priority", "Rule", "Skipped"]

Priority = Literal["high", "medium", "low"]


@dataclass(frozen=True)
class Finding:
    """One thing an analysis noticed.

    Attributes
    ----------
    key:
        Stable identity across days (``"stockout:85123A"``), so a dismissed item is recognised.
    values:
        Fields the rule's title templates use (``{sku}``, ``{change_pct}`` ...).
    evidence:
        The numbers that support it, shown with the item.
    link:
        Path and query of the page that shows the evidence (filled into the rule's template
        when the rule has one).
    """

    key: str
    values: dict[str, Any]
    evidence: dict[str, Any]
    link: str = ""

    def fingerprint(self) -> str:
        """A digest of the evidence rounded to 2 significant digits: it changes when the
        evidence materially changes (a dismissed item comes back only then)."""
        rounded = {k: _round(v) for k, v in sorted(self.evidence.items())}
        text = json.dumps(rounded, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _round(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.2g}")
    return value


@dataclass(frozen=True)
class Rule:
    """A declarative rule of ``rules.toml``: which provider, for whom, how urgent, what to say."""

    id: str
    provider: str
    tier: str
    role: str
    priority: Priority
    due_days: int
    title_en: str
    title_zh: str
    link: str = ""
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BriefItem:
    """One item of the brief, for one role, with its evidence and due date."""

    rule: str
    key: str
    tier: str
    role: str
    priority: Priority
    due: date
    title_en: str
    title_zh: str
    evidence: dict[str, Any]
    link: str
    fingerprint: str

    def title(self, lang: str) -> str:
        """The title in ``lang`` (``en`` or ``zh``)."""
        return self.title_zh if lang == "zh" else self.title_en


@dataclass(frozen=True)
class Skipped:
    """A rule that could not run, and why (missing data, an analysis error)."""

    rule: str
    reason: str


@dataclass(frozen=True)
class Brief:
    """The day's items, by tier, plus the rules that could not be computed."""

    as_of: date
    items: tuple[BriefItem, ...]
    skipped: tuple[Skipped, ...]

    def for_tier(self, tier: str) -> tuple[BriefItem, ...]:
        """Items for ``tier``, most urgent first."""
        return tuple(i for i in self.items if i.tier == tier)
