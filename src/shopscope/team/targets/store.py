"""Monthly targets in the warehouse's ``targets`` table: validate, set, list, import from CSV.

A target is ``(metric, channel, month) -> value`` for the whole month. ``channel`` is only for
``ad_spend`` (a channel's monthly budget; null is the whole shop's budget). See
``docs/methods/targets.md``.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from shopscope.errors import InvalidInputError, NotFoundError
from shopscope.warehouse.schema import TARGET_METRICS

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = [
    "CSV_COLUMNS",
    "Target",
    "import_targets",
    "known_channels",
    "list_targets",
    "parse_month",
    "set_target",
    "set_targets",
    "validate_target",
]

CSV_COLUMNS = ("metric", "channel", "month", "value", "note")
_MONTH = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")


@dataclass(frozen=True)
class Target:
    """One monthly target (``value`` is the whole month's; a budget for ``ad_spend``)."""

    metric: str
    channel: str | None
    month: date
    value: float
    note: str | None
    updated_at: datetime


def parse_month(month: str | date) -> date:
    """The first day of ``month`` (``YYYY-MM``, ``YYYY-MM-01`` or a date on the 1st)."""
    if isinstance(month, datetime):
        month = month.date()
    if isinstance(month, date):
        if month.day != 1:
            raise InvalidInputError(
                f"Month {month.isoformat()} is not the first day of a month; "
                f"use {month.strftime('%Y-%m')} (or {month.strftime('%Y-%m')}-01)."
            )
        return month
    m = _MONTH.match(str(month).strip())
    if m is None or (m.group(3) is not None and m.group(3) != "01"):
        raise InvalidInputError(
            f"Malformed month {month!r}: use YYYY-MM (e.g. 2026-06) or the month's first day "
            "YYYY-MM-01."
        )
    year, mon = int(m.group(1)), int(m.group(2))
    if not 1 <= mon <= 12 or year < 1900:
        raise InvalidInputError(f"Malformed month {month!r}: the month must be 01-12.")
    return date(year, mon, 1)


def known_channels(wh: Warehouse) -> list[str]:
    """The channels ``ad_spend`` has rows for (the channels a budget can name)."""
    if not wh.has_table("ad_spend"):
        return []
    t = wh.table("ad_spend")
    rows = t.select("channel").distinct().order_by("channel").to_pyarrow().to_pylist()
    return [str(r["channel"]) for r in rows if r["channel"] is not None]


def validate_target(
    metric: str,
    month: str | date,
    value: Any,
    channel: str | None = None,
    *,
    channels: list[str] | None = None,
    where: str = "",
) -> tuple[str, str | None, date, float]:
    """``(metric, channel, month, value)`` checked; ``channels`` are the known channels.

    Raises
    ------
    InvalidInputError
        Unknown metric, a channel on a metric other than ``ad_spend``, an unknown channel, a
        malformed month, or a value that is not a finite number ≥ 0. ``where`` (e.g.
        ``"line 3: "``) prefixes the message.
    """
    if metric not in TARGET_METRICS:
        raise InvalidInputError(
            f"{where}Unknown target metric {metric!r}; metrics: {', '.join(TARGET_METRICS)}."
        )
    channel = channel.strip() if isinstance(channel, str) else channel
    channel = channel or None
    if channel is not None and metric != "ad_spend":
        raise InvalidInputError(
            f"{where}A channel ({channel!r}) applies only to ad_spend budgets; leave it empty "
            f"for {metric}, which is targeted for the whole shop."
        )
    if channel is not None and channels is not None and channel not in channels:
        raise InvalidInputError(
            f"{where}Unknown channel {channel!r}: channels with ad spend are "
            f"{', '.join(channels) or '(none: load ad_spend first)'}."
        )
    try:
        month_day = parse_month(month)
    except InvalidInputError as exc:
        raise InvalidInputError(f"{where}{exc}") from None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number) or number < 0:
        raise InvalidInputError(
            f"{where}Target value {value!r} for {metric} is not allowed: use a number >= 0 "
            "(a monthly total; a ratio such as conversion_rate as a fraction, e.g. 0.03)."
        )
    return metric, channel, month_day, number


def list_targets(
    wh: Warehouse, month: str | date | None = None, *, metric: str | None = None
) -> list[Target]:
    """Targets (of ``month`` / ``metric`` when given) by month, metric and channel."""
    if not wh.has_table("targets"):
        return []
    t = wh.table("targets")
    if month is not None:
        t = t.filter(t.month == parse_month(month))
    if metric is not None:
        t = t.filter(t.metric == metric)
    rows = t.to_pyarrow().to_pylist()
    out = [
        Target(r["metric"], r["channel"], r["month"], float(r["value"]), r["note"], r["updated_at"])
        for r in rows
    ]
    return sorted(out, key=lambda x: (x.month, x.metric, x.channel or ""))


def set_targets(wh: Warehouse, targets: list[Target]) -> list[Target]:
    """Insert or replace ``targets`` (already validated) by ``(metric, channel, month)``."""
    if not targets:
        return []
    if not wh.has_table("targets"):
        wh.init_schema()
    new = {(x.metric, x.channel, x.month): x for x in targets}
    kept = [x for x in list_targets(wh) if (x.metric, x.channel, x.month) not in new]
    rows = [*kept, *new.values()]
    data = pa.table(
        {
            "metric": pa.array([x.metric for x in rows], pa.string()),
            "channel": pa.array([x.channel for x in rows], pa.string()),
            "month": pa.array([x.month for x in rows], pa.date32()),
            "value": pa.array([x.value for x in rows], pa.float64()),
            "note": pa.array([x.note for x in rows], pa.string()),
            "updated_at": pa.array([x.updated_at for x in rows], pa.timestamp("us")),
        }
    )
    wh.write_arrow("targets", data, mode="overwrite")
    return list(new.values())


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def set_target(
    wh: Warehouse,
    metric: str,
    month: str | date,
    value: Any,
    *,
    channel: str | None = None,
    note: str | None = None,
) -> Target:
    """Set one target (replacing the one with the same metric, channel and month).

    Raises
    ------
    InvalidInputError
        See :func:`validate_target`; a channel must have rows in ``ad_spend``.
    """
    channels = known_channels(wh) if channel else None
    metric, channel, month_day, number = validate_target(
        metric, month, value, channel, channels=channels
    )
    target = Target(metric, channel, month_day, number, (note or "").strip() or None, _now())
    set_targets(wh, [target])
    return target


def import_targets(wh: Warehouse, path: str | Path) -> list[Target]:
    """Set every target of a CSV file with the header ``metric,channel,month,value[,note]``.

    All rows are checked before any is written: one bad row stops the import with its line.
    """
    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"Targets file {path} not found.")
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in ("metric", "month", "value") if c not in header]
        unknown = [c for c in header if c not in CSV_COLUMNS]
        if missing or unknown:
            raise InvalidInputError(
                f"{path}: the header must be {','.join(CSV_COLUMNS)} (channel and note may be "
                f"omitted); missing {missing or 'none'}, unknown {unknown or 'none'}."
            )
        raw = [{(k or "").strip(): (v or "").strip() for k, v in r.items()} for r in reader]
    channels = known_channels(wh)
    now = _now()
    targets: list[Target] = []
    seen: dict[tuple[str, str | None, date], int] = {}
    for i, r in enumerate(raw, start=2):
        where = f"{path.name} line {i}: "
        metric, channel, month_day, number = validate_target(
            r.get("metric", ""), r.get("month", ""), r.get("value", ""), r.get("channel"),
            channels=channels, where=where,
        )  # fmt: skip
        key = (metric, channel, month_day)
        if key in seen:
            raise InvalidInputError(
                f"{where}duplicates line {seen[key]} ({metric}, {channel or 'whole shop'}, "
                f"{month_day:%Y-%m}); keep one."
            )
        seen[key] = i
        targets.append(Target(metric, channel, month_day, number, r.get("note") or None, now))
    if not targets:
        raise InvalidInputError(f"{path}: no target rows below the header.")
    return set_targets(wh, targets)
