"""The business report: every insight section for one period, as one result object.

:func:`build_report` computes each section once; the CLI renders it as tables, JSON or a
self-contained HTML file (:mod:`shopscope.insight.html`), and later the web pages and the daily
brief render the same object. A section that the data cannot support (no events, too little
history) is left out with its reason in :attr:`Report.notes`, never shown as zero.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from shopscope.errors import InvalidInputError, ShopscopeError
from shopscope.insight.periods import Comparison, DateRange, Grain, comparison_range

if TYPE_CHECKING:
    import pyarrow as pa

    from shopscope.insight.anomalies import Anomaly
    from shopscope.insight.breakdowns import Mover
    from shopscope.insight.cohorts import CohortMatrix
    from shopscope.insight.drivers import DriverReport
    from shopscope.insight.kpis import KpiComparison
    from shopscope.warehouse.connection import Warehouse

__all__ = ["REPORT_DIMENSIONS", "SECTIONS", "Report", "build_report"]

log = logging.getLogger(__name__)

SECTIONS = ("kpis", "series", "drivers", "breakdowns", "cohorts", "anomalies")
REPORT_DIMENSIONS = ("channel", "device", "category", "country")
T = TypeVar("T")


@dataclass(frozen=True)
class Report:
    """All sections of a report; a missing section is None and explained in ``notes``."""

    period: DateRange
    previous: DateRange
    compare: Comparison
    kpis: tuple[KpiComparison, ...] = ()
    series: pa.Table | None = None
    drivers: DriverReport | None = None
    breakdowns: dict[str, pa.Table] = field(default_factory=dict)
    movers: dict[str, tuple[tuple[Mover, ...], tuple[Mover, ...]]] = field(default_factory=dict)
    cohorts: CohortMatrix | None = None
    ltv: pa.Table | None = None
    anomalies: tuple[Anomaly, ...] = ()
    notes: tuple[str, ...] = ()


def _section(name: str, notes: list[str], compute: Callable[[], T]) -> T | None:
    """Run one section; data that cannot support it becomes a note, not a failure."""
    try:
        return compute()
    except InvalidInputError:
        raise
    except ShopscopeError as exc:
        log.info("report section %s unavailable: %s", name, exc)
        notes.append(f"{name}: {exc}")
        return None


def build_report(
    wh: Warehouse,
    period: DateRange,
    *,
    compare: Comparison = "previous",
    sections: Sequence[str] = SECTIONS,
    dimensions: Sequence[str] = REPORT_DIMENSIONS,
) -> Report:
    """Compute the report for ``period`` compared with the previous period or a year earlier.

    Parameters
    ----------
    wh:
        The warehouse.
    period:
        Days to report on (see :func:`shopscope.insight.periods.resolve_range`).
    compare:
        ``"previous"`` (the equal-length period before) or ``"yoy"`` (52 weeks earlier).
    sections:
        Which of :data:`SECTIONS` to compute.
    dimensions:
        Breakdowns to include.
    """
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown:
        raise InvalidInputError(
            f"Unknown report section(s) {', '.join(unknown)}; sections: {', '.join(SECTIONS)}."
        )
    previous = comparison_range(period, compare)
    notes: list[str] = []
    parts: dict[str, Any] = {}
    if "kpis" in sections:
        from shopscope.insight.kpis import compare_kpis

        kpis = _section("kpis", notes, lambda: compare_kpis(wh, period, compare=compare))
        parts["kpis"] = tuple(kpis or ())
        notes += [f"{k.label}: {k.reason}" for k in parts["kpis"] if k.current is None and k.reason]
    if "series" in sections:
        from shopscope.insight.timeseries import series_with_comparison

        grain: Grain = "day" if period.days <= 92 else "week" if period.days <= 731 else "month"
        parts["series"] = _section(
            "series",
            notes,
            lambda: series_with_comparison(wh, period, grain=grain, compare=compare),
        )
    if "drivers" in sections:
        from shopscope.insight.drivers import explain_revenue_change

        parts["drivers"] = _section(
            "drivers", notes, lambda: explain_revenue_change(wh, period, previous)
        )
    if "breakdowns" in sections:
        from shopscope.insight.breakdowns import breakdown, movers

        tables: dict[str, pa.Table] = {}
        moved: dict[str, tuple[tuple[Mover, ...], tuple[Mover, ...]]] = {}
        for dim in dimensions:
            table = _section(dim, notes, partial(breakdown, wh, period, dim, limit=10))
            if table is not None:
                tables[dim] = table
            pair = _section(dim, notes, partial(movers, wh, period, dim, compare=compare))
            if pair is not None:
                moved[dim] = (tuple(pair[0]), tuple(pair[1]))
        parts["breakdowns"], parts["movers"] = tables, moved
    if "cohorts" in sections:
        from shopscope.insight.cohorts import cohort_matrix, ltv_curves

        parts["cohorts"] = _section(
            "cohorts", notes, lambda: cohort_matrix(wh, grain="month", max_periods=12)
        )
        parts["ltv"] = _section(
            "ltv", notes, lambda: ltv_curves(wh, by="channel", grain="month", max_periods=12)
        )
    if "anomalies" in sections:
        from shopscope.insight.anomalies import detect_anomalies

        found = _section("anomalies", notes, lambda: detect_anomalies(wh, period))
        parts["anomalies"] = tuple(found or ())
    return Report(period=period, previous=previous, compare=compare, notes=tuple(notes), **parts)
