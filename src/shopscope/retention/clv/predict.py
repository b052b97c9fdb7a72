"""Fit the CLV models on a warehouse and predict per customer (P(alive), purchases, spend, CLV).

:func:`fit_clv` computes the ``(x, t_x, T, monetary)`` summary in the engine
(:func:`rfm_summary`), checks it (:func:`assess_data`), fits a purchase model and the
Gamma-Gamma spend model; :func:`predict_clv` turns the fitted models into one row per customer.
"""

# ``T`` (customer age) is the literature's name (Fader, Hardie & Lee 2005); kept as is.
# ruff: noqa: N806

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shopscope.errors import ConvergenceError, InvalidInputError, NotFoundError
from shopscope.retention.clv._mle import FloatArray
from shopscope.retention.clv.bgnbd import BGNBD
from shopscope.retention.clv.gammagamma import GammaGamma, discounted_expected_purchases
from shopscope.retention.clv.mbgnbd import ModifiedBGNBD
from shopscope.retention.clv.paretonbd import ParetoNBD
from shopscope.retention.clv.summary import TimeUnit, rfm_summary
from shopscope.retention.clv.uncertainty import ParameterInterval, assess_data, hessian_intervals

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = [
    "MODELS",
    "UNITS_PER_MONTH",
    "CLVFit",
    "CLVModels",
    "ModelName",
    "fit_clv",
    "fit_clv_summary",
    "predict_clv",
]

log = logging.getLogger(__name__)

ModelName = Literal["bgnbd", "mbgnbd", "paretonbd"]
MODELS: dict[str, type[BGNBD] | type[ModifiedBGNBD] | type[ParetoNBD]] = {
    "bgnbd": BGNBD,
    "mbgnbd": ModifiedBGNBD,
    "paretonbd": ParetoNBD,
}
_LABEL = {"bgnbd": "BG/NBD", "mbgnbd": "MBG/NBD", "paretonbd": "Pareto/NBD"}
UNITS_PER_MONTH: dict[str, float] = {"week": 4.345, "day": 30.44}
"""Model time units in an average month."""
MIN_SPEND_CUSTOMERS = 10
"""Fewer repeat customers with positive spend than this: no Gamma-Gamma fit (see docs)."""


@dataclass(frozen=True)
class CLVFit:
    """What was fitted, on what, and how sure it is (JSON-able; the CLI renders it)."""

    model: str
    calibration_end: dt.date
    time_unit: str
    customers: int
    repeat_customers: int
    purchase_params: tuple[ParameterInterval, ...]
    purchase_log_likelihood: float
    spend_params: tuple[ParameterInterval, ...]
    spend_log_likelihood: float | None
    status: str
    """``ok`` or ``small`` (see :class:`DataAdequacy`)."""
    warnings: tuple[str, ...]

    def rows(self) -> list[dict[str, object]]:
        """One row per parameter (model, param, estimate, std_error, lower_95, upper_95)."""
        out: list[dict[str, object]] = []
        for label, params in (
            (self.model, self.purchase_params),
            ("Gamma-Gamma", self.spend_params),
        ):
            for p in params:
                out.append(
                    {
                        "model": label,
                        "param": p.param,
                        "estimate": p.estimate,
                        "std_error": p.std_error,
                        "lower_95": p.lower_95,
                        "upper_95": p.upper_95,
                    }
                )
        return out


@dataclass(frozen=True)
class CLVModels:
    """The fitted models with the summary they were fitted on (use :func:`predict_clv`)."""

    fit: CLVFit
    purchases: BGNBD | ModifiedBGNBD | ParetoNBD
    spend: GammaGamma | None
    fallback_spend: float
    """Mean repeat-purchase value used when ``spend`` is ``None`` (0 if nobody repeated)."""
    summary: pa.Table


def fit_clv(
    wh: Warehouse,
    *,
    calibration_end: dt.date | None = None,
    model: ModelName = "bgnbd",
    time_unit: TimeUnit = "week",
) -> CLVModels:
    """Fit ``model`` and Gamma-Gamma on the orders up to ``calibration_end`` (default: last day).

    Raises
    ------
    NotFoundError
        No orders.
    InvalidInputError
        ``calibration_end`` before the first order, unknown model, too few customers.
    ConvergenceError
        The purchase model cannot be fitted (e.g. no repeat purchases).
    """
    from shopscope.insight.periods import data_range

    available = data_range(wh)
    if available is None:
        raise NotFoundError(
            "The warehouse has no orders to fit CLV models on. Load data with `shopscope demo` "
            "or `shopscope ingest`."
        )
    end = available.end if calibration_end is None else calibration_end
    if end < available.start:
        raise InvalidInputError(
            f"calibration_end {end} is before the first order ({available.start}); choose a "
            f"day in {available.start}..{available.end}."
        )
    summary = rfm_summary(wh, calibration_end=end, time_unit=time_unit)
    return fit_clv_summary(summary, calibration_end=end, model=model, time_unit=time_unit)


def _columns(summary: pa.Table) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    missing = {"x", "t_x", "T", "monetary"} - set(summary.column_names)
    if missing:
        raise InvalidInputError(
            f"summary lacks columns {sorted(missing)}; found {summary.column_names}. Build it "
            "with rfm_summary."
        )
    return tuple(  # type: ignore[return-value]
        np.asarray(pc.fill_null(summary.column(c), 0.0).to_numpy(), dtype=np.float64)
        for c in ("x", "t_x", "T", "monetary")
    )


def fit_clv_summary(
    summary: pa.Table,
    *,
    calibration_end: dt.date,
    model: ModelName = "bgnbd",
    time_unit: TimeUnit = "week",
) -> CLVModels:
    """:func:`fit_clv` on a ready summary (``x, t_x, T, monetary`` columns).

    Customers with ``T = 0`` (first order on ``calibration_end``) carry no information about
    purchase rates and are left out of the fit; :func:`predict_clv` still scores them.
    Customers with repeat purchases but a mean repeat value ``<= 0`` (free or fully discounted
    orders) are left out of the Gamma-Gamma fit, with a warning.
    """
    if model not in MODELS:
        raise InvalidInputError(f"Unknown model {model!r}; use one of {', '.join(MODELS)}.")
    x, t_x, T, m = _columns(summary)
    observed = T > 0
    if not np.any(observed):
        raise InvalidInputError(
            f"No customer was observed before {calibration_end} (all first orders are on that "
            "day); choose a later calibration end."
        )
    check = assess_data(x[observed], t_x[observed], T[observed])
    if check.status == "insufficient":
        raise (InvalidInputError if check.customers < 4 else ConvergenceError)(check.warnings[0])
    notes = list(check.warnings)
    purchases = MODELS[model]().fit(x[observed], t_x[observed], T[observed])
    if purchases.at_bound_:
        notes.append(
            f"{_LABEL[model]}: {', '.join(purchases.at_bound_)} ran to the edge of the search "
            "range; the data do not identify them (a limiting case of the model, e.g. no "
            "visible dropout). Predictions are those of the limit; consider another model."
        )
    repeat = observed & (x > 0)
    positive = repeat & (m > 0)
    if np.count_nonzero(repeat & ~positive):
        notes.append(
            f"{np.count_nonzero(repeat & ~positive)} repeat customer(s) with a mean repeat value "
            "<= 0 were left out of the Gamma-Gamma fit."
        )
    fallback = float(m[positive].mean()) if np.any(positive) else 0.0
    spend: GammaGamma | None = None
    if np.count_nonzero(positive) >= MIN_SPEND_CUSTOMERS:
        try:
            spend = GammaGamma().fit(x[positive], m[positive])
        except ConvergenceError as exc:
            notes.append(f"Gamma-Gamma did not converge ({exc}); spend = observed mean.")
        else:
            if spend.at_bound_:
                notes.append(
                    f"Gamma-Gamma: {', '.join(spend.at_bound_)} ran to the edge of the search "
                    "range; spend heterogeneity is not identified."
                )
            if spend.params_["q"] <= 1:
                notes.append(
                    "Gamma-Gamma q <= 1: the population mean spend is infinite; customers "
                    "without repeat purchases are valued at the observed mean spend."
                )
    else:
        notes.append(
            f"Fewer than {MIN_SPEND_CUSTOMERS} repeat customers with positive spend: no "
            f"Gamma-Gamma fit; every customer is valued at the observed mean {fallback:.2f}."
        )
    for note in notes[len(check.warnings) :]:
        log.warning("CLV fit: %s", note)
    fit = CLVFit(
        model=_LABEL[model],
        calibration_end=calibration_end,
        time_unit=time_unit,
        customers=int(np.count_nonzero(observed)),
        repeat_customers=int(np.count_nonzero(repeat)),
        purchase_params=tuple(hessian_intervals(purchases)),
        purchase_log_likelihood=purchases.log_likelihood_,
        spend_params=tuple(hessian_intervals(spend)) if spend is not None else (),
        spend_log_likelihood=spend.log_likelihood_ if spend is not None else None,
        status=check.status,
        warnings=tuple(notes),
    )
    return CLVModels(fit, purchases, spend, fallback, summary)


def _spend(models: CLVModels, x: FloatArray, m: FloatArray) -> FloatArray:
    gg = models.spend
    if gg is None:
        return np.full(x.shape, models.fallback_spend)
    usable = (x > 0) & (m > 0)
    out: FloatArray = gg.conditional_expected_spend(np.where(usable, x, 0.0), m)
    if gg.params_["q"] <= 1:
        out = np.where(usable, out, models.fallback_spend)
    return out


def predict_clv(
    models: CLVModels,
    summary: pa.Table | None = None,
    *,
    months: int = 12,
    monthly_discount: float = 0.01,
) -> pa.Table:
    """Per-customer predictions over the next ``months`` months, highest CLV first.

    Returns
    -------
    pyarrow.Table
        ``customer_id, x, t_x, T, monetary, p_alive, expected_purchases`` (in the horizon),
        ``expected_spend`` (per purchase), ``clv`` (that spend times
        :func:`discounted_expected_purchases`).
        Customers with ``T = 0`` get the new-customer predictions (``x = 0`` at age 0).
    """
    data = models.summary if summary is None else summary
    x, t_x, T, m = _columns(data)
    unit = UNITS_PER_MONTH[models.fit.time_unit]
    # age 0 (first order on the calibration end): the limit T -> 0 of the formulas
    Tn = np.maximum(T, 1e-9)
    model = models.purchases
    horizon = months * unit
    p_alive = model.probability_alive(x, t_x, Tn)
    expected = model.conditional_expected_purchases(horizon, x, t_x, Tn)
    spend = _spend(models, x, m)

    clv = spend * discounted_expected_purchases(
        model,
        x,
        t_x,
        Tn,
        months=months,
        monthly_discount=monthly_discount,
        time_unit_per_month=unit,
    )
    for name, arr in (("p_alive", p_alive), ("expected", expected), ("clv", clv)):
        if not np.all(np.isfinite(arr)):
            raise ConvergenceError(f"Non-finite {name} predictions; the fitted model is unusable.")
    out = pa.table(
        {
            "customer_id": data.column("customer_id")
            if "customer_id" in data.column_names
            else pa.array([str(i) for i in range(len(x))]),
            "x": x.astype(np.int64),
            "t_x": t_x,
            "T": T,
            "monetary": m,
            "p_alive": p_alive,
            "expected_purchases": expected,
            "expected_spend": spend,
            "clv": clv,
        }
    )
    return out.sort_by([("clv", "descending"), ("customer_id", "ascending")])
