"""Forecast every series of a :class:`DemandPanel`: backtest, select per series, forecast.

1. Every batch model forecasts every series in each rolling-origin window (:mod:`.backtest`).
2. Each series takes its segment's best model, or its own when clearly better (:mod:`.selection`).
3. Optionally, statsforecast models are tried on the head and adopted where they beat the batch
   winner by a margin (:mod:`.heavy`).
4. The chosen model forecasts the next ``horizon`` periods from the whole (imputed) history;
   the prediction interval adds the empirical quantiles of the series' own backtest errors.
"""

from __future__ import annotations

import logging

import numpy as np
import pyarrow as pa

from shopscope.errors import InvalidInputError
from shopscope.supply.forecast.backtest import (
    Backtest,
    Scores,
    impute,
    loss,
    promo_uplift,
    run_backtest,
    score,
)
from shopscope.supply.forecast.batch import BATCH_MODELS
from shopscope.supply.forecast.config import BENCHMARK, ForecastConfig
from shopscope.supply.forecast.heavy import HeavyOutcome, HeavyRun, run_heavy
from shopscope.supply.forecast.selection import segments, select
from shopscope.supply.forecast.series import DemandPanel
from shopscope.supply.forecast.summary import (
    Accuracy,
    DemandClasses,
    ForecastResult,
    aggregate,
    demand_classes,
)

__all__ = ["forecast_panel"]

log = logging.getLogger(__name__)


def forecast_panel(panel: DemandPanel, config: ForecastConfig | None = None) -> ForecastResult:
    """Backtest, select and forecast every series of ``panel``.

    The per-series table reports the chosen model's backtest over all windows. The pooled
    accuracy (:attr:`ForecastResult.accuracy`) is out of sample: with two or more windows the
    selection is redone on all windows but the last and scored on the last one only.

    Raises
    ------
    InvalidInputError
        An empty panel, or a history too short for the backtest (the message says what to
        change).
    """
    cfg = config or ForecastConfig()
    if not panel.ids:
        raise InvalidInputError("The demand panel has no series; nothing to forecast.")
    m = cfg.season or (7 if panel.grain == "day" else 52)
    h = cfg.horizon or (28 if panel.grain == "day" else 8)
    y, cens, promo = panel.values, panel.censored, panel.promo
    n = y.shape[0]
    hits = y > 0
    first_sale = np.where(hits.any(axis=1), np.argmax(hits, axis=1), panel.periods)
    listed = np.arange(panel.periods)[None, :] >= first_sale[:, None]
    bt = run_backtest(
        y, cens, promo, listed, horizon=h, windows=cfg.windows, step=cfg.step or h, season=m,
        models=_backtested(cfg),
    )  # fmt: skip
    candidates = bt.forecasts[: len(cfg.models)]
    losses = np.stack([loss(f, bt.actual, bt.scored, cfg.criterion) for f in candidates])
    classes = demand_classes(y, listed)
    segment = segments(classes.label, y.sum(axis=1) / np.maximum(listed.sum(axis=1), 1))
    pick, has_score = _select(losses, bt.scored, segment, cfg)
    rows = np.arange(n)
    chosen_bt = bt.forecasts[pick, rows]
    names = np.array(cfg.models, dtype=object)[pick]

    clean = impute(y, cens | promo[None, :], m)
    uplift = promo_uplift(y, cens, promo, m)
    planned = set(cfg.future_promo)
    future = np.array([d in planned for d in panel.dates(panel.periods, h)], dtype=bool)
    boost = np.where(future, uplift, 1.0)
    final = np.zeros((n, h))
    for k, name in enumerate(cfg.models):
        sel = pick == k
        if sel.any():
            final[sel] = BATCH_MODELS[name](clean[sel], h, m) * boost

    heavy = HeavyOutcome({}, {}, HeavyRun(cfg.heavy_models, 0, 0, False, 0.0))
    if cfg.heavy_models and cfg.heavy_series > 0:
        head = np.flatnonzero(has_score & np.isin(classes.label, ("smooth", "erratic")))
        head = head[np.argsort(-y[head].sum(axis=1), kind="stable")][: cfg.heavy_series]
        heavy = run_heavy(
            clean, head, losses[pick, rows], bt.actual, bt.scored, bt.boost,
            names=cfg.heavy_models, cuts=bt.origins, horizon=h, season=m,
            margin=cfg.heavy_margin, criterion=cfg.criterion,
        )  # fmt: skip
        for r, (name, forecast) in heavy.adopted.items():
            names[r] = name
            chosen_bt[r] = heavy.backtests[r][name]
            final[r] = forecast * boost
    sales = hits.sum(axis=1)
    status = np.where(sales == 0, "all_zero", np.where(sales == 1, "one_sale", "ok"))
    final[sales == 0] = 0.0
    chosen = score(chosen_bt, bt.actual, bt.scored, bt.scale)
    resid = np.where(bt.scored, bt.actual - chosen_bt, np.nan).reshape(n, -1)
    lower, upper = _interval(final, resid, cfg.coverage)
    return ForecastResult(
        grain=panel.grain,
        horizon=h,
        season=m,
        coverage=cfg.coverage,
        backtest_origins=tuple(panel.start + panel.step * o for o in bt.origins),
        series=_series_table(panel, status, classes, names, chosen, resid, bt, final),
        forecast=_forecast_table(panel, h, final, lower, upper, future),
        accuracy=_accuracy(bt, cfg, heavy, segment),
        promo_uplift=uplift,
        heavy=heavy.run,
        error_growth=error_growth(resid.reshape(bt.scored.shape)),
    )


def error_growth(resid: np.ndarray) -> float:
    """Fit ``b`` in ``sd(Σ_(j<=k) e_j) = sd_1 k^b`` to residuals ``(n, W, h)`` (NaN: unscored).

    Only fully scored windows count; each series is scaled by its own one-period RMSE so that
    big series do not dominate. Returns 0.5 (independent errors) when there is too little data.
    """
    full = np.isfinite(resid).all(axis=2)
    if resid.shape[2] < 4 or full.sum() < 10:
        return 0.5
    seen = np.isfinite(resid)
    sq = np.where(seen, resid**2, 0.0).sum(axis=(1, 2))
    series_sd = np.sqrt(sq / np.maximum(seen.sum(axis=(1, 2)), 1))
    ok = full & (series_sd[:, None] > 0)
    if ok.sum() < 10:
        return 0.5
    cum = np.cumsum(resid, axis=2)[ok] / np.broadcast_to(series_sd[:, None], ok.shape)[ok][:, None]
    k = np.arange(1, resid.shape[2] + 1)
    sd_k = np.sqrt((cum**2).mean(axis=0))
    slope = float(np.polyfit(np.log(k), np.log(sd_k / sd_k[0]), 1)[0])
    return float(np.clip(slope, 0.5, 1.0))


def _backtested(cfg: ForecastConfig) -> tuple[str, ...]:
    """The candidates, then the benchmark when it is not one of them."""
    return cfg.models if BENCHMARK in cfg.models else (*cfg.models, BENCHMARK)


def _select(
    losses: np.ndarray, scored: np.ndarray, segment: np.ndarray, cfg: ForecastConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Model index per series (see :mod:`.selection`) and whether it was scored."""
    counts = scored.reshape(scored.shape[0], -1).sum(axis=1)
    default = cfg.models.index("moving_average") if "moving_average" in cfg.models else 0
    return select(losses, counts, segment, margin=cfg.series_margin, default=default)


def _accuracy(
    bt: Backtest, cfg: ForecastConfig, heavy: HeavyOutcome, segment: np.ndarray
) -> tuple[Accuracy, ...]:
    """Pooled out-of-sample accuracy: select on windows ``[:-1]``, score on the last."""
    fit = slice(0, -1) if len(bt.origins) > 1 else slice(None)
    test = slice(-1, None)
    n = bt.actual.shape[0]
    rows = np.arange(n)
    f_fit = bt.forecasts[: len(cfg.models), :, fit]
    losses = np.stack([loss(f, bt.actual[:, fit], bt.scored[:, fit], cfg.criterion) for f in f_fit])
    pick, _ = _select(losses, bt.scored[:, fit], segment, cfg)
    best = losses[pick, rows]
    chosen = bt.forecasts[pick, rows][:, test].copy()
    names = np.array(cfg.models, dtype=object)[pick]
    power = 1 if cfg.criterion == "mae" else 2
    for r, candidates in heavy.backtests.items():
        limit = best[r] * (1.0 - cfg.heavy_margin)
        for name, fc in candidates.items():
            err = np.abs(fc[fit] - bt.actual[r, fit])[bt.scored[r, fit]]
            value = float((err**power).mean()) if err.size else np.inf
            if value < limit:
                limit, chosen[r], names[r] = value, fc[test], name
    actual, scored = bt.actual[:, test], bt.scored[:, test]
    has = np.asarray(scored.reshape(n, -1).any(axis=1), dtype=bool)
    out = [aggregate("selected", score(chosen, actual, scored, bt.scale), has, int(has.sum()))]
    for k, name in enumerate(bt.names):
        s = score(bt.forecasts[k][:, test], actual, scored, bt.scale)
        out.append(aggregate(name, s, has, int((names[has] == name).sum())))
    return tuple(out)


def _series_table(
    panel: DemandPanel,
    status: np.ndarray,
    classes: DemandClasses,
    names: np.ndarray,
    chosen: Scores,
    resid: np.ndarray,
    bt: Backtest,
    final: np.ndarray,
) -> pa.Table:
    n = len(panel.ids)
    count = np.isfinite(resid).sum(axis=1)
    sq = np.where(np.isfinite(resid), resid**2, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rmse = np.where(count > 0, np.sqrt(sq / np.maximum(count, 1)), np.nan)
    return pa.table(
        {
            "series_id": list(panel.ids),
            "status": status.tolist(),
            "demand_class": classes.label.tolist(),
            "adi": classes.adi,
            "cv2": classes.cv2,
            "model": names.tolist(),
            "mae": chosen.mae,
            "mase": chosen.mase,
            "wape": chosen.wape,
            "bias": chosen.bias,
            "rmse": rmse,
            "scored_periods": bt.scored.reshape(n, -1).sum(axis=1),
            "history_units": panel.values.sum(axis=1),
            "forecast_units": final.sum(axis=1),
        }
    )


def _forecast_table(
    panel: DemandPanel,
    h: int,
    final: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    future: np.ndarray,
) -> pa.Table:
    n = len(panel.ids)
    return pa.table(
        {
            "series_id": pa.array(np.repeat(np.array(panel.ids, dtype=object), h)),
            "date": pa.array(panel.dates(panel.periods, h) * n, pa.date32()),
            "forecast": final.ravel(),
            "lower": lower.ravel(),
            "upper": upper.ravel(),
            "promo": np.tile(future, n),
        }
    )


def _interval(
    final: np.ndarray, resid: np.ndarray, coverage: float
) -> tuple[np.ndarray, np.ndarray]:
    """Forecast plus the empirical quantiles of the series' backtest residuals (actual - fcst)."""
    tail = (1.0 - coverage) / 2.0
    has = np.isfinite(resid).any(axis=1)
    q = np.full((final.shape[0], 2), np.nan)
    if has.any():
        q[has] = np.nanquantile(resid[has], [tail, 1.0 - tail], axis=1).T
    lower = np.maximum(final + q[:, :1], 0.0)
    upper = np.maximum(final + q[:, 1:], 0.0)
    return lower, upper
