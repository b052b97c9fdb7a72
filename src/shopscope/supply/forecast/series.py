"""Demand series built in the engine: units sold per SKU, category or in total, per day or week.

The engine aggregates order lines to ``(key, bucket, units)`` triplets and the stock-out and
promotion calendars to ``(key, bucket)`` flags; only those compact summaries reach NumPy, where
they fill a dense :class:`DemandPanel` (one row per series).

* Demand = units of goods on *sale lines* (``quantity > 0``, order status not cancelled /
  returned / refunded), as in ``docs/methods/kpis.md``; returns do not reduce demand.
* Stock-outs (SKU level only): a day is **censored** when the SKU's ``on_hand`` summed over its
  locations is ``<= 0`` at the end of the day; a week is censored when any of its days is.
  Censored periods are a lower bound on demand: models never fit them as zeros and accuracy
  is not scored on them.
* Promotions: a day is a **promotion day** when discounts are at least ``promo_threshold``
  (default 5%) of the day's goods value; a week when any of its days is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import ibis
import ibis.expr.types as ir
import numpy as np
import numpy.typing as npt

from shopscope.errors import InvalidInputError, NotFoundError
from shopscope.insight.definitions import GOODS_KINDS, REVERSAL_STATUSES
from shopscope.warehouse.connection import Warehouse

__all__ = ["DemandPanel", "Grain", "Level", "demand_panel"]

Grain = Literal["day", "week"]
Level = Literal["sku", "category", "total"]
_STEP = {"day": 1, "week": 7}


@dataclass(frozen=True)
class DemandPanel:
    """Dense demand per series and period, with stock-out and promotion flags.

    Attributes
    ----------
    ids
        Series keys (SKU, category or ``"total"``), one per row.
    start
        First bucket (a Monday for weeks).
    grain
        ``"day"`` or ``"week"``.
    values
        Units, shape ``(len(ids), periods)``.
    censored
        True where the period had a stock-out (demand not fully observed).
    promo
        True on promotion periods, shape ``(periods,)``.
    """

    ids: tuple[str, ...]
    start: date
    grain: Grain
    values: npt.NDArray[np.float64]
    censored: npt.NDArray[np.bool_]
    promo: npt.NDArray[np.bool_]

    def __post_init__(self) -> None:
        if self.values.ndim != 2 or self.values.shape[0] != len(self.ids):
            raise InvalidInputError(
                f"values has shape {self.values.shape}; expected ({len(self.ids)}, periods)."
            )
        if self.censored.shape != self.values.shape or self.promo.shape != self.values.shape[1:]:
            raise InvalidInputError("censored must match values and promo its period axis.")
        if np.isnan(self.values).any() or (self.values < 0).any():
            raise InvalidInputError(
                "Demand must be finite and >= 0; mark unobserved periods as censored instead."
            )

    @property
    def periods(self) -> int:
        """Number of periods."""
        return int(self.values.shape[1])

    @property
    def step(self) -> timedelta:
        """Length of one period."""
        return timedelta(days=_STEP[self.grain])

    def dates(self, offset: int = 0, count: int | None = None) -> list[date]:
        """Bucket start dates from ``offset`` (may pass the end, for forecasts)."""
        count = self.periods - offset if count is None else count
        return [self.start + self.step * (offset + i) for i in range(count)]

    def head(self, periods: int) -> DemandPanel:
        """The first ``periods`` periods (a history cut for hold-out evaluation)."""
        return DemandPanel(
            self.ids,
            self.start,
            self.grain,
            self.values[:, :periods],
            self.censored[:, :periods],
            self.promo[:periods],
        )

    def rows(self, index: npt.ArrayLike) -> DemandPanel:
        """The series at ``index`` (positions), in that order."""
        i = np.asarray(index, dtype=np.int64)
        return DemandPanel(
            tuple(self.ids[k] for k in i),
            self.start,
            self.grain,
            self.values[i],
            self.censored[i],
            self.promo,
        )

    @classmethod
    def from_array(
        cls,
        values: npt.ArrayLike,
        *,
        ids: tuple[str, ...] | None = None,
        start: date = date(2024, 1, 1),
        grain: Grain = "day",
        censored: npt.ArrayLike | None = None,
        promo: npt.ArrayLike | None = None,
    ) -> DemandPanel:
        """A panel from an array ``(series, periods)`` (tests, benchmarks, other sources)."""
        v = np.atleast_2d(np.asarray(values, dtype=np.float64))
        names = ids if ids is not None else tuple(f"s{i}" for i in range(v.shape[0]))
        c = np.zeros(v.shape, bool) if censored is None else np.asarray(censored, dtype=bool)
        p = np.zeros(v.shape[1], bool) if promo is None else np.asarray(promo, dtype=bool)
        return cls(names, start, grain, v, c, p)


def _bucket(d: ir.DateValue, grain: Grain) -> ir.DateValue:
    return d if grain == "day" else d.truncate("W")


def _sale_lines(wh: Warehouse) -> ir.Table:
    orders = wh.table("orders").select("order_id", "ordered_at", "status")
    items = wh.table("order_items").select("order_id", "sku", "quantity", "unit_price")
    products = wh.table("products").select("sku", "item_kind", "category")
    t = items.join(orders, "order_id").left_join(products, "sku")
    t = t.drop("sku_right") if "sku_right" in t.columns else t
    goods = t.item_kind.fill_null("product").isin(GOODS_KINDS)
    return t.filter(goods & (t.quantity > 0) & ~t.status.isin(REVERSAL_STATUSES))


def demand_panel(
    wh: Warehouse,
    *,
    level: Level = "sku",
    grain: Grain = "day",
    start: date | None = None,
    end: date | None = None,
    skus: tuple[str, ...] | None = None,
    top: int | None = None,
    promo_threshold: float = 0.05,
) -> DemandPanel:
    """Build the demand panel of ``level`` at ``grain`` from the warehouse.

    Parameters
    ----------
    level
        ``"sku"``, ``"category"`` or ``"total"``.
    start, end
        Inclusive days; default: the first and last day with a sale line.
    skus
        Only these SKUs (SKU level).
    top
        Only the ``top`` series by units over the range.
    promo_threshold
        Share of the day's goods value given as discount from which a day is a promotion day.

    Raises
    ------
    NotFoundError
        No sale lines in the range.
    InvalidInputError
        Unknown level or grain, or SKUs that have no sale lines.
    """
    if level not in ("sku", "category", "total"):
        raise InvalidInputError(f"Unknown level {level!r}; use sku, category or total.")
    if grain not in _STEP:
        raise InvalidInputError(f"Unknown grain {grain!r}; use day or week.")
    if top is not None and top < 1:
        raise InvalidInputError(f"top = {top}; use a positive number of series (--top).")
    lines = _sale_lines(wh)
    day = lines.ordered_at.date()
    lines = lines.mutate(day=day)
    if start is not None:
        lines = lines.filter(lines.day >= start)
    if end is not None:
        lines = lines.filter(lines.day <= end)
    if skus is not None:
        lines = lines.filter(lines.sku.isin(list(skus)))
    key = {
        "sku": lines.sku,
        "category": lines.category.fill_null("(none)"),
        "total": ibis.literal("total"),
    }[level]
    lines = lines.mutate(key=key, bucket=_bucket(lines.day, grain))
    span = lines.aggregate(lo=lines.day.min(), hi=lines.day.max()).to_pyarrow()
    lo, hi = span.column("lo")[0].as_py(), span.column("hi")[0].as_py()
    if lo is None:
        where = f" for {', '.join(skus)}" if skus else ""
        raise NotFoundError(
            f"No sale lines{where} between {start or 'the start'} and {end or 'the end'}. "
            "Check the SKUs and dates, or load data with `shopscope demo` / `shopscope ingest`."
        )
    first = start or lo
    last = end or hi
    first_bucket = first if grain == "day" else first - timedelta(days=first.weekday())
    agg = lines.group_by("key", "bucket").aggregate(units=lines.quantity.sum())
    if top is not None:
        totals = agg.group_by("key").aggregate(total=agg.units.sum())
        keep = totals.order_by([ibis.desc("total"), "key"]).limit(top).select("key")
        agg = agg.semi_join(keep, "key")
    triplets = agg.to_pyarrow()
    ids = tuple(sorted(set(triplets.column("key").to_pylist())))
    if skus is not None and level == "sku":
        missing = sorted(set(skus) - set(ids))
        if missing:
            raise InvalidInputError(
                f"No sale lines for SKU {', '.join(missing)} in the range; drop them or widen "
                "the dates."
            )
    step = _STEP[grain]
    periods = (last - first_bucket).days // step + 1
    row = {k: i for i, k in enumerate(ids)}
    values = np.zeros((len(ids), periods))
    r = np.array([row[k] for k in triplets.column("key").to_pylist()], dtype=np.int64)
    c = _offsets(triplets.column("bucket").to_pylist(), first_bucket, step)
    values[r, c] = np.asarray(triplets.column("units").to_numpy(zero_copy_only=False), float)
    censored = np.zeros(values.shape, bool)
    if level == "sku":
        _mark_stockouts(wh, censored, row, first_bucket, first, last, grain)
    promo = _promotions(wh, periods, first_bucket, first, last, grain, promo_threshold)
    return DemandPanel(ids, first_bucket, grain, values, censored, promo)


def _offsets(days: list[date], first: date, step: int) -> npt.NDArray[np.int64]:
    return np.array([(d - first).days // step for d in days], dtype=np.int64)


def _mark_stockouts(
    wh: Warehouse,
    censored: npt.NDArray[np.bool_],
    row: dict[str, int],
    first_bucket: date,
    first: date,
    last: date,
    grain: Grain,
) -> None:
    if not wh.has_table("inventory"):
        return
    inv = wh.table("inventory")
    inv = inv.filter((inv.date >= first) & (inv.date <= last))
    daily = inv.group_by("sku", "date").aggregate(on_hand=inv.on_hand.sum())
    out = daily.filter(daily.on_hand <= 0)
    out = out.mutate(bucket=_bucket(out.date, grain)).select("sku", "bucket").distinct()
    flags = out.to_pyarrow()
    if flags.num_rows == 0:
        return
    keys = flags.column("sku").to_pylist()
    known = np.array([k in row for k in keys])
    r = np.array([row.get(k, -1) for k in keys], dtype=np.int64)[known]
    c = _offsets(flags.column("bucket").to_pylist(), first_bucket, _STEP[grain])[known]
    censored[r, c] = True


def _promotions(
    wh: Warehouse,
    periods: int,
    first_bucket: date,
    first: date,
    last: date,
    grain: Grain,
    threshold: float,
) -> npt.NDArray[np.bool_]:
    lines = _sale_lines(wh)
    lines = lines.mutate(day=lines.ordered_at.date())
    lines = lines.filter((lines.day >= first) & (lines.day <= last))
    orders = wh.table("orders").select("order_id", "discount_amount")
    per_order = lines.group_by("order_id", "day").aggregate(
        goods=(lines.quantity * lines.unit_price).sum()
    )
    per_order = per_order.join(orders, "order_id")
    per_day = per_order.group_by("day").aggregate(
        discount=per_order.discount_amount.fill_null(0.0).sum(), goods=per_order.goods.sum()
    )
    hits = per_day.filter(per_day.discount >= threshold * per_day.goods)
    hits = hits.mutate(bucket=_bucket(hits.day, grain)).select("bucket").distinct().to_pyarrow()
    promo = np.zeros(periods, bool)
    if hits.num_rows:
        promo[_offsets(hits.column("bucket").to_pylist(), first_bucket, _STEP[grain])] = True
    return promo
