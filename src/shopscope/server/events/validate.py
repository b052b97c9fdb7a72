"""Checking one incoming event against the canonical ``events`` table.

The rules come from :mod:`shopscope.warehouse.schema` (required columns, allowed values), plus
what a live feed needs: a timestamp with a time zone (or UTC assumed when none is given) that is
neither before 2000 nor more than a day in the future, string fields of bounded length, and
``properties`` as a JSON object. A bad event is never dropped: it is returned as a
:class:`Rejection` with a machine-readable code and a message saying how to fix it, reported in
the response and written to the ``quarantine`` table.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from shopscope.warehouse.schema import table

__all__ = ["EVENT_FIELDS", "MAX_STRING", "Rejection", "Row", "validate_event"]

MAX_STRING = 1024
"""Longest string accepted in any field (event_id: 128)."""

_EVENTS = table("events")
EVENT_FIELDS: tuple[str, ...] = tuple(_EVENTS.column_names)
_STRING_FIELDS = tuple(
    c.name for c in _EVENTS.columns if c.type == "string" and c.name != "event_id"
)
_ALLOWED = {c.name: frozenset(c.allowed) for c in _EVENTS.columns if c.allowed}
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_FUTURE_SLACK = timedelta(days=1)

Row = dict[str, Any]
"""A validated event: canonical column names; ``occurred_at`` in UTC microseconds since 1970."""


@dataclass(frozen=True)
class Rejection:
    """Why event number ``index`` of a batch was not accepted."""

    index: int
    event_id: str | None
    code: str
    message: str


def validate_event(raw: Any, index: int, now: datetime) -> Row | Rejection:
    """A clean :data:`Row` for ``raw``, or the :class:`Rejection` explaining what is wrong."""
    if not isinstance(raw, dict):
        return Rejection(index, None, "not_an_object", "Each event must be a JSON object.")
    event_id = raw.get("event_id")
    if not isinstance(event_id, str) or not event_id.strip() or len(event_id) > 128:
        return Rejection(
            index, None, "bad_event_id", "event_id must be a non-empty string of at most 128 "
            "characters; it is the idempotency key, so resend the same id on retry."
        )  # fmt: skip

    def reject(code: str, message: str) -> Rejection:
        return Rejection(index, event_id, code, message)

    unknown = raw.keys() - set(EVENT_FIELDS)
    if unknown:
        return reject(
            "unknown_field",
            f"Unknown field(s) {', '.join(sorted(unknown))}. Allowed: {', '.join(EVENT_FIELDS)}; "
            "put anything else inside 'properties'.",
        )
    when = _timestamp(raw.get("occurred_at"), now)
    if isinstance(when, str):
        return reject("bad_timestamp", when)
    row: Row = {"event_id": event_id, "occurred_at": when}
    for name in _STRING_FIELDS:
        value = raw.get(name)
        if value is None:
            row[name] = None
            continue
        if not isinstance(value, str) or len(value) > MAX_STRING:
            return reject(
                "bad_value", f"{name} must be a string of at most {MAX_STRING} characters."
            )
        allowed = _ALLOWED.get(name)
        if allowed is not None and value not in allowed:
            return reject(
                f"unknown_{name}",
                f"{name}={value!r} is not allowed. Use one of: {', '.join(sorted(allowed))}.",
            )
        row[name] = value
    if row["event_type"] is None:
        return reject("missing_event_type", "event_type is required.")
    revenue = raw.get("revenue")
    if revenue is not None and (
        isinstance(revenue, bool)
        or not isinstance(revenue, int | float)
        or not math.isfinite(revenue)
    ):
        return reject("bad_revenue", "revenue must be a finite number (or omitted).")
    row["revenue"] = None if revenue is None else float(revenue)
    props = raw.get("properties")
    if props is not None and not isinstance(props, dict):
        return reject("bad_properties", "properties must be a JSON object (or omitted).")
    row["properties"] = None if props is None else json.dumps(props, ensure_ascii=False)
    return row


def _timestamp(value: Any, now: datetime) -> int | str:
    """UTC microseconds since 1970, or the message explaining why ``value`` is not usable."""
    if not isinstance(value, str):
        return "occurred_at is required: an ISO 8601 timestamp such as 2026-11-24T09:30:00Z."
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return f"occurred_at={value[:64]!r} is not ISO 8601; use e.g. 2026-11-24T09:30:00Z."
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    if when < _EARLIEST or when > now + _FUTURE_SLACK:
        return (
            f"occurred_at={value!r} is outside 2000-01-01 .. now + 1 day; check the sender's "
            "clock and time zone."
        )
    delta = when - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
