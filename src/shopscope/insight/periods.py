"""Date ranges for analyses: validation against the data, and comparison periods.

Every insight function takes a :class:`DateRange` (inclusive dates, UTC days). Timestamps are
filtered as ``start <= ts < end + 1 day`` so the engine can use zone maps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Literal

from shopscope.errors import InvalidInputError, NotFoundError

if TYPE_CHECKING:
    import ibis

    from shopscope.warehouse.connection import Warehouse

__all__ = [
    "Comparison",
    "DateRange",
    "Grain",
    "comparison_range",
    "data_range",
    "in_range",
    "resolve_range",
]

Grain = Literal["day", "week", "month"]
Comparison = Literal["previous", "yoy"]


@dataclass(frozen=True)
class DateRange:
    """An inclusive range of UTC days."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise InvalidInputError(
                f"Date range starts {self.start} after it ends {self.end}; swap --from and --to."
            )

    @property
    def days(self) -> int:
        """Number of days in the range."""
        return (self.end - self.start).days + 1

    @property
    def start_ts(self) -> datetime:
        """First instant of the range."""
        return datetime.combine(self.start, time.min)

    @property
    def end_ts(self) -> datetime:
        """First instant after the range (exclusive bound)."""
        return datetime.combine(self.end + timedelta(days=1), time.min)

    def previous(self) -> DateRange:
        """The range of equal length that ends the day before this one starts."""
        return DateRange(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def year_ago(self) -> DateRange:
        """The same range 52 weeks (364 days) earlier, so weekdays line up."""
        return DateRange(self.start - timedelta(days=364), self.end - timedelta(days=364))

    def __str__(self) -> str:
        return f"{self.start}..{self.end}"


def comparison_range(period: DateRange, compare: Comparison) -> DateRange:
    """The range ``period`` is compared with: ``previous`` or ``yoy`` (52 weeks earlier)."""
    if compare == "previous":
        return period.previous()
    if compare == "yoy":
        return period.year_ago()
    raise InvalidInputError(f"Unknown comparison {compare!r}; use previous or yoy.")


def in_range(table: ibis.Table, column: str, period: DateRange) -> ibis.Table:
    """Rows of ``table`` whose timestamp/date ``column`` falls in ``period``."""
    col = table[column]
    if col.type().is_date():
        return table.filter((col >= period.start) & (col <= period.end))
    return table.filter((col >= period.start_ts) & (col < period.end_ts))


def data_range(wh: Warehouse) -> DateRange | None:
    """First and last order day in the warehouse, or None when there are no orders."""
    orders = wh.table("orders")
    row = orders.aggregate(lo=orders.ordered_at.min(), hi=orders.ordered_at.max()).to_pyarrow()
    lo, hi = row.column("lo")[0].as_py(), row.column("hi")[0].as_py()
    if lo is None or hi is None:
        return None
    return DateRange(lo.date(), hi.date())


def resolve_range(
    wh: Warehouse, start: date | None = None, end: date | None = None, *, default_days: int = 28
) -> DateRange:
    """The range to analyse: explicit bounds, else the last ``default_days`` days of data.

    Raises
    ------
    NotFoundError
        The warehouse has no orders.
    InvalidInputError
        The requested range does not overlap the data.
    """
    available = data_range(wh)
    if available is None:
        raise NotFoundError(
            "The warehouse has no orders to analyse. Load data with `shopscope demo` or "
            "`shopscope ingest`."
        )
    end = end or available.end
    start = start or max(available.start, end - timedelta(days=default_days - 1))
    period = DateRange(start, end)
    if period.end < available.start or period.start > available.end:
        raise InvalidInputError(
            f"Date range {period} is outside the data ({available}). Choose dates within it, "
            "or omit --from/--to for the last 28 days of data."
        )
    return period
