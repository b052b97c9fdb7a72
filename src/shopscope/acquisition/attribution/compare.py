"""All attribution models on the same paths, side by side.

Paths come from :func:`~shopscope.acquisition.paths.touchpoints`; rule-based credits are
engine queries (:mod:`.heuristics`); the Markov chain gets the transition counts and Shapley
the coalition totals, both aggregated in the engine, so Python only sees compact summaries.
Every model shares out the same *attributed* conversions (those with a touch in the window):
for each model the credits sum to their number and value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from shopscope.acquisition.attribution.heuristics import (
    HEURISTIC_MODELS,
    HeuristicModel,
    HeuristicParams,
    heuristic_credits,
)
from shopscope.acquisition.attribution.markov import MarkovAttribution, transitions
from shopscope.acquisition.attribution.shapley import ShapleyGame, coalitions, shapley_values
from shopscope.acquisition.channels import ChannelRules, load_channel_rules
from shopscope.acquisition.paths import (
    PathOptions,
    PathStats,
    materialised,
    path_stats,
    touchpoints,
)
from shopscope.errors import InvalidInputError
from shopscope.insight.periods import DateRange

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from shopscope.warehouse.connection import Warehouse

__all__ = ["ALL_MODELS", "AttributionReport", "ChannelCredit", "attribution_report"]

ALL_MODELS: tuple[str, ...] = (*HEURISTIC_MODELS, "markov", "markov2", "shapley")
"""Model names: the rule-based ones, Markov of order 1 and 2 (``markovK`` for order K) and
Shapley."""


@dataclass(frozen=True)
class ChannelCredit:
    """One model's credit for one channel."""

    model: str
    channel: str
    conversions: float
    value: float
    share: float
    std_error: float | None = None


@dataclass(frozen=True)
class AttributionReport:
    """Credits of several models on the same paths.

    Attributes
    ----------
    period
        Paths ending in this range (None: all data).
    models
        Model names in the order asked.
    credits
        One row per (model, channel); channels without credit in a model have 0.
    stats
        What the paths cover (conversions, attributed share, truncation, channels).
    options, params
        Path cutting and rule-based model parameters used.
    removal_effects
        Markov model name -> channel -> removal effect.
    shapley
        ``{"game", "exact", "samples"}`` when Shapley ran.
    """

    period: DateRange | None
    models: tuple[str, ...]
    credits: tuple[ChannelCredit, ...]
    stats: PathStats
    options: PathOptions
    params: HeuristicParams
    removal_effects: dict[str, dict[str, float]] = field(default_factory=dict)
    shapley: dict[str, Any] = field(default_factory=dict)

    def compare(self, measure: str = "conversions") -> list[dict[str, Any]]:
        """One row per channel, one column per model (``conversions`` or ``value``)."""
        if measure not in ("conversions", "value", "share"):
            raise InvalidInputError(f"measure {measure!r}: use conversions, value or share.")
        rows: dict[str, dict[str, Any]] = {c: {"channel": c} for c in self.stats.channels}
        for c in self.credits:
            rows.setdefault(c.channel, {"channel": c.channel})[c.model] = getattr(c, measure)
        return [rows[k] for k in sorted(rows)]


def _model_order(name: str) -> int | None:
    if name == "markov":
        return 1
    if name.startswith("markov") and name[6:].isdigit() and int(name[6:]) >= 1:
        return int(name[6:])
    return None


def _check_models(models: Sequence[str]) -> tuple[str, ...]:
    out = tuple(dict.fromkeys(models))
    bad = [m for m in out if m not in HEURISTIC_MODELS and m != "shapley" and not _model_order(m)]
    if bad or not out:
        raise InvalidInputError(
            f"Unknown attribution model(s) {bad or '(none given)'}; use "
            f"{', '.join(ALL_MODELS)} (markovK for order K)."
        )
    return out


def attribution_report(
    wh: Warehouse,
    *,
    models: Sequence[str] = ALL_MODELS,
    period: DateRange | None = None,
    rules: ChannelRules | None = None,
    options: PathOptions | None = None,
    params: HeuristicParams | None = None,
    shapley_game: ShapleyGame = "conversions",
    shapley_max_exact: int = 15,
    shapley_samples: int = 2000,
    seed: int = 0,
) -> AttributionReport:
    """Attribute the period's conversions with each model in ``models``.

    Parameters
    ----------
    wh
        The warehouse (``events``).
    models
        Names from :data:`ALL_MODELS` (default: all).
    period
        Paths that end in this range (default: all data).
    rules, options, params
        Channel grouping, path cutting (lookback, cap), rule-based parameters.
    shapley_game, shapley_max_exact, shapley_samples, seed
        See :func:`~shopscope.acquisition.attribution.shapley.shapley_values`.

    Returns
    -------
    AttributionReport
        Credits per model and channel; for each model they sum to the attributed conversions
        and value (``stats.attributed_conversions`` / ``attributed_value``). With no
        attributed conversion every credit is 0.
    """
    chosen = _check_models(models)
    table = rules or load_channel_rules()
    opts = options or PathOptions()
    par = params or HeuristicParams()
    # every model reads the same paths: materialise them once in the engine
    with materialised(wh, touchpoints(wh, rules=table, period=period, options=opts)) as tp:
        stats = path_stats(wh, tp, rules=table, period=period, options=opts)
        credits, effects, shap = _all_models(
            tp, chosen, stats, par, shapley_game, shapley_max_exact, shapley_samples, seed
        )
    return AttributionReport(period, chosen, tuple(credits), stats, opts, par, effects, shap)


def _all_models(
    tp: ir.Table,
    chosen: tuple[str, ...],
    stats: PathStats,
    par: HeuristicParams,
    shapley_game: ShapleyGame,
    shapley_max_exact: int,
    shapley_samples: int,
    seed: int,
) -> tuple[list[ChannelCredit], dict[str, dict[str, float]], dict[str, Any]]:
    total_c, total_v = stats.attributed_conversions, stats.attributed_value
    credits: list[ChannelCredit] = []
    effects: dict[str, dict[str, float]] = {}
    shap: dict[str, Any] = {}
    for model in chosen:
        if model in HEURISTIC_MODELS:
            rows = heuristic_credits(tp, _as_heuristic(model), par).to_pyarrow().to_pylist()
            got = {r["channel"]: (float(r["conversions"]), float(r["value"])) for r in rows}
            credits += _rows(model, got, stats, total_c)
        elif (order := _model_order(model)) is not None:
            got = _markov(tp, order, total_c, total_v, effects, model)
            credits += _rows(model, got, stats, total_c)
        else:
            got, se, shap = _shapley(
                tp, stats, shapley_game, shapley_max_exact, shapley_samples, seed
            )
            credits += _rows(model, got, stats, total_c, se)
    return credits, effects, shap


def _as_heuristic(model: str) -> HeuristicModel:
    for m in HEURISTIC_MODELS:
        if m == model:
            return m  # type: ignore[return-value]
    raise InvalidInputError(f"{model!r} is not a rule-based model.")


def _rows(
    model: str,
    got: dict[str, tuple[float, float]],
    stats: PathStats,
    total: float,
    se: dict[str, float] | None = None,
) -> list[ChannelCredit]:
    out = []
    for ch in sorted(set(stats.channels) | set(got)):
        c, v = got.get(ch, (0.0, 0.0))
        out.append(
            ChannelCredit(
                model, ch, c, v, c / total if total > 0 else 0.0, None if se is None else se[ch]
            )
        )
    return out


def _markov(
    tp: ir.Table,
    order: int,
    total_c: float,
    total_v: float,
    effects: dict[str, dict[str, float]],
    name: str,
) -> dict[str, tuple[float, float]]:
    if total_c == 0:
        effects[name] = {}
        return {}
    fitted = MarkovAttribution(order).fit(transitions(tp, order=order))
    effects[name] = dict(fitted.removal_effects_)
    return fitted.credits(total_c, total_v)


def _shapley(
    tp: ir.Table,
    stats: PathStats,
    game: ShapleyGame,
    max_exact: int,
    samples: int,
    seed: int,
) -> tuple[dict[str, tuple[float, float]], dict[str, float], dict[str, Any]]:
    channels = stats.channels
    if not channels or stats.attributed_conversions == 0:
        return {}, {c: 0.0 for c in channels}, {"game": game, "exact": True, "samples": 0}
    data = coalitions(tp, channels).to_pyarrow()
    masks = np.asarray(data.column("mask").to_numpy(), dtype=np.int64)
    paths = np.asarray(data.column("paths").to_numpy(), dtype=np.float64)
    out = []
    for col in ("conversions", "value"):
        w = np.asarray(data.column(col).to_numpy(zero_copy_only=False), dtype=np.float64)
        out.append(
            shapley_values(
                masks,
                w,
                len(channels),
                paths=paths,
                game=game,
                max_exact=max_exact,
                samples=samples,
                seed=seed,
            )
        )
    conv, val = out
    got = {c: (float(conv.values[i]), float(val.values[i])) for i, c in enumerate(channels)}
    se = {c: float(conv.std_errors[i]) for i, c in enumerate(channels)}
    meta = {"game": game, "exact": conv.exact, "samples": conv.samples}
    return got, se, meta
