"""UTM parsing and channel grouping: landing tags and referrer -> a channel, in the engine.

A *session* is the events sharing a ``session_id`` (an event without one is its own session).
Its landing touch is its first event: that event's ``utm_source``, ``utm_medium``,
``utm_campaign`` and ``referrer`` are classified by an ordered rule table (first match wins,
see ``channel_rules.toml``), giving the session's ``channel``. The same table is applied in
Python by :func:`classify` (for tests and for single values) and as one Ibis ``CASE`` expression
by :func:`channel_expr` (for the warehouse).

See ``docs/methods/channels.md``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir

from shopscope.errors import InvalidInputError
from shopscope.insight.periods import DateRange, in_range
from shopscope.tomlfile import read_toml

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = [
    "FIELDS",
    "ChannelRule",
    "ChannelRules",
    "channel_expr",
    "classify",
    "load_channel_rules",
    "parse_utm",
    "sessions",
]

FIELDS = ("source", "medium", "campaign", "referrer")
"""The landing fields a rule can test."""

_EVENT_COLUMNS = {
    "source": "utm_source",
    "medium": "utm_medium",
    "campaign": "utm_campaign",
    "referrer": "referrer",
}


@dataclass(frozen=True)
class ChannelRule:
    """One row of the grouping table: all its conditions must hold.

    Attributes
    ----------
    channel
        Channel name assigned when the rule matches.
    equals
        Field -> allowed values (lower-case); the field must equal one of them.
    regex
        Field -> pattern searched in the field.
    present
        Field -> True (must be non-empty) or False (must be empty).
    """

    channel: str
    equals: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    regex: Mapping[str, str] = field(default_factory=dict)
    present: Mapping[str, bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.channel.strip():
            raise InvalidInputError("A channel rule needs a non-empty 'channel' name.")
        used = [*self.equals, *self.regex, *self.present]
        bad = [f for f in used if f not in FIELDS]
        if bad:
            raise InvalidInputError(
                f"Channel rule {self.channel!r} tests unknown field(s) {bad}; fields are "
                f"{', '.join(FIELDS)} (as <field>, <field>_regex or <field>_present)."
            )
        if not used:
            raise InvalidInputError(
                f"Channel rule {self.channel!r} has no condition; it would match everything. "
                "Use the table's `default` for the fallback channel instead."
            )
        for f, pattern in self.regex.items():
            try:
                re.compile(pattern)
            except re.error as exc:
                raise InvalidInputError(
                    f"Channel rule {self.channel!r}: {f}_regex {pattern!r} is not a valid "
                    f"regular expression ({exc})."
                ) from exc

    def matches(self, values: Mapping[str, str]) -> bool:
        """Whether the rule matches normalised field values (lower-case, '' when absent)."""
        for f, allowed in self.equals.items():
            if values[f] not in allowed:
                return False
        for f, pattern in self.regex.items():
            if not values[f] or re.search(pattern, values[f]) is None:
                return False
        return all(bool(values[f]) == want for f, want in self.present.items())


@dataclass(frozen=True)
class ChannelRules:
    """An ordered rule table plus the channel for sessions no rule matches."""

    rules: tuple[ChannelRule, ...]
    default: str = "other"

    @property
    def channels(self) -> tuple[str, ...]:
        """Channel names the table can produce, in first-appearance order, default last."""
        seen: dict[str, None] = {}
        for r in self.rules:
            seen.setdefault(r.channel)
        seen.setdefault(self.default)
        return tuple(seen)


def load_channel_rules(path: Path | None = None) -> ChannelRules:
    """The grouping table from a TOML file, or the packaged default (``channel_rules.toml``).

    Raises
    ------
    InvalidInputError
        The file cannot be read or a rule is malformed; the message names the rule.
    """
    where = str(path) if path is not None else "channel_rules.toml (packaged)"
    data = read_toml(path, "shopscope.acquisition", "channel_rules.toml", "channel rules")
    entries = data.get("rule")
    if not isinstance(entries, list) or not entries:
        raise InvalidInputError(
            f"Channel rules {where} have no [[rule]] entries; see the packaged "
            "channel_rules.toml for the format."
        )
    return ChannelRules(
        tuple(_rule(e, i, where) for i, e in enumerate(entries, 1)),
        default=str(data.get("default", "other")),
    )


def _rule(entry: Any, number: int, where: str) -> ChannelRule:
    if not isinstance(entry, dict) or "channel" not in entry:
        raise InvalidInputError(f"Rule {number} in {where} needs a 'channel' key.")
    equals: dict[str, tuple[str, ...]] = {}
    regex: dict[str, str] = {}
    present: dict[str, bool] = {}
    for key, value in entry.items():
        if key == "channel":
            continue
        name, _, kind = key.partition("_")
        if kind == "regex" and isinstance(value, str):
            regex[name] = value
        elif kind == "present" and isinstance(value, bool):
            present[name] = value
        elif not kind and isinstance(value, list | str):
            items = [value] if isinstance(value, str) else value
            equals[name] = tuple(str(v).strip().lower() for v in items)
        else:
            raise InvalidInputError(
                f"Rule {number} ({entry['channel']!r}) in {where}: key {key!r} = {value!r} is "
                "not understood; use <field> = [values], <field>_regex = 'pattern' or "
                "<field>_present = true/false."
            )
    return ChannelRule(str(entry["channel"]), equals, regex, present)


def _norm(value: str | None) -> str:
    return (value or "").strip().lower()


def classify(
    rules: ChannelRules,
    *,
    source: str | None = None,
    medium: str | None = None,
    campaign: str | None = None,
    referrer: str | None = None,
) -> str:
    """The channel of one landing touch (pure Python; the engine uses :func:`channel_expr`)."""
    values = {
        "source": _norm(source),
        "medium": _norm(medium),
        "campaign": _norm(campaign),
        "referrer": _norm(referrer),
    }
    for rule in rules.rules:
        if rule.matches(values):
            return rule.channel
    return rules.default


def parse_utm(url: str) -> dict[str, str | None]:
    """``utm_source``, ``utm_medium``, ``utm_campaign`` (and term, content) of a landing URL."""
    from urllib.parse import parse_qs, urlparse

    query = parse_qs(urlparse(url).query)
    keys = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
    return {k: (query[k][-1] if k in query else None) for k in keys}


def channel_expr(rules: ChannelRules, columns: Mapping[str, ir.StringValue]) -> ir.StringValue:
    """The rule table as one Ibis ``CASE`` over string columns (``source`` ... ``referrer``)."""
    norm = {f: ibis.coalesce(columns[f], "").strip().lower() for f in FIELDS}
    branches: list[tuple[ir.BooleanValue, str]] = []
    for rule in rules.rules:
        cond: ir.BooleanValue = ibis.literal(True)
        for f, allowed in rule.equals.items():
            cond = cond & norm[f].isin(list(allowed))
        for f, pattern in rule.regex.items():
            cond = cond & (norm[f] != "") & norm[f].re_search(pattern)
        for f, want in rule.present.items():
            cond = cond & ((norm[f] != "") if want else (norm[f] == ""))
        branches.append((cond, rule.channel))
    return ibis.cases(*branches, else_=rules.default)


def _stitch(s: ir.Table, events: ir.Table) -> ir.Table:
    """Sessions plus ``user_id``: the customer, stitched across the device's anonymous visits.

    ``user_id`` is the session's ``customer_id``; else the customer seen on the same
    ``anonymous_id`` in any event; else ``'anon:' || anonymous_id``; else ``'session:' ||
    session_id`` (an anonymous session without a device id stays on its own).
    """
    known = events.filter(events.customer_id.notnull() & events.anonymous_id.notnull())
    stitch = known.group_by(anon=known.anonymous_id).aggregate(stitched=known.customer_id.max())
    j = s.left_join(stitch, s.anonymous_id == stitch.anon)
    j = j.mutate(
        user_id=ibis.coalesce(
            j.customer_id,
            j.stitched,
            ibis.literal("anon:") + j.anonymous_id,
            ibis.literal("session:") + j.session_id,
        )
    )
    return j.drop("anon", "stitched")


def sessions(
    wh: Warehouse,
    *,
    rules: ChannelRules | None = None,
    period: DateRange | None = None,
) -> ir.Table:
    """One row per session with its landing channel, user and outcome (an Ibis expression).

    Parameters
    ----------
    wh
        The warehouse (``events`` table).
    rules
        The grouping table (default: the packaged one).
    period
        Keep sessions that start in this range.

    Returns
    -------
    ibis.Table
        ``session_id, customer_id, anonymous_id, user_id, started_at, day, source, medium,
        campaign, referrer, channel, events, purchases, revenue`` where ``purchases`` counts
        purchase events and ``revenue`` sums their ``revenue`` (null revenue counts 0).
    """
    table = rules or load_channel_rules()
    e = wh.table("events")
    e = e.mutate(session_key=ibis.coalesce(e.session_id, e.event_id))
    purchase = e.event_type == "purchase"
    s = e.group_by(session_id=e.session_key).aggregate(
        customer_id=e.customer_id.max(),
        anonymous_id=e.anonymous_id.max(),
        started_at=e.occurred_at.min(),
        **{f: e[_EVENT_COLUMNS[f]].argmin(e.occurred_at) for f in FIELDS},
        events=e.count(),
        purchases=purchase.cast("int64").sum(),
        revenue=ibis.ifelse(purchase, ibis.coalesce(e.revenue, 0.0), 0.0).sum(),
    )
    s = _stitch(s, e)
    # classify each distinct tag combination once (few), not every session (many)
    keys = {f"k_{f}": ibis.coalesce(s[f], "") for f in FIELDS}
    s = s.mutate(**keys)
    combos = s.select(*keys).distinct()
    combos = combos.mutate(channel=channel_expr(table, {f: combos[f"k_{f}"] for f in FIELDS}))
    s = s.join(combos, list(keys)).drop(*keys)
    s = s.mutate(day=s.started_at.date())
    if period is not None:
        s = in_range(s, "started_at", period)
    return s
