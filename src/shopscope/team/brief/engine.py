"""Running the brief: every rule's provider, each finding turned into an item for its role."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING

from shopscope.errors import ShopscopeError
from shopscope.team.brief.model import Brief, BriefItem, Finding, Rule, Skipped
from shopscope.team.brief.providers import PROVIDERS, BriefContext
from shopscope.team.brief.rules import default_rules

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = ["build_brief"]

log = logging.getLogger(__name__)

_TIER_ORDER = {"strategic": 0, "tactical": 1, "execution": 2}
_PRIORITY_ORDER = {"high": 0, "medium": 1, "low": 2}


class _Values(dict[str, object]):
    def __missing__(self, key: str) -> str:
        raise KeyError(key)


def _item(rule: Rule, finding: Finding, as_of: date) -> BriefItem:
    values = _Values(finding.values)
    try:
        title_en = rule.title_en.format_map(values)
        title_zh = rule.title_zh.format_map(values)
        link = rule.link.format_map(values) if rule.link else finding.link
    except KeyError as exc:
        raise ShopscopeError(
            f"the title or link of rule {rule.id!r} uses {{{exc.args[0]}}}, which provider "
            f"{rule.provider!r} does not give; it gives {', '.join(sorted(values))}."
        ) from None
    return BriefItem(
        rule=rule.id,
        key=finding.key,
        tier=rule.tier,
        role=rule.role,
        priority=rule.priority,
        due=as_of + timedelta(days=rule.due_days),
        title_en=title_en,
        title_zh=title_zh,
        evidence=finding.evidence,
        link=link,
        fingerprint=finding.fingerprint(),
    )


def build_brief(
    wh: Warehouse, as_of: date | None = None, rules: Sequence[Rule] | None = None
) -> Brief:
    """The daily brief for ``as_of`` (default: the last day with orders).

    A rule whose data is missing or whose analysis fails is listed in ``skipped`` with the
    reason; the other rules still produce their items.
    """
    rules = tuple(rules) if rules is not None else default_rules()
    if as_of is None:
        from shopscope.insight.periods import data_range

        span = data_range(wh) if wh.has_table("orders") else None
        as_of = span.end if span is not None else date.today()
    ctx = BriefContext(wh, as_of)
    items: list[BriefItem] = []
    skipped: list[Skipped] = []
    for rule in rules:
        try:
            findings = PROVIDERS[rule.provider](ctx, rule.params)
            items.extend(_item(rule, f, as_of) for f in findings)
        except ShopscopeError as exc:
            skipped.append(Skipped(rule.id, str(exc)))
        except Exception as exc:  # one broken analysis must not take the brief down
            log.exception("brief rule %s failed", rule.id)
            skipped.append(Skipped(rule.id, f"unexpected {type(exc).__name__}: {exc}"))
    items.sort(key=lambda i: (_TIER_ORDER[i.tier], _PRIORITY_ORDER[i.priority], i.due))
    return Brief(as_of, tuple(items), tuple(skipped))
