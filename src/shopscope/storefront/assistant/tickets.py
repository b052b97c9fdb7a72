"""Ticket analytics over the ``tickets`` table: volume, first-response and resolution time,
top topics.

All of it is one Ibis expression per figure, run by the warehouse. A ticket's topic is the
first intent (in :data:`~shopscope.storefront.assistant.intents.INTENTS` order) whose rule
pattern matches its subject and text, the same patterns the assistant uses (RE2 syntax, run
with ``REGEXP_MATCHES`` / ``rlike``); ``other`` when none does. Resolution time is
``resolved_at - created_at`` in hours over resolved tickets.

First-response time needs the time of the first agent reply, which the canonical ``tickets``
table does not record (one row per ticket: ``created_at`` and ``resolved_at`` only), so it is
reported as unavailable rather than estimated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Literal

import ibis
import ibis.expr.types as ir

from shopscope.errors import InvalidInputError
from shopscope.storefront.assistant.intents import INTENT_PATTERNS, INTENTS

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = ["TicketStats", "ticket_stats", "ticket_topics"]

Grain = Literal["day", "week", "month"]
FIRST_RESPONSE_NOTE = (
    "first-response time unavailable: no ticket in the period has first_response_at (the time "
    "of the shop's first reply); map that column when ingesting tickets"
)


@dataclass(frozen=True)
class TicketStats:
    """Ticket volume, resolution time and topics over a period."""

    start: date | None
    end: date | None
    tickets: int
    unresolved: int
    resolved: int
    resolution_hours_median: float | None
    resolution_hours_p90: float | None
    first_response_hours_median: float | None
    volume: list[dict[str, Any]]
    by_channel: list[dict[str, Any]]
    by_language: list[dict[str, Any]]
    by_status: list[dict[str, Any]]
    topics: list[dict[str, Any]]
    notes: tuple[str, ...]


def ticket_topics(tickets: ir.Table) -> ir.Table:
    """``tickets`` with a ``topic`` column (first matching intent pattern, else ``other``)."""
    text = (tickets.subject.fill_null("") + " " + tickets.text.fill_null("")).lower()
    branches = [
        (text.re_search(en) | text.re_search(zh), intent)
        for intent in INTENTS
        for en, zh in [INTENT_PATTERNS[intent]]
    ]
    return tickets.mutate(topic=ibis.cases(*branches, else_="other"))


def _counts(t: ir.Table, column: str) -> list[dict[str, Any]]:
    out = t.group_by(column).aggregate(tickets=t.count()).order_by(ibis.desc("tickets"), column)
    rows: list[dict[str, Any]] = out.to_pyarrow().to_pylist()
    return rows


def ticket_stats(
    wh: Warehouse,
    *,
    start: date | None = None,
    end: date | None = None,
    grain: Grain = "week",
    top: int = 10,
) -> TicketStats:
    """Volume per ``grain``, by channel, language and status; resolution hours; top topics.

    Parameters
    ----------
    start, end:
        Tickets created on or after ``start`` and on or before ``end`` (default: all).
    grain:
        Volume buckets: ``day``, ``week`` (ISO, starting Monday) or ``month``.
    top:
        How many topics to list.
    """
    units = {"day": "D", "week": "W", "month": "M"}
    if grain not in units:
        raise InvalidInputError(f"grain={grain!r}: use day, week or month.")
    if start and end and start > end:
        raise InvalidInputError(f"start {start} is after end {end}; swap them.")
    t = wh.table("tickets")
    if start is not None:
        t = t.filter(t.created_at >= datetime.combine(start, time()))
    if end is not None:
        t = t.filter(t.created_at < datetime.combine(end + timedelta(days=1), time()))
    hours = (t.resolved_at.epoch_seconds() - t.created_at.epoch_seconds()) / 3600.0
    first = (t.first_response_at.epoch_seconds() - t.created_at.epoch_seconds()) / 3600.0
    t = ticket_topics(t.mutate(hours=hours, first_hours=first))
    summary = (
        t.aggregate(
            tickets=t.count(),
            resolved=t.resolved_at.notnull().sum(),
            median=t.hours.median(),
            p90=t.hours.quantile(0.9),
            first_median=t.first_hours.median(),
        )
        .to_pyarrow()
        .to_pylist()[0]
    )
    n = int(summary["tickets"] or 0)
    resolved = int(summary["resolved"] or 0)
    volume = (
        t.group_by(period=t.created_at.truncate(units[grain]).date())
        .aggregate(tickets=t.count(), resolved=t.resolved_at.notnull().sum())
        .order_by("period")
    )
    topics = (
        t.group_by("topic")
        .aggregate(tickets=t.count(), resolution_hours_median=t.hours.median())
        .order_by(ibis.desc("tickets"), "topic")
        .limit(top)
    )
    topic_rows = topics.to_pyarrow().to_pylist()
    for row in topic_rows:
        row["share"] = row["tickets"] / n if n else 0.0
    notes = [] if summary["first_median"] is not None else [FIRST_RESPONSE_NOTE]
    if n == 0:
        notes.append("no tickets in the period")
    return TicketStats(
        start=start,
        end=end,
        tickets=n,
        unresolved=n - resolved,
        resolved=resolved,
        resolution_hours_median=summary["median"],
        resolution_hours_p90=summary["p90"],
        first_response_hours_median=summary["first_median"],
        volume=volume.to_pyarrow().to_pylist(),
        by_channel=_counts(t, "channel"),
        by_language=_counts(t, "language"),
        by_status=_counts(t, "status"),
        topics=topic_rows,
        notes=tuple(notes),
    )
