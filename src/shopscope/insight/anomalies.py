"""Daily KPI anomalies: a robust, past-only weekday-and-trend baseline scored by MAD.

For each day the baseline is fitted to the ``history_days`` days before it (never the day itself
or later, so it works online): log values are split into a weekly level, a median weekday
effect and a Theil-Sen trend through the weekly levels; the day's expected value is that fit
extrapolated to the day, and its score is the log residual over 1.4826 × MAD of the history's
residuals. Days beyond the threshold get likely drivers: the device, channel and category
members whose orders or revenue moved most against the same weekday of the previous 4 weeks.

The relational part (daily KPI table, breakdowns) is Ibis run by the backend; only one row per
day (or per day and member) reaches NumPy. See ``docs/methods/anomalies.md``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa

from shopscope.errors import InvalidInputError, NotFoundError
from shopscope.insight.cohorts import GOODS_KINDS, sale_orders
from shopscope.insight.periods import DateRange, data_range, in_range

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = [
    "DAILY_KPIS",
    "DRIVER_DIMENSIONS",
    "Anomaly",
    "daily_breakdown",
    "daily_kpi_table",
    "daily_kpis",
    "detect_anomalies",
    "robust_baseline",
]

log = logging.getLogger(__name__)

DAILY_KPIS = ("revenue", "orders", "aov", "sessions", "conversion_rate")
"""KPIs :func:`daily_kpis` computes and :func:`detect_anomalies` can score."""
DRIVER_DIMENSIONS = ("device", "channel", "category")
"""Dimensions searched for likely drivers."""

_MAD_SCALE = 1.4826  # 1 / Phi^-1(3/4): MAD -> standard deviation under normality
_MEAN_AD_SCALE = 1.2533  # sqrt(pi / 2): mean absolute deviation -> sd, the MAD = 0 fallback
_SIGMA_FLOOR = 1e-3  # log scale: changes under ~0.35% are never scored as anomalies
_OFFSET_SHARE = 0.01  # log(y + 1% of the typical level) keeps zero days finite
_DRIVER_WEEKS = 4


@dataclass(frozen=True)
class Anomaly:
    """One anomalous day of one KPI.

    Attributes
    ----------
    day, kpi, value
        The day, the KPI name and its value that day.
    expected
        The baseline value for the day (from earlier days only).
    score
        Robust z: the log-scale residual over 1.4826 × MAD of the history's residuals.
    direction
        ``"up"`` or ``"down"``.
    size
        Relative deviation ``(value - expected) / expected``.
    drivers
        Likely drivers, e.g. ``"device=mobile: orders -42% vs usual (47% of the change)"``.
    """

    day: date
    kpi: str
    value: float
    expected: float
    score: float
    direction: Literal["up", "down"]
    size: float
    drivers: tuple[str, ...] = ()


# -- relational part (Ibis) -------------------------------------------------------------------


def daily_kpi_table(wh: Warehouse, period: DateRange) -> ir.Table:
    """Per day with orders or events: revenue, orders, sessions, purchase_sessions.

    Days without activity are absent (:func:`daily_kpis` zero-fills them). ``revenue`` and
    ``orders`` count sale orders (see :func:`shopscope.insight.cohorts.sale_orders`), guests
    included; ``sessions`` are distinct event sessions and ``purchase_sessions`` those with a
    ``purchase`` event.
    """
    s = in_range(sale_orders(wh), "ordered_at", period)
    by_orders = s.group_by(day=s.ordered_at.date()).aggregate(
        revenue=s.revenue.sum(), orders=s.count()
    )
    e = in_range(wh.table("events"), "occurred_at", period)
    by_events = e.group_by(day=e.occurred_at.date()).aggregate(
        sessions=e.session_id.nunique(),
        purchase_sessions=e.session_id.nunique(where=e.event_type == "purchase"),
    )
    j = by_orders.outer_join(by_events, by_orders.day == by_events.day)
    return j.select(
        day=ibis.coalesce(j.day, j.day_right),
        revenue=j.revenue,
        orders=j.orders,
        sessions=j.sessions,
        purchase_sessions=j.purchase_sessions,
    )


def daily_breakdown(wh: Warehouse, days: Sequence[date], dimension: str) -> ir.Table:
    """Sale orders and revenue per day and member of ``dimension`` on the given days.

    ``dimension`` is ``device`` or ``channel`` (of the order) or ``category`` (of the goods
    lines; an order with lines in two categories counts in both). Columns: day, member,
    orders, revenue.
    """
    if dimension not in DRIVER_DIMENSIONS:
        raise InvalidInputError(
            f"Unknown dimension {dimension!r}; allowed: {', '.join(DRIVER_DIMENSIONS)}."
        )
    span = DateRange(min(days), max(days))
    s = in_range(sale_orders(wh), "ordered_at", span)
    s = s.mutate(day=s.ordered_at.date())
    s = s.filter(s.day.isin(list(days)))
    if dimension != "category":
        return s.group_by("day", member=ibis.coalesce(s[dimension], "(none)")).aggregate(
            orders=s.count(), revenue=s.revenue.sum()
        )
    items = wh.table("order_items")
    products = wh.table("products").select("sku", "item_kind", "category")
    lines = items.left_join(products, items.sku == products.sku)
    goods = lines.item_kind.isnull() | lines.item_kind.isin(list(GOODS_KINDS))
    lines = lines.filter(goods & (lines.quantity > 0))
    j = s.select("order_id", "day").join(lines, "order_id")
    return j.group_by("day", member=ibis.coalesce(j.category, "(none)")).aggregate(
        orders=j.order_id.nunique(), revenue=(j.quantity * j.unit_price).sum()
    )


# -- daily series -----------------------------------------------------------------------------


def daily_kpis(wh: Warehouse, period: DateRange) -> pa.Table:
    """One row per day of ``period``: day, revenue, orders, aov, sessions, conversion_rate.

    Days without sale orders have revenue and orders 0 and a null ``aov``; ``sessions`` and
    ``conversion_rate`` (sessions with a purchase / sessions) are null on days without events.
    """
    raw = daily_kpi_table(wh, period).to_pyarrow().to_pylist()
    by_day = {r["day"]: r for r in raw}
    days = [period.start + timedelta(days=i) for i in range(period.days)]
    cols: dict[str, list[float | None]] = {k: [] for k in DAILY_KPIS}
    for d in days:
        r = by_day.get(d, {})
        revenue = float(r.get("revenue") or 0.0)
        orders = int(r.get("orders") or 0)
        sessions = r.get("sessions")
        cols["revenue"].append(revenue)
        cols["orders"].append(orders)
        cols["aov"].append(revenue / orders if orders else None)
        cols["sessions"].append(sessions)
        cols["conversion_rate"].append(
            (r.get("purchase_sessions") or 0) / sessions if sessions else None
        )
    return pa.table(
        {
            "day": pa.array(days, pa.date32()),
            "revenue": pa.array(cols["revenue"], pa.float64()),
            "orders": pa.array(cols["orders"], pa.int64()),
            "aov": pa.array(cols["aov"], pa.float64()),
            "sessions": pa.array(cols["sessions"], pa.int64()),
            "conversion_rate": pa.array(cols["conversion_rate"], pa.float64()),
        }
    )


# -- the baseline -----------------------------------------------------------------------------


def _theil_sen(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Median pairwise slope and median intercept (Theil 1950; Sen 1968)."""
    i, j = np.triu_indices(len(x), k=1)
    slope = float(np.median((y[j] - y[i]) / (x[j] - x[i])))
    return slope, float(np.median(y - slope * x))


def robust_baseline(history: np.ndarray) -> tuple[float, float, float] | None:
    """Expected log value of the next day, its robust scale and the log offset.

    Parameters
    ----------
    history
        The values of the days before the scored day, oldest first; its length is a multiple
        of 7, so ``history[0::7]`` fall on the scored day's weekday.

    Returns
    -------
    tuple of float or None
        ``(expected_log, sigma, offset)`` on the scale ``log(y + offset)``; None when the
        history has missing values or no positive level (nothing to compare with).

    Notes
    -----
    ``x = log(y + c)`` with ``c`` 1% of the history median. With ``W`` weekly blocks
    (``x[w, d]``): level ``l_w = median_d(x[w, d] - s_d)``, weekday effect
    ``s_d = median_w(x[w, d] - l_w)`` centred to mean 0 (two alternations from
    ``l_w = median_d x[w, d]``), trend ``a + b t`` by Theil-Sen through ``(centre_w, l_w)``.
    Expected ``a + b H + s_0``; ``sigma = 1.4826 MAD(residuals) sqrt(1 + pi / (2 W))`` (the
    factor accounts for the weekday median's own error), floored at 1e-3.

    References
    ----------
    .. [1] Cleveland, R. B., Cleveland, W. S., McRae, J. E., & Terpenning, I. (1990). STL: a
       seasonal-trend decomposition procedure based on loess. *Journal of Official Statistics*
       6(1), 3-73.
    .. [2] Sen, P. K. (1968). Estimates of the regression coefficient based on Kendall's tau.
       *JASA* 63(324), 1379-1389.
    .. [3] Leys, C., Ley, C., Klein, O., Bernard, P., & Licata, L. (2013). Detecting outliers:
       do not use standard deviation around the mean, use absolute deviation around the
       median. *Journal of Experimental Social Psychology* 49(4), 764-766.
    """
    n = len(history)
    weeks = n // 7
    if weeks < 2 or n % 7 or np.isnan(history).any():
        return None
    typical = float(np.median(history)) or float(np.mean(history))
    if typical <= 0:
        return None
    offset = _OFFSET_SHARE * typical
    x = np.log(np.maximum(history, 0.0) + offset).reshape(weeks, 7)
    level = np.median(x, axis=1)
    for _ in range(2):
        season = np.median(x - level[:, None], axis=0)
        season -= season.mean()
        level = np.median(x - season[None, :], axis=1)
    centres = np.arange(weeks) * 7.0 + 3.0
    slope, intercept = _theil_sen(centres, level)
    fitted = intercept + slope * np.arange(n) + np.tile(season, weeks)
    resid = x.ravel() - fitted
    sigma = _MAD_SCALE * float(np.median(np.abs(resid - np.median(resid))))
    if sigma == 0.0:
        sigma = _MEAN_AD_SCALE * float(np.mean(np.abs(resid - resid.mean())))
    sigma = max(sigma, _SIGMA_FLOOR) * math.sqrt(1.0 + math.pi / (2.0 * weeks))
    return intercept + slope * n + float(season[0]), sigma, offset


# -- detection --------------------------------------------------------------------------------


def _validate(kpis: Sequence[str], threshold: float, history_days: int) -> None:
    unknown = [k for k in kpis if k not in DAILY_KPIS]
    if unknown or not kpis:
        raise InvalidInputError(
            f"Unknown KPI(s) {unknown or list(kpis)}; allowed: {', '.join(DAILY_KPIS)}."
        )
    if not (threshold > 0 and math.isfinite(threshold)):
        raise InvalidInputError(f"threshold must be a positive number, got {threshold!r}.")
    if history_days < 14 or history_days % 7:
        raise InvalidInputError(
            f"history_days must be a multiple of 7 and at least 14, got {history_days}."
        )


def detect_anomalies(
    wh: Warehouse,
    period: DateRange,
    *,
    kpis: Sequence[str] = ("revenue", "orders", "conversion_rate"),
    threshold: float = 3.5,
    history_days: int = 56,
) -> list[Anomaly]:
    """Days of ``period`` whose KPIs deviate from a robust weekday-and-trend baseline.

    Parameters
    ----------
    wh
        The warehouse.
    period
        Days to score; each needs ``history_days`` days of data before it.
    kpis
        KPIs to score, from :data:`DAILY_KPIS`.
    threshold
        Flag a day when ``|score| >= threshold`` (robust z; 3.5 after Iglewicz & Hoaglin).
    history_days
        Days of history each baseline uses (a multiple of 7, at least 14).

    Returns
    -------
    list of Anomaly
        Sorted by day, then KPI order. Days that cannot be scored (too little history, no
        events for event KPIs) are skipped with a logged warning; when no day can be scored the
        list is empty.

    Raises
    ------
    NotFoundError
        The warehouse has no orders.
    InvalidInputError
        Unknown KPI, non-positive threshold or bad ``history_days``.

    References
    ----------
    .. [1] Iglewicz, B., & Hoaglin, D. C. (1993). *How to Detect and Handle Outliers*. ASQC
       Quality Press (modified z-score, threshold 3.5).
    .. [2] Hochenbaum, J., Vallis, O. S., & Kejariwal, A. (2017). Automatic anomaly detection in
       the cloud via statistical learning. arXiv:1704.07706 (seasonal decomposition + median/MAD).
    """
    _validate(kpis, threshold, history_days)
    available = data_range(wh)
    if available is None:
        raise NotFoundError(
            "The warehouse has no orders, so there is nothing to score. Load data with "
            "`shopscope demo` or `shopscope ingest`."
        )
    lo = max(available.start, period.start - timedelta(days=history_days))
    table = daily_kpis(wh, DateRange(min(lo, period.start), period.end))
    days: list[date] = table.column("day").to_pylist()
    # Zero-filled days outside the data (before the shop opened, after the last order) are
    # unknown, not zero.
    outside = np.asarray([d < available.start or d > available.end for d in days])
    found: list[Anomaly] = []
    skipped: dict[str, int] = {}
    for kpi in kpis:
        series = np.asarray(
            [np.nan if v is None else float(v) for v in table.column(kpi).to_pylist()]
        )
        series[outside] = np.nan
        for i, day in enumerate(days):
            if day < period.start:
                continue
            fit = None if i < history_days else robust_baseline(series[i - history_days : i])
            if fit is None or np.isnan(series[i]):
                skipped[kpi] = skipped.get(kpi, 0) + 1
                continue
            expected_log, sigma, offset = fit
            value = float(series[i])
            score = (math.log(max(value, 0.0) + offset) - expected_log) / sigma
            if abs(score) < threshold:
                continue
            expected = math.exp(expected_log) - offset
            found.append(
                Anomaly(
                    day=day,
                    kpi=kpi,
                    value=value,
                    expected=expected,
                    score=score,
                    direction="up" if score > 0 else "down",
                    size=(value - expected) / expected if expected else math.inf,
                )
            )
    for kpi, n in skipped.items():
        log.warning(
            "anomalies: %d of %d days of %s not scored in %s: they need %d days of history "
            "with data before them (and events, for event-based KPIs)",
            n,
            period.days,
            kpi,
            period,
            history_days,
        )
    found.sort(key=lambda a: (a.day, list(kpis).index(a.kpi)))
    return _with_drivers(wh, found)


# -- likely drivers ---------------------------------------------------------------------------


def _with_drivers(wh: Warehouse, found: list[Anomaly]) -> list[Anomaly]:
    if not found:
        return found
    wanted = sorted(
        {a.day - timedelta(days=7 * w) for a in found for w in range(_DRIVER_WEEKS + 1)}
    )
    tables = {dim: daily_breakdown(wh, wanted, dim).to_pyarrow() for dim in DRIVER_DIMENSIONS}
    out = []
    for a in found:
        measure = "revenue" if a.kpi in ("revenue", "aov") else "orders"
        texts: list[tuple[float, str]] = []
        for dim, data in tables.items():
            texts += _dimension_drivers(a, dim, data, measure)
        texts.sort(key=lambda t: -t[0])
        out.append(
            Anomaly(
                a.day, a.kpi, a.value, a.expected, a.score, a.direction, a.size,
                tuple(t for _, t in texts),
            )
        )  # fmt: skip
    return out


def _dimension_drivers(
    a: Anomaly, dim: str, data: pa.Table, measure: str
) -> list[tuple[float, str]]:
    """Members of ``dim`` that explain most of the day's change, as (share, text)."""
    refs = [a.day - timedelta(days=7 * w) for w in range(1, _DRIVER_WEEKS + 1)]
    values: dict[str, dict[date, float]] = {}
    for r in data.to_pylist():
        values.setdefault(r["member"], {})[r["day"]] = float(r[measure] or 0.0)
    sign = 1.0 if a.direction == "up" else -1.0
    change: dict[str, tuple[float, float, float]] = {}
    for member, per_day in values.items():
        today = per_day.get(a.day, 0.0)
        usual = float(np.median([per_day.get(d, 0.0) for d in refs]))
        change[member] = (today - usual, today, usual)
    total = sum(c[0] for c in change.values())
    if total * sign <= 0:
        return []
    picked: list[tuple[float, str]] = []
    covered = 0.0
    for member, (delta, _today, usual) in sorted(change.items(), key=lambda kv: -kv[1][0] * sign):
        if delta * sign <= 0 or covered >= 0.5 or len(picked) == 2:
            break
        share = delta / total
        covered += share
        pct = f"{100 * delta / usual:+.0f}%" if usual else "new"
        picked.append(
            (share, f"{dim}={member}: {measure} {pct} vs usual ({100 * share:.0f}% of the change)")
        )
    return picked
