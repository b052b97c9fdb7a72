"""Funnels from the events table: ordered steps within a conversion window.

Each occurrence of the first step starts an *attempt* of the unit (user = ``anonymous_id``, or
session = ``session_id``). An attempt reaches step ``k`` when

* ``order="loose"`` (sequential): an event of step ``k`` occurs at or after the time the attempt
  reached step ``k − 1`` (other events may come in between), and
* ``order="strict"``: the events of steps ``2..k`` are the unit's very next events after the
  start, in order (no other event in between; ties broken by ``event_id``),

and no later than ``window`` after the start. A unit's depth is its best attempt's depth; its
time to convert is the shortest start-to-last-step time among its complete attempts. Breakdown
attributes come from the unit's first attempt (channel from ``utm_medium``, device, category of
the start event's SKU, new/returning = a purchase before the start, experiment variant).

Everything runs in the engine (Ibis); only step counts and quantiles come back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import ibis
import ibis.expr.types as ir

from shopscope.errors import InvalidInputError, NotFoundError
from shopscope.warehouse.connection import Warehouse
from shopscope.warehouse.schema import EVENT_TYPES

__all__ = [
    "BREAKDOWNS",
    "CHANNEL_OF_MEDIUM",
    "DEFAULT_STEPS",
    "Funnel",
    "FunnelGroup",
    "FunnelStep",
    "TimeToConvert",
    "funnel",
    "funnel_units",
]

DEFAULT_STEPS = ("product_view", "add_to_cart", "begin_checkout", "purchase")
BREAKDOWNS = ("channel", "device", "category", "new_returning", "variant")
CHANNEL_OF_MEDIUM = {
    "organic": "organic_search", "cpc": "paid_search", "paid_social": "paid_social",
    "email": "email", "affiliate": "affiliate", "referral": "referral",
}  # fmt: skip
"""``utm_medium`` → channel; no medium is ``direct``, an unknown medium is kept as it is."""
_BUCKETS = (("< 1 min", 60), ("1-10 min", 600), ("10-60 min", 3600), ("1-24 h", 86400))

Per = Literal["user", "session"]
Order = Literal["loose", "strict"]


@dataclass(frozen=True)
class FunnelStep:
    """Units reaching a step, conversion from the start and from the previous step."""

    step: int
    event_type: str
    units: int
    conversion: float | None
    step_conversion: float | None
    drop_off: int


@dataclass(frozen=True)
class TimeToConvert:
    """Start-to-last-step time of converted units, seconds."""

    converted: int
    mean: float | None
    p25: float | None
    median: float | None
    p75: float | None
    p90: float | None
    buckets: dict[str, int]


@dataclass(frozen=True)
class FunnelGroup:
    """One breakdown member's funnel."""

    value: str
    steps: tuple[FunnelStep, ...]


@dataclass(frozen=True)
class Funnel:
    """A funnel over ``[start, end)``; ``groups`` is empty without a breakdown."""

    steps: tuple[FunnelStep, ...]
    time_to_convert: TimeToConvert
    per: Per
    order: Order
    window_seconds: float
    start: datetime | None
    end: datetime | None
    breakdown: str | None
    groups: tuple[FunnelGroup, ...]


def _steps(units: Sequence[int], names: Sequence[str]) -> tuple[FunnelStep, ...]:
    out = []
    for i, (name, n) in enumerate(zip(names, units, strict=True)):
        first, prev = units[0], units[i - 1] if i else units[0]
        out.append(
            FunnelStep(
                i + 1,
                name,
                int(n),
                n / first if first else None,
                n / prev if prev else None,
                int(prev - n) if i else 0,
            )
        )
    return tuple(out)


def _validate(
    steps: Sequence[str], window: timedelta, per: str, order: str, by: str | None
) -> None:
    if len(steps) < 2:
        raise InvalidInputError(f"A funnel needs at least two steps, got {list(steps)}.")
    unknown = [s for s in steps if s not in EVENT_TYPES]
    if unknown:
        raise InvalidInputError(
            f"Unknown event type(s) {unknown}; funnel steps are event types: "
            f"{', '.join(EVENT_TYPES)}."
        )
    if window <= timedelta(0):
        raise InvalidInputError(f"window must be positive, got {window}.")
    if per not in ("user", "session"):
        raise InvalidInputError(f"per={per!r}: use 'user' or 'session'.")
    if order not in ("loose", "strict"):
        raise InvalidInputError(f"order={order!r}: use 'loose' (sequential) or 'strict'.")
    if by is not None and by not in BREAKDOWNS:
        raise InvalidInputError(f"breakdown {by!r}: use one of {', '.join(BREAKDOWNS)}.")


def funnel(
    wh: Warehouse,
    steps: Sequence[str] = DEFAULT_STEPS,
    *,
    window: timedelta = timedelta(days=1),
    per: Per = "user",
    order: Order = "loose",
    start: datetime | None = None,
    end: datetime | None = None,
    breakdown: str | None = None,
    experiment_id: str | None = None,
) -> Funnel:
    """Compute the funnel (see the module docstring).

    Parameters
    ----------
    steps
        Event types in order (``product_view``, ``add_to_cart``, ...).
    window
        Conversion window measured from the first step.
    per
        ``"user"`` (``anonymous_id``) or ``"session"`` (``session_id``).
    order
        ``"loose"`` (steps in order, other events allowed between) or ``"strict"``.
    start, end
        Attempts starting in ``[start, end)`` (default: all events); later steps may fall up to
        ``window`` after ``end``.
    breakdown
        One of :data:`BREAKDOWNS`; ``"variant"`` needs ``experiment_id``.
    """
    _validate(steps, window, per, order, breakdown)
    units = funnel_units(wh, steps, window=window, per=per, order=order, start=start, end=end)
    dim = _dimension(wh, units, breakdown, experiment_id) if breakdown else None
    k = len(steps)
    counts: dict[str, Any] = {
        f"s{i}": (units.depth >= i).cast("int64").sum() for i in range(1, k + 1)
    }
    total = units.aggregate(**counts).to_pyarrow().to_pylist()[0]
    step_rows = _steps([int(total[f"s{i}"] or 0) for i in range(1, k + 1)], steps)
    groups: list[FunnelGroup] = []
    if dim is not None:
        rows = dim.group_by("member").aggregate(**{
            f"s{i}": (dim.depth >= i).cast("int64").sum() for i in range(1, k + 1)
        }).order_by(ibis.desc("s1")).to_pyarrow().to_pylist()  # fmt: skip
        groups = [
            FunnelGroup(str(r["member"]), _steps([int(r[f"s{i}"]) for i in range(1, k + 1)], steps))
            for r in rows
        ]
    return Funnel(
        step_rows, _time_to_convert(units, k), per, order, window.total_seconds(), start, end,
        breakdown, tuple(groups),
    )  # fmt: skip


def funnel_units(
    wh: Warehouse,
    steps: Sequence[str] = DEFAULT_STEPS,
    *,
    window: timedelta = timedelta(days=1),
    per: Per = "user",
    order: Order = "loose",
    start: datetime | None = None,
    end: datetime | None = None,
) -> ir.Table:
    """One row per unit: ``uid``, ``depth`` (steps reached), ``seconds`` (time to convert,
    null unless complete), ``first_start`` and ``first_event`` (its first attempt)."""
    _validate(steps, window, per, order, None)
    ev = wh.table("events")
    unit_col = "anonymous_id" if per == "user" else "session_id"
    ev = ev.filter(ev[unit_col].notnull())
    if end is not None:
        ev = ev.filter(ev.occurred_at < end + window)
    if start is not None:
        ev = ev.filter(ev.occurred_at >= start)
    if order == "strict":
        attempts = _strict(ev, steps, unit_col, window)
    else:
        attempts = _loose(ev, steps, unit_col, window)
    if end is not None:
        attempts = attempts.filter(attempts.start_at < end)
    return _best(attempts, len(steps))


def _loose(ev: ir.Table, steps: Sequence[str], unit_col: str, window: timedelta) -> ir.Table:
    first = ev.filter(ev.event_type == steps[0])
    cur = first.select(
        uid=first[unit_col], start_at=first.occurred_at, start_event=first.event_id,
        t1=first.occurred_at,
    )  # fmt: skip
    span = ibis.interval(seconds=int(window.total_seconds()))
    for k, name in enumerate(steps[1:], start=2):
        e = ev.filter(ev.event_type == name)
        e = e.select(uid_k=e[unit_col], t=e.occurred_at)
        prev = cur[f"t{k - 1}"]
        j = cur.left_join(e, [cur.uid == e.uid_k, e.t >= prev, e.t <= cur.start_at + span])
        keys = [c for c in cur.columns]
        cur = j.group_by(keys).aggregate(**{f"t{k}": j.t.min()})
    return cur


def _strict(ev: ir.Table, steps: Sequence[str], unit_col: str, window: timedelta) -> ir.Table:
    w = ibis.window(group_by=ev[unit_col], order_by=[ev.occurred_at, ev.event_id])
    leads: dict[str, Any] = {}
    for k in range(1, len(steps)):
        leads[f"type{k}"] = ev.event_type.lead(k).over(w)
        leads[f"at{k}"] = ev.occurred_at.lead(k).over(w)
    x = ev.select(uid=ev[unit_col], event_type=ev.event_type, event_id=ev.event_id,
                  occurred_at=ev.occurred_at, **leads)  # fmt: skip
    x = x.filter(x.event_type == steps[0])
    span = ibis.interval(seconds=int(window.total_seconds()))
    cols: dict[str, Any] = {"t1": x.occurred_at}
    ok = ibis.literal(True)
    for k, name in enumerate(steps[1:], start=1):
        ok = ok & (x[f"type{k}"] == name) & (x[f"at{k}"] <= x.occurred_at + span)
        cols[f"t{k + 1}"] = ibis.ifelse(ok.fill_null(False), x[f"at{k}"], ibis.null("timestamp"))
    return x.select(uid=x.uid, start_at=x.occurred_at, start_event=x.event_id, **cols)


def _best(attempts: ir.Table, k: int) -> ir.Table:
    depth = ibis.literal(1)
    for i in range(2, k + 1):
        depth = depth + attempts[f"t{i}"].notnull().cast("int64")
    secs = (attempts[f"t{k}"].epoch_seconds() - attempts.start_at.epoch_seconds()).cast("float64")
    a = attempts.mutate(depth=depth, seconds=secs)
    return a.group_by("uid").aggregate(
        depth=a.depth.max(),
        seconds=a.seconds.min(),
        first_start=a.start_at.min(),
        first_event=a.start_event.argmin(a.start_at),
    )


def _time_to_convert(units: ir.Table, k: int) -> TimeToConvert:
    c = units.filter(units.depth >= k)
    s = c.seconds
    aggs: dict[str, Any] = {
        "n": c.count(), "mean": s.mean(), "p25": s.quantile(0.25), "p50": s.quantile(0.5),
        "p75": s.quantile(0.75), "p90": s.quantile(0.9),
    }  # fmt: skip
    lo = 0
    for i, (_, hi) in enumerate(_BUCKETS):
        aggs[f"b{i}"] = ((s >= lo) & (s < hi)).cast("int64").sum()
        lo = hi
    aggs["b_last"] = (s >= lo).cast("int64").sum()
    r = c.aggregate(**aggs).to_pyarrow().to_pylist()[0]
    buckets = {name: int(r[f"b{i}"] or 0) for i, (name, _) in enumerate(_BUCKETS)}
    buckets["> 1 day"] = int(r["b_last"] or 0)
    f = {key: (float(r[key]) if r[key] is not None else None) for key in aggs if key != "n"}
    return TimeToConvert(int(r["n"]), f["mean"], f["p25"], f["p50"], f["p75"], f["p90"], buckets)


def _dimension(
    wh: Warehouse, units: ir.Table, by: str | None, experiment_id: str | None
) -> ir.Table:
    ev = wh.table("events")
    first = ev.select(
        event_id=ev.event_id, anon=ev.anonymous_id, medium=ev.utm_medium, device=ev.device,
        sku=ev.sku, at=ev.occurred_at,
    )  # fmt: skip
    u = units.join(first, units.first_event == first.event_id)
    if by == "channel":
        mapping = ibis.cases(
            *((u.medium == k, v) for k, v in CHANNEL_OF_MEDIUM.items()),
            else_=u.medium.fill_null("direct"),
        )
        return u.select(depth=u.depth, member=mapping)
    if by == "device":
        return u.select(depth=u.depth, member=u.device.fill_null("(unknown)"))
    if by == "category":
        p = wh.table("products").select("sku", "category")
        j = u.left_join(p, u.sku == p.sku)
        return j.select(depth=j.depth, member=j.category.fill_null("(no product)"))
    if by == "new_returning":
        pur = ev.filter(ev.event_type == "purchase", ev.anonymous_id.notnull())
        firsts = pur.group_by(anon_p=pur.anonymous_id).aggregate(
            first_purchase=pur.occurred_at.min()
        )
        j = u.left_join(firsts, u.anon == firsts.anon_p)
        returning = j.first_purchase.notnull() & (j.first_purchase < j.at)
        return j.select(depth=j.depth, member=ibis.ifelse(returning, "returning", "new"))
    if experiment_id is None:
        raise InvalidInputError(
            "breakdown 'variant' needs experiment_id (see `shopscope experiment list`)."
        )
    x = ev.filter(ev.experiment_id == experiment_id, ev.variant.notnull())
    per = x.group_by(anon_x=x.anonymous_id).aggregate(v=x.variant.argmin(x.occurred_at))
    if per.count().to_pyarrow().as_py() == 0:
        raise NotFoundError(f"Experiment {experiment_id!r} has no exposures in the events.")
    j = u.left_join(per, u.anon == per.anon_x)
    return j.select(depth=j.depth, member=j.v.fill_null("(not exposed)"))
