"""Live today: today's figures so far against the same weekday last week up to the same time.

Recomputed cheaply on every call: one aggregate query over ``orders`` and ``events``, each
filtered on its timestamp column to two short windows (today ``00:00 → now`` and the same
window seven days earlier), so the engine prunes everything else by zone maps and returns two
rows. See ``docs/methods/drivers.md`` ("Live today").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from shopscope.errors import NotFoundError

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = ["LIVE_FIGURES", "LiveFigure", "LiveToday", "live_today"]

_NOT_SALES = ("cancelled", "returned", "refunded")
LIVE_FIGURES: dict[str, str] = {
    "revenue": "Revenue",
    "orders": "Orders",
    "sessions": "Sessions",
    "visitors": "Visitors",
    "conversion_rate": "Conversion rate",
    "aov": "Average order value",
}
"""The figures of :class:`LiveToday`, key → English label, in display order."""


@dataclass(frozen=True)
class LiveFigure:
    """One figure today so far and in last week's same window.

    ``delta_rel`` is ``today / last_week − 1``; None when either is None or last week is 0.
    ``conversion_rate`` and ``aov`` are None when their denominator (sessions, orders) is 0.
    """

    key: str
    label: str
    today: float | None
    last_week: float | None
    delta_rel: float | None


@dataclass(frozen=True)
class LiveToday:
    """Today so far (``day`` 00:00 → ``now``, UTC) against the same window a week earlier."""

    now: datetime
    day: date
    figures: tuple[LiveFigure, ...]

    def figure(self, key: str) -> LiveFigure:
        """The figure called ``key`` (one of :data:`LIVE_FIGURES`)."""
        for f in self.figures:
            if f.key == key:
                return f
        raise KeyError(f"No live figure {key!r}; figures: {', '.join(LIVE_FIGURES)}.")


def _naive_utc(ts: datetime) -> datetime:
    """Warehouse timestamps are naive UTC; an aware ``now`` is converted, a naive one kept."""
    return ts.astimezone(UTC).replace(tzinfo=None) if ts.tzinfo is not None else ts


def _latest(wh: Warehouse) -> datetime | None:
    o, e = wh.table("orders"), wh.table("events")
    row = (
        o.aggregate(o_hi=o.ordered_at.max())
        .cross_join(e.aggregate(e_hi=e.occurred_at.max()))
        .to_pyarrow()
        .to_pylist()[0]
    )
    stamps = [v for v in (row["o_hi"], row["e_hi"]) if v is not None]
    return max(stamps) if stamps else None


def _window(ts: Any, today: datetime, now: datetime) -> tuple[Any, Any]:
    """Filter to the two windows (today so far, last week up to the same time); is-today flag."""
    week = timedelta(days=7)
    in_today = (ts >= today) & (ts <= now)
    in_last = (ts >= today - week) & (ts <= now - week)
    return in_today | in_last, ts >= today


def _rel(today: float | None, last_week: float | None) -> float | None:
    if today is None or last_week is None or last_week == 0:
        return None
    return today / last_week - 1.0


def live_today(wh: Warehouse, *, now: datetime | None = None) -> LiveToday:
    """Today's revenue, orders, sessions, visitors, conversion rate and AOV so far.

    Each figure is compared with the same weekday last week up to the same clock time
    (``[day − 7 d, now − 7 d]``). Definitions match the KPIs: sale orders are orders not
    cancelled, returned or refunded with ``gross_amount > 0``; revenue is
    ``Σ gross_amount − discount_amount`` over them; sessions are distinct
    ``events.session_id``; visitors distinct ``anonymous_id`` (``customer_id`` when it is
    missing); conversion rate = orders / sessions; AOV = revenue / orders.

    Parameters
    ----------
    wh:
        The warehouse.
    now:
        The moment "now" (UTC; an aware datetime is converted). Default: the latest
        ``orders.ordered_at`` / ``events.occurred_at`` when the data ends before the wall clock
        (a demo store or a feed that lags), else ``datetime.now(UTC)``.

    Raises
    ------
    NotFoundError
        The warehouse has neither orders nor events.
    """
    latest = _latest(wh)
    if latest is None:
        raise NotFoundError(
            "The warehouse has no orders or events, so there is nothing live to show. Load data "
            "with `shopscope demo` or `shopscope ingest`."
        )
    if now is None:
        clock = _naive_utc(datetime.now(UTC))
        now = latest if latest < clock else clock
    now = _naive_utc(now)
    day = now.date()
    start = datetime.combine(day, time.min)

    o = wh.table("orders")
    keep, is_today = _window(o.ordered_at, start, now)
    o = o.filter(keep, o.status.notin(_NOT_SALES), o.gross_amount > 0)
    o = o.mutate(today=is_today, revenue=o.gross_amount - o.discount_amount.fill_null(0.0))
    e = wh.table("events")
    keep, is_today = _window(e.occurred_at, start, now)
    e = e.filter(keep).mutate(today=is_today, visitor=e.anonymous_id.fill_null(e.customer_id))
    aggs: dict[str, Any] = {}
    for period, flag in (("today", True), ("last_week", False)):
        aggs[f"revenue_{period}"] = o.revenue.sum(where=o.today == flag)
        aggs[f"orders_{period}"] = o.count(where=o.today == flag)
    o_agg = o.aggregate(**aggs)
    aggs = {}
    for period, flag in (("today", True), ("last_week", False)):
        aggs[f"sessions_{period}"] = e.session_id.nunique(where=e.today == flag)
        aggs[f"visitors_{period}"] = e.visitor.nunique(where=e.today == flag)
    row = o_agg.cross_join(e.aggregate(**aggs)).to_pyarrow().to_pylist()[0]

    values: dict[str, dict[str, float | None]] = {}
    for period in ("today", "last_week"):
        revenue = float(row[f"revenue_{period}"] or 0.0)
        orders = float(row[f"orders_{period}"] or 0)
        sessions = float(row[f"sessions_{period}"] or 0)
        values[period] = {
            "revenue": revenue,
            "orders": orders,
            "sessions": sessions,
            "visitors": float(row[f"visitors_{period}"] or 0),
            "conversion_rate": orders / sessions if sessions else None,
            "aov": revenue / orders if orders else None,
        }
    figures = tuple(
        LiveFigure(
            key,
            label_text,
            values["today"][key],
            values["last_week"][key],
            _rel(values["today"][key], values["last_week"][key]),
        )
        for key, label_text in LIVE_FIGURES.items()
    )
    return LiveToday(now=now, day=day, figures=figures)
