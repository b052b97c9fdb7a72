"""Forecast findings: demand that left the prediction interval of the forecast made earlier."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from shopscope.errors import ConfigurationError, NotFoundError, ShopscopeError
from shopscope.team.brief.model import Finding
from shopscope.team.brief.providers.registry import BriefContext, param, pct, provider

__all__ = ["forecast_breaks"]

if TYPE_CHECKING:
    from shopscope.supply.forecast import Level
    from shopscope.warehouse.connection import Warehouse


def _forecast_totals(
    wh: Warehouse, level: Level, cut: date, h: int, top: int, days: int
) -> dict[str, tuple[float, float]]:
    """Per series: the ``h``-day forecast total made at ``cut`` from the ``days`` days before
    it and its scale ``rmse * h^b`` (one-day backtest RMSE, fitted error-growth exponent)."""
    from shopscope.supply.forecast import ForecastConfig, demand_panel, forecast_panel

    start = cut - timedelta(days=days - 1)
    history = demand_panel(wh, level=level, start=start, end=cut, top=top)
    config = ForecastConfig(horizon=h, heavy_models=(), criterion="mse")
    result = forecast_panel(history, config)
    sums = result.forecast.group_by("series_id").aggregate([("forecast", "sum")]).to_pylist()
    total = {r["series_id"]: float(r["forecast_sum"]) for r in sums}
    spread = h**result.error_growth
    out: dict[str, tuple[float, float]] = {}
    for r in result.series.select(["series_id", "rmse"]).to_pylist():
        e = r["rmse"]
        if e is not None and np.isfinite(e) and e > 0:
            out[r["series_id"]] = (total[r["series_id"]], float(e) * spread)
    return out


def _actual_totals(
    wh: Warehouse, level: Level, cut: date, h: int
) -> tuple[dict[str, float], set[str]]:
    """Per series: units sold in the ``h`` days after ``cut``, and the SKUs out of stock then."""
    from shopscope.supply.forecast import demand_panel

    try:
        panel = demand_panel(
            wh,
            level=level,
            start=cut + timedelta(days=1),
            end=cut + timedelta(days=h),
        )
    except NotFoundError:
        return {}, set()
    sold = {sid: float(panel.values[i].sum()) for i, sid in enumerate(panel.ids)}
    out = {sid for i, sid in enumerate(panel.ids) if panel.censored[i].any()}
    return sold, out


def interval_width(
    wh: Warehouse,
    level: Level,
    cut: date,
    h: int,
    top: int,
    days: int,
    origins: int,
    coverage: float,
) -> float:
    """Split-conformal multiplier: the ``coverage`` quantile of ``|actual - F| / scale`` over
    the forecasts made at the ``origins`` cut-offs ``cut - h, cut - 2h, ...`` (each fitted on
    its own history and scored on the ``h`` days after it), pooled over series."""
    scores: list[float] = []
    for j in range(1, origins + 1):
        past = cut - timedelta(days=j * h)
        try:
            made = _forecast_totals(wh, level, past, h, top, days)
        except ShopscopeError:
            break  # history too short for earlier origins
        sold, _ = _actual_totals(wh, level, past, h)
        scores += [abs(sold.get(s, 0.0) - f) / scale for s, (f, scale) in made.items()]
    if len(scores) < 10:
        raise NotFoundError(
            f"Only {len(scores)} past forecasts to calibrate the interval (need 10): the history "
            f"before {cut} is too short for {origins} origins of {h} days."
        )
    k = min(math.ceil((len(scores) + 1) * coverage), len(scores))
    return float(np.sort(scores)[k - 1])


@provider("forecast_breaks")
def forecast_breaks(ctx: BriefContext, params: dict[str, Any]) -> list[Finding]:
    """Series whose demand over the last ``horizon`` days fell outside the forecast made then.

    The ``top`` series of ``level`` (by units up to the cut-off ``as_of - horizon``) are
    forecast from the ``history_days`` days up to the cut-off (``supply.forecast``, batch
    models selected on squared error, no statsforecast stage). The interval of the
    ``horizon``-day total is ``F ± q·rmse·horizon^b``: ``F`` the forecast's sum, ``rmse`` the
    series' one-day backtest RMSE, ``b`` the fitted error-growth exponent and ``q`` a
    split-conformal multiplier, the ``coverage`` quantile of ``|actual - F| /
    (rmse·horizon^b)`` over the forecasts made at the ``origins`` earlier cut-offs. A series
    whose actual total lies outside, with at least ``min_units`` forecast or sold, is a
    finding; a shortfall on a SKU that was out of stock in the window is not (demand was not
    observed). At most ``max_items``, furthest beyond their bound (in units of scale) first.
    """
    h = param(params, "horizon", 28, int)
    top = param(params, "top", 20, int)
    level = cast("Level", param(params, "level", "sku", str))
    coverage = param(params, "coverage", 0.99, float)
    origins = param(params, "origins", 3, int)
    days = param(params, "history_days", 182, int)
    min_units = param(params, "min_units", 10.0, float)
    limit = param(params, "max_items", 5, int)
    if level not in ("sku", "category"):
        raise ConfigurationError(f"Rule parameter level={level!r} must be sku or category.")
    if not 0 < coverage < 1 or origins < 1 or h < 1 or days < 4 * h:
        raise ConfigurationError(
            "Rule parameters: coverage in (0, 1), origins and horizon >= 1, "
            "history_days >= 4 x horizon."
        )
    cut = ctx.as_of - timedelta(days=h)
    made = _forecast_totals(ctx.wh, level, cut, h, top, days)
    q = interval_width(ctx.wh, level, cut, h, top, days, origins, coverage)
    sold, stocked_out = _actual_totals(ctx.wh, level, cut, h)
    out: list[Finding] = []
    for sid, (f, scale) in made.items():
        y = sold.get(sid, 0.0)
        lower, upper = max(f - q * scale, 0.0), f + q * scale
        if max(f, y) < min_units or lower <= y <= upper or (y < lower and sid in stocked_out):
            continue
        above = y > upper
        bound = upper if above else lower
        out.append(
            Finding(
                key=f"forecast:{sid}",
                values={
                    "series": sid,
                    "level": level,
                    "actual": f"{y:,.0f}",
                    "forecast": f"{f:,.0f}",
                    "lower": f"{lower:,.0f}",
                    "upper": f"{upper:,.0f}",
                    "side": "above" if above else "below",
                    "side_zh": "高于" if above else "低于",
                    "beyond_pct": pct(y / bound - 1.0) if bound else "n/a",
                    "coverage_pct": f"{coverage:.0%}",
                    "made": cut.isoformat(),
                    "horizon": h,
                },
                evidence={
                    "actual": y,
                    "forecast": f,
                    "lower": lower,
                    "upper": upper,
                    "scale": scale,
                    "conformal_q": q,
                    "beyond_scales": abs(y - bound) / scale,
                },
            )
        )
    return sorted(out, key=lambda x: -x.evidence["beyond_scales"])[:limit]
