"""Touchpoint paths: each conversion's ordered channel touches within a lookback window.

Built in the engine with window functions, never row by row in Python:

1. *Touches* are sessions (:func:`~shopscope.acquisition.channels.sessions`) with their
   landing channel; *conversions* are purchase events (one per ``order_id``, else per event),
   valued at the event's ``revenue``. Both carry the stitched ``user_id``.
2. Touches and conversions of a user are merged into one time-ordered stream (a touch before a
   conversion at the same instant). A running count of conversions gives each row its
   *segment*: the touches between two conversions belong to the later conversion's path, and
   the touches after a user's last conversion form a *non-converting* path.
3. Only touches within ``lookback_days`` before the path's end (the conversion, or the last
   touch for a non-converting path) are kept, and at most the last ``max_touches`` of them
   (longer paths are truncated and counted).

The result is long: one row per (path, touch), with ``position`` 1..``n_touches``. Conversions
with no touch in the window are reported separately (see :func:`path_stats`).

See ``docs/methods/attribution.md``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

from shopscope.acquisition.channels import ChannelRules, _stitch, load_channel_rules, sessions
from shopscope.errors import InvalidInputError
from shopscope.insight.periods import DateRange

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = [
    "PathOptions",
    "PathStats",
    "conversions",
    "materialised",
    "path_stats",
    "path_summary",
    "touchpoints",
]

_DAY_SECONDS = 86_400.0


@dataclass(frozen=True)
class PathOptions:
    """How paths are cut.

    Attributes
    ----------
    lookback_days
        Touches older than this many days before the path's end are dropped (default 30).
    max_touches
        Keep at most this many (the latest) touches per path (default 50).
    include_non_converting
        Also build the paths of users after their last conversion (Markov and the
        conversion-rate Shapley game need them).
    """

    lookback_days: float = 30.0
    max_touches: int = 50
    include_non_converting: bool = True

    def __post_init__(self) -> None:
        if not self.lookback_days > 0:
            raise InvalidInputError(
                f"lookback_days={self.lookback_days}: the lookback window must be > 0 days "
                "(default 30)."
            )
        if self.max_touches < 1:
            raise InvalidInputError(
                f"max_touches={self.max_touches}: a path keeps at least 1 touch (default 50)."
            )


def conversions(wh: Warehouse, *, period: DateRange | None = None) -> ir.Table:
    """Purchase events as conversions: ``conversion_id, user_id, converted_at, value``."""
    e = wh.table("events")
    e = e.mutate(session_key=ibis.coalesce(e.session_id, e.event_id))
    p = e.filter(e.event_type == "purchase")
    c = p.group_by(conversion_id=ibis.coalesce(p.order_id, p.event_id)).aggregate(
        session_id=p.session_key.min(),
        customer_id=p.customer_id.max(),
        anonymous_id=p.anonymous_id.max(),
        converted_at=p.occurred_at.min(),
        value=ibis.coalesce(p.revenue, 0.0).sum(),
    )
    c = _stitch(c, e)
    if period is not None:
        c = c.filter((c.converted_at >= period.start_ts) & (c.converted_at < period.end_ts))
    return c.select("conversion_id", "user_id", "converted_at", "value")


def _stream(
    wh: Warehouse, rules: ChannelRules, period: DateRange | None, options: PathOptions
) -> ir.Table:
    s = sessions(wh, rules=rules)
    conv = conversions(wh)
    if period is not None:
        # touches may start up to the lookback before the period; paths end inside it
        lo = period.start_ts - timedelta(seconds=int(options.lookback_days * _DAY_SECONDS))
        s = s.filter((s.started_at >= lo) & (s.started_at < period.end_ts))
        conv = conv.filter(conv.converted_at < period.end_ts)
    touches = s.select(
        "user_id",
        ts=s.started_at,
        kind=ibis.literal(0),
        channel=s.channel,
        conversion_id=ibis.null("string"),
        value=ibis.literal(0.0),
    )
    convs = conv.select(
        "user_id",
        ts=conv.converted_at,
        kind=ibis.literal(1),
        channel=ibis.null("string"),
        conversion_id=conv.conversion_id,
        value=conv.value,
    )
    stream = touches.union(convs)
    w = ibis.window(group_by="user_id", order_by=["ts", "kind"], rows=(None, 0))
    stream = stream.mutate(seen=(stream.kind == 1).cast("int64").sum().over(w))
    return stream.mutate(segment=stream.seen - stream.kind)


def touchpoints(
    wh: Warehouse,
    *,
    rules: ChannelRules | None = None,
    period: DateRange | None = None,
    options: PathOptions | None = None,
) -> ir.Table:
    """The paths, one row per kept touch (an Ibis expression).

    Parameters
    ----------
    wh
        The warehouse (``events``).
    rules
        Channel grouping (default: the packaged table).
    period
        Keep paths that end in this range (conversions by time; non-converting paths by their
        last touch).
    options
        Lookback, cap and whether to include non-converting paths.

    Returns
    -------
    ibis.Table
        ``path_id, user_id, converted (bool), conversions (0/1), value, conversion_id, channel,
        touched_at, position (1 = first), n_touches, days_before`` (days from the touch to the
        path's end).
    """
    opts = options or PathOptions()
    stream = _stream(wh, rules or load_channel_rules(), period, opts)
    seg = ibis.window(group_by=["user_id", "segment"])
    stream = stream.mutate(
        conv_at=ibis.ifelse(stream.kind == 1, stream.ts, ibis.null("timestamp")).max().over(seg),
        conversion_id=stream.conversion_id.max().over(seg),
        value=ibis.ifelse(stream.kind == 1, stream.value, ibis.null("float64")).max().over(seg),
        last_touch=ibis.ifelse(stream.kind == 0, stream.ts, ibis.null("timestamp")).max().over(seg),
    )
    t = stream.filter(stream.kind == 0)
    if not opts.include_non_converting:
        t = t.filter(t.conversion_id.notnull())
    t = t.mutate(end_at=ibis.coalesce(t.conv_at, t.last_touch))
    # whole seconds: Spark's epoch seconds are integers, DuckDB's carry microseconds
    seconds = t.end_at.epoch_seconds().floor() - t.ts.epoch_seconds().floor()
    t = t.mutate(days_before=seconds.cast("float64") / _DAY_SECONDS)
    t = t.filter(t.days_before <= opts.lookback_days)
    if period is not None:
        t = t.filter((t.end_at >= period.start_ts) & (t.end_at < period.end_ts))
    by_path = ["user_id", "segment"]
    rev = ibis.window(group_by=by_path, order_by=[ibis.desc("ts"), ibis.desc("channel")])
    # one sort per path: rank from the end, count, keep the last max_touches, number them
    t = t.mutate(
        from_end=ibis.row_number().over(rev),
        total=t.count().over(ibis.window(group_by=by_path)),
    )
    t = t.filter(t.from_end < opts.max_touches)
    kept = ibis.least(t.total, opts.max_touches)
    t = t.mutate(position=(kept - t.from_end).cast("int64"), n_touches=kept.cast("int64"))
    converted = t.conversion_id.notnull()
    return t.select(
        path_id=t.user_id + ibis.literal("#") + t.segment.cast("string"),
        user_id=t.user_id,
        converted=converted,
        conversions=converted.cast("int64"),
        value=ibis.ifelse(converted, ibis.coalesce(t.value, 0.0), 0.0),
        conversion_id=t.conversion_id,
        channel=t.channel,
        touched_at=t.ts,
        position=t.position,
        n_touches=t.n_touches,
        days_before=t.days_before,
    )


def path_summary(tp: ir.Table, *, separator: str = " > ") -> ir.Table:
    """Distinct channel sequences: ``path, paths, conversions, value, touches`` (DuckDB/Spark)."""
    seq = tp.group_by("path_id").aggregate(
        path=tp.channel.group_concat(separator, order_by=tp.position),
        conversions=tp.conversions.max(),
        value=tp.value.max(),
        touches=tp.n_touches.max(),
    )
    return seq.group_by("path").aggregate(
        paths=seq.count(),
        conversions=seq.conversions.sum(),
        value=seq.value.sum(),
        touches=seq.touches.max(),
    )


@dataclass(frozen=True)
class PathStats:
    """Counts that explain what the paths cover.

    Attributes
    ----------
    conversions, value
        Conversions (and their value) in the period.
    attributed_conversions, attributed_value
        Those with at least one touch in the lookback window: the models share these.
    non_converting_paths
        Paths without a conversion.
    truncated_paths
        Paths with more touches than ``max_touches`` (the earliest were dropped).
    channels
        Channels seen on the paths.
    """

    conversions: int
    value: float
    attributed_conversions: int
    attributed_value: float
    non_converting_paths: int
    truncated_paths: int
    channels: tuple[str, ...]


def path_stats(
    wh: Warehouse,
    tp: ir.Table,
    *,
    rules: ChannelRules | None = None,
    period: DateRange | None = None,
    options: PathOptions | None = None,
) -> PathStats:
    """What :func:`touchpoints` kept and left out (one small query per figure)."""
    opts = options or PathOptions()
    conv = conversions(wh, period=period)
    total = conv.aggregate(n=conv.count(), v=ibis.coalesce(conv.value.sum(), 0.0))
    tot = total.to_pyarrow().to_pylist()[0]
    paths = tp.group_by("path_id").aggregate(
        c=tp.conversions.max(), v=tp.value.max(), n=tp.n_touches.max()
    )
    agg = paths.aggregate(
        c=ibis.coalesce(paths.c.sum(), 0),
        v=ibis.coalesce(paths.v.sum(), 0.0),
        nc=(paths.c == 0).cast("int64").sum(),
    )
    row = agg.to_pyarrow().to_pylist()[0]
    # a capped path holds exactly max_touches rows; it was truncated if the stream had more
    uncapped = touchpoints(
        wh,
        rules=rules,
        period=period,
        options=PathOptions(opts.lookback_days, 10**9, opts.include_non_converting),
    )
    long = uncapped.group_by("path_id").aggregate(n=uncapped.n_touches.max())
    truncated = long.filter(long.n > opts.max_touches).count().to_pyarrow().as_py()
    channels = tp.select("channel").distinct().order_by("channel").to_pyarrow()
    return PathStats(
        conversions=int(tot["n"] or 0),
        value=float(tot["v"] or 0.0),
        attributed_conversions=int(row["c"] or 0),
        attributed_value=float(row["v"] or 0.0),
        non_converting_paths=int(row["nc"] or 0),
        truncated_paths=int(truncated),
        channels=tuple(str(c) for c in channels.column("channel").to_pylist()),
    )


@contextmanager
def materialised(wh: Warehouse, expr: ir.Table) -> Iterator[ir.Table]:
    """``expr`` computed once into a temporary DuckDB table (dropped on exit).

    Several models read the same paths; on Spark the expression is used as is (Spark plans
    each query from the sources).
    """
    if wh.backend_name != "duckdb":
        yield expr
        return
    name = f"_shopscope_paths_{uuid.uuid4().hex}"
    table = wh.ibis.create_table(name, expr, temp=True)
    try:
        yield table
    finally:
        # Ibis' own cache()/release() emits a DROP that DuckDB 1.5 rejects; drop it directly.
        wh.duckdb.execute(f'DROP TABLE IF EXISTS "{name}"')
