"""Hold-out evaluation against peers: shopscope's whole pipeline versus seasonal naive and
statsforecast models, on the same series and the same rolling origins.

For each outer origin the last ``horizon * (origins - i)`` periods are cut off; shopscope runs
its full pipeline (inner backtest, selection, forecast) on what is left, and every peer fits the
same imputed history. All are scored on the cut periods with the rules of :mod:`.backtest`
(censored periods and periods before a series' first sale are not scored). Errors are pooled
over origins: WAPE = Σ|e| / Σ actual, bias = Σe / Σ actual, MASE = mean over series of
MAE / (in-sample seasonal-naive MAE of the first training part).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from shopscope.errors import InvalidInputError
from shopscope.supply.forecast.backtest import impute, naive_scale, score
from shopscope.supply.forecast.batch import BATCH_MODELS
from shopscope.supply.forecast.config import ForecastConfig
from shopscope.supply.forecast.forecaster import forecast_panel
from shopscope.supply.forecast.heavy import heavy_model
from shopscope.supply.forecast.series import DemandPanel
from shopscope.supply.forecast.smoothing import FloatArray
from shopscope.supply.forecast.summary import Accuracy, aggregate

__all__ = ["Evaluation", "evaluate"]


@dataclass(frozen=True)
class Evaluation:
    """Pooled hold-out accuracy of shopscope and its peers.

    ``scores`` holds, per subject, the accuracy over all series (``shopscope``,
    ``seasonal_naive``) and over the peer subset (``<subject>@peers``: the ``peer_series``
    largest series, where the statsforecast peers run). ``seconds`` is wall time per subject.
    """

    origins: tuple[date, ...]
    horizon: int
    peer_series: int
    scores: tuple[Accuracy, ...]
    seconds: dict[str, float]

    def get(self, model: str) -> Accuracy:
        """The score of ``model`` (e.g. ``"shopscope@peers"``); the error lists the names."""
        for a in self.scores:
            if a.model == model:
                return a
        raise InvalidInputError(
            f"No score {model!r}; scores: {', '.join(a.model for a in self.scores)}."
        )


def evaluate(
    panel: DemandPanel,
    config: ForecastConfig | None = None,
    *,
    origins: int = 1,
    peers: tuple[str, ...] = ("AutoETS",),
    peer_series: int = 50,
) -> Evaluation:
    """Rolling-origin hold-out evaluation of :func:`forecast_panel` against peers.

    Parameters
    ----------
    origins
        Outer origins, ``horizon`` periods apart, the last one ``horizon`` before the end.
    peers
        statsforecast models (names of ``HEAVY_MODELS``) fitted on the ``peer_series`` series
        with the most units.
    """
    cfg = config or ForecastConfig()
    m = cfg.season or (7 if panel.grain == "day" else 52)
    h = cfg.horizon or (28 if panel.grain == "day" else 8)
    cfg = replace(cfg, season=m, horizon=h)
    if origins < 1:
        raise InvalidInputError(f"origins = {origins}; use at least 1.")
    cuts = [panel.periods - h * (origins - i) for i in range(origins)]
    n = len(panel.ids)
    head = np.argsort(-panel.values.sum(axis=1), kind="stable")[: min(peer_series, n)]
    in_head = np.zeros(n, bool)
    in_head[head] = True
    subjects = ["shopscope", "seasonal_naive", *peers]
    fc = {s: np.full((n, origins, h), np.nan) for s in subjects}
    seconds = dict.fromkeys(subjects, 0.0)
    hits = panel.values > 0
    first_sale = np.where(hits.any(axis=1), np.argmax(hits, axis=1), panel.periods)
    listed = np.arange(panel.periods)[None, :] >= first_sale[:, None]
    actual = np.stack([panel.values[:, c : c + h] for c in cuts], axis=1)
    scored = np.stack([(~panel.censored & listed)[:, c : c + h] for c in cuts], axis=1)
    for w, cut in enumerate(cuts):
        train = panel.head(cut)
        start = time.perf_counter()
        result = forecast_panel(train, cfg)
        seconds["shopscope"] += time.perf_counter() - start
        fc["shopscope"][:, w] = result.forecast.column("forecast").to_numpy().reshape(n, h)
        clean = impute(train.values, train.censored | train.promo[None, :], m)
        fc["seasonal_naive"][:, w] = BATCH_MODELS["seasonal_naive"](clean, h, m)
        for name in peers:
            start = time.perf_counter()
            fc[name][head, w] = _peer(name, clean[head], h, m)
            seconds[name] += time.perf_counter() - start
    scale = _first_scale(panel, listed, cuts[0], m)
    has = np.asarray(scored.reshape(n, -1).any(axis=1), dtype=bool)
    out: list[Accuracy] = []
    for s in subjects:
        if s in ("shopscope", "seasonal_naive"):
            out.append(aggregate(s, score(fc[s], actual, scored, scale), has, int(has.sum())))
        rows = has & in_head
        sub = score(np.nan_to_num(fc[s]), actual, scored & in_head[:, None, None], scale)
        out.append(aggregate(f"{s}@peers", sub, rows, int(rows.sum())))
    dates = tuple(panel.start + panel.step * c for c in cuts)
    return Evaluation(dates, h, int(in_head.sum()), tuple(out), seconds)


def _peer(name: str, y: FloatArray, h: int, m: int) -> FloatArray:
    out = np.zeros((y.shape[0], h))
    for i in range(y.shape[0]):
        model = heavy_model(name, m)
        out[i] = np.maximum(np.asarray(model.forecast(y=y[i], h=h)["mean"], float), 0.0)
    return out


def _first_scale(panel: DemandPanel, listed: np.ndarray, cut: int, m: int) -> FloatArray:
    return naive_scale(panel.values[:, :cut], ~panel.censored[:, :cut] & listed[:, :cut], m)
