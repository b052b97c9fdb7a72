"""Discount (price) elasticity of demand per category, with its uncertainty.

For each category the engine aggregates sold lines per day: units, gross value
``Σ quantity × unit_price`` and discounts ``Σ line discount``. The effective price index of a
day is ``p_d = 1 − discount / gross`` (1 on a day without discounts), and the model is the
constant-elasticity demand curve::

    E[units_d] = exp(α + ε · log(p_d) + Σ_k γ_k · weekday_k + β · t_d)

``ε`` is the elasticity (≈ % change in units for a 1 % change in price; negative for normal
goods); weekday dummies and a linear trend absorb the weekly cycle and growth. The curve is fitted
as a Poisson pseudo-maximum-likelihood regression (``E[units] = exp(...)``, Santos Silva &
Tenreyro 2006), which, unlike OLS on ``log(units)``, is unbiased for small daily counts.
Standard errors are the heteroskedasticity-robust sandwich (HC1, White 1980); the interval is
``ε ± t(0.975, dof) · se``.
Every day the shop sold anything enters, with 0 units when the category sold nothing; such a
day's price index is the store-wide one (promotions run store-wide). A category without
discount variation gets status ``no_price_variation``; fewer than ``min_days`` selling days,
``too_few_days``.

References
----------
.. [1] White, H. (1980). A heteroskedasticity-consistent covariance matrix estimator and a
   direct test for heteroskedasticity. *Econometrica*, 48(4), 817-838.
.. [2] Santos Silva, J. M. C., & Tenreyro, S. (2006). The log of gravity. *Review of
   Economics and Statistics*, 88(4), 641-658.
.. [3] Bijmolt, T. H. A., van Heerde, H. J., & Pieters, R. G. M. (2005). New empirical
   generalizations on the determinants of price elasticity. *Journal of Marketing Research*,
   42(2), 141-156 (mean price elasticity about −2.6).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir
import numpy as np
import numpy.typing as npt
from scipy import stats

from shopscope.insight.definitions import NONE_MEMBER
from shopscope.insight.periods import DateRange
from shopscope.supply.assortment.sales import resolve_period, sold_lines

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = ["ElasticityEstimate", "category_days", "discount_elasticity", "fit_elasticity"]

_MIN_DAYS = 30

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class ElasticityEstimate:
    """One category's elasticity with its robust standard error and 95 % interval.

    ``status`` is ``ok``, ``too_few_days`` or ``no_price_variation`` (then the numbers are
    None).
    """

    category: str
    selling_days: int
    discount_days: int
    mean_discount: float
    elasticity: float | None
    std_error: float | None
    ci_low: float | None
    ci_high: float | None
    status: str


def category_days(wh: Warehouse, period: DateRange) -> ir.Table:
    """Per category and day: units, gross value and discounts of sold lines (engine)."""
    lines = sold_lines(wh, period)
    products = wh.table("products").select("sku", "category")
    j = lines.left_join(products, lines.sku == products.sku)
    cat = ibis.coalesce(j.category, NONE_MEMBER)
    return j.group_by(category=cat, day=j.ordered_at.date()).aggregate(
        units=j.quantity.sum(),
        gross=(j.quantity * j.unit_price).sum(),
        discount=j.line_discount.sum(),
    )


def fit_elasticity(
    units: FloatArray, price_index: FloatArray, weekday: IntArray, trend: FloatArray
) -> tuple[float, float, int]:
    """Poisson pseudo-maximum likelihood of units on log price, weekdays and trend.

    Returns ``(ε, se, dof)`` with the HC1 sandwich standard error. Fitted by iteratively
    reweighted least squares (McCullagh & Nelder 1989, §2.5).
    """
    y = np.asarray(units, dtype=float)
    dummies = (weekday[:, None] == np.arange(1, 7)[None, :]).astype(float)
    t = (trend - trend.mean()) / max(float(trend.std()), 1.0)
    x = np.column_stack([np.ones_like(y), np.log(price_index), dummies, t])
    n, k = x.shape
    beta = np.zeros(k)
    beta[0] = np.log(max(float(y.mean()), 1e-9))
    for _ in range(100):
        mu = np.exp(x @ beta)
        z = x @ beta + (y - mu) / mu
        xw = x * mu[:, None]
        step = np.linalg.lstsq(xw.T @ x, xw.T @ z, rcond=None)[0]
        done = float(np.max(np.abs(step - beta))) < 1e-10
        beta = step
        if done:
            break
    mu = np.exp(x @ beta)
    bread = np.linalg.pinv((x * mu[:, None]).T @ x)
    meat = (x * ((y - mu) ** 2)[:, None]).T @ x
    cov = bread @ meat @ bread * n / max(n - k, 1)
    return float(beta[1]), float(np.sqrt(max(cov[1, 1], 0.0))), n - k


def discount_elasticity(
    wh: Warehouse, period: DateRange | None = None, *, min_days: int = _MIN_DAYS
) -> tuple[ElasticityEstimate, ...]:
    """Elasticity of daily units to the discount-driven price index, per category.

    Parameters
    ----------
    wh
        The warehouse.
    period
        Days to use (default: all).
    min_days
        Categories with fewer selling days get status ``too_few_days``.
    """
    period = resolve_period(wh, period)
    data = category_days(wh, period).order_by(["category", "day"]).to_pyarrow()
    cats = [str(c) for c in data.column("category").to_pylist()]
    day_index = [(d - period.start).days for d in data.column("day").to_pylist()]
    units = np.asarray(data.column("units").to_numpy(), dtype=float)
    gross = np.asarray(data.column("gross").to_numpy(), dtype=float)
    disc = np.asarray(data.column("discount").to_numpy(), dtype=float)
    n_days = period.days
    names = sorted(set(cats))
    row = {c: i for i, c in enumerate(names)}
    u = np.zeros((len(names), n_days))
    g = np.zeros((len(names), n_days))
    dsc = np.zeros((len(names), n_days))
    for c, k, a, b, e in zip(cats, day_index, units, gross, disc, strict=True):
        u[row[c], k], g[row[c], k], dsc[row[c], k] = a, b, e
    # Store-wide index for days a category sold nothing (promotions run store-wide).
    store_g, store_d = g.sum(axis=0), dsc.sum(axis=0)
    store = 1.0 - np.clip(
        np.divide(store_d, store_g, out=np.zeros(n_days), where=store_g > 0), 0.0, 0.95
    )
    open_days = store_g > 0  # days the shop sold anything at all
    ordinal = np.array([(period.start.toordinal() + k) for k in range(n_days)], dtype=float)
    weekday = np.array([(period.start.weekday() + k) % 7 for k in range(n_days)], dtype=np.int64)
    out: list[ElasticityEstimate] = []
    for cat in names:
        i = row[cat]
        own = np.divide(dsc[i], g[i], out=np.zeros(n_days), where=g[i] > 0)
        price = np.where(g[i] > 0, 1.0 - np.clip(own, 0.0, 0.95), store)[open_days]
        y = u[i][open_days]
        selling = int((y > 0).sum())
        share = 1.0 - price
        n_disc = int((share > 1e-9).sum())
        mean_disc = float(share.mean()) if share.size else 0.0
        status = "ok"
        if selling < min_days:
            status = "too_few_days"
        elif n_disc < 3 or float(np.ptp(np.log(price))) < 1e-6:
            status = "no_price_variation"
        if status != "ok":
            out.append(
                ElasticityEstimate(cat, selling, n_disc, mean_disc, None, None, None, None, status)
            )
            continue
        eps, se, dof = fit_elasticity(y, price, weekday[open_days], ordinal[open_days])
        q = float(stats.t.ppf(0.975, max(dof, 1)))
        out.append(
            ElasticityEstimate(
                cat, selling, n_disc, mean_disc, eps, se, eps - q * se, eps + q * se, "ok"
            )
        )
    return tuple(out)
