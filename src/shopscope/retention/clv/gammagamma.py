"""The Gamma-Gamma model of average transaction value (Fader & Hardie 2013).

A customer's transaction values are ``Gamma(p, ν)``; across customers ``ν ~ Gamma(q, γ)``. The
mean ``z̄`` of ``x`` repeat transactions is sufficient; the model assumes spend independent of
the purchase process.
"""

# ``T`` (customer age) is the literature's name (Fader, Hardie & Lee 2005); kept as is.
# ruff: noqa: N803

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Self

import numpy as np
import numpy.typing as npt
from scipy.special import digamma, gammaln

from shopscope.errors import InvalidInputError
from shopscope.retention.clv._mle import (
    FloatArray,
    MLEModel,
    as_weights,
    collapse_rows,
    fit_mle,
    warm_start,
)

__all__ = [
    "GammaGamma",
    "TransactionModel",
    "customer_lifetime_value",
    "discounted_expected_purchases",
]


def _as_spend(
    x: npt.ArrayLike, monetary: npt.ArrayLike, *, fitting: bool = False
) -> tuple[FloatArray, FloatArray]:
    xa, ma = np.broadcast_arrays(
        np.asarray(x, dtype=np.float64), np.asarray(monetary, dtype=np.float64)
    )
    if fitting and xa.size == 0:
        raise InvalidInputError(
            "GammaGamma needs customers with repeat purchases (x > 0); none were given."
        )
    if not (np.all(np.isfinite(xa)) and np.all(np.isfinite(ma))):
        raise InvalidInputError("x and monetary must be finite numbers (found NaN or inf).")
    if np.any(xa <= 0):
        raise InvalidInputError(
            f"GammaGamma needs customers with repeat purchases (x > 0); found x = "
            f"{xa.flat[int(np.argmax(xa <= 0))]}. Filter the summary to x > 0."
        )
    if np.any(ma <= 0):
        raise InvalidInputError(
            f"monetary must be > 0 for every customer; found {ma.flat[int(np.argmax(ma <= 0))]}. "
            "Drop customers whose repeat purchases have no positive value."
        )
    return xa.astype(np.float64), ma.astype(np.float64)


@dataclass(frozen=True)
class _Prepared:
    """Data constants of the Gamma-Gamma likelihood (computed once per fit)."""

    ux: FloatArray
    inv: npt.NDArray[np.intp]
    xm: FloatArray
    log_m: FloatArray
    log_xm: FloatArray

    @classmethod
    def of(cls, x: FloatArray, m: FloatArray) -> _Prepared:
        ux, inv = np.unique(x, return_inverse=True)
        xm = x * m
        return cls(ux, inv, xm, np.log(m), np.log(xm))


class GammaGamma(MLEModel):
    """Gamma-Gamma spend model; fitted attributes ``params_`` (``p, q, gamma``) etc.

    References
    ----------
    .. [1] Fader, P. S. & Hardie, B. G. S. (2013). The Gamma-Gamma Model of Monetary Value.
       http://brucehardie.com/notes/025/
    .. [2] Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). RFM and CLV: Using Iso-Value
       Curves for Customer Base Analysis. *Journal of Marketing Research* 42(4), 415-430.
    """

    names = ("p", "q", "gamma")

    fit_signature = "fit(x, monetary)"

    @staticmethod
    def _loglik(theta: FloatArray, x: FloatArray, m: FloatArray) -> FloatArray:
        """Log density of ``z̄`` given ``x`` (note 025, eq. 3 with ``x z̄ ~ Gamma(px, ν)``)."""
        p, q, g = theta
        px = p * x
        out: FloatArray = (
            gammaln(px + q)
            - gammaln(px)
            - gammaln(q)
            + q * np.log(g)
            + (px - 1) * np.log(m)
            + px * np.log(x)
            - (px + q) * np.log(g + x * m)
        )
        return out

    @staticmethod
    def _score(
        theta: FloatArray,
        x: FloatArray,
        m: FloatArray,
        prepared: _Prepared | None = None,
    ) -> tuple[FloatArray, list[FloatArray]]:
        """Log density and its partial derivatives in ``(p, q, γ)``.

        The Gamma and digamma functions depend on ``x`` only: evaluated once per distinct
        ``x``; ``log z̄``, ``log x`` and ``x z̄`` are data constants, computed once per fit.
        """
        p, q, g = theta
        d = prepared if prepared is not None else _Prepared.of(x, m)
        pux = p * d.ux
        g_norm = gammaln(pux + q) - gammaln(pux) - gammaln(q) + q * np.log(g)
        psi_pxq = digamma(pux + q)
        g_dp = psi_pxq - digamma(pux)
        g_dq = psi_pxq - digamma(q) + np.log(g)
        px = p * x
        gxm = g + d.xm
        log_gxm = np.log(gxm)
        ll = g_norm[d.inv] - d.log_m + px * (d.log_xm - log_gxm) - q * log_gxm
        d_p = x * (g_dp[d.inv] + d.log_xm - log_gxm)
        d_q = g_dq[d.inv] - log_gxm
        d_g = q / g - (px + q) / gxm
        return ll, [d_p, d_q, d_g]

    def fit(
        self,
        x: npt.ArrayLike,
        monetary: npt.ArrayLike,
        *,
        weights: npt.ArrayLike | None = None,
    ) -> Self:
        """Fit on customers with ``x > 0`` repeat purchases and mean repeat value ``monetary``.

        Raises
        ------
        InvalidInputError
            Empty data, ``x = 0`` rows ("needs customers with repeat purchases") or
            ``monetary <= 0``.
        ConvergenceError
            No finite optimum.
        """
        xa, ma = _as_spend(x, monetary, fitting=True)
        (xa, ma), w = collapse_rows((xa, ma), as_weights(weights, xa.size))
        prepared = _Prepared.of(xa, ma)
        self._result = fit_mle(
            "Gamma-Gamma",
            self.names,
            lambda th: self._loglik(th, xa, ma),
            w,
            score=lambda th: self._score(th, xa, ma, prepared),
            start=warm_start(self, (xa, ma), w, (1.0, 1.0, float(np.average(ma, weights=w)))),
        )
        return self

    def conditional_expected_spend(self, x: npt.ArrayLike, monetary: npt.ArrayLike) -> FloatArray:
        """``E[Z | x, z̄] = p(γ + x z̄)/(px + q − 1)`` (note 025, eq. 5).

        Customers with ``x = 0`` get the population mean ``pγ/(q − 1)``.
        """
        p, q, g = (self.params_[n] for n in self.names)
        xa, ma = np.broadcast_arrays(
            np.asarray(x, dtype=np.float64), np.asarray(monetary, dtype=np.float64)
        )
        ma = np.where(xa > 0, ma, 0.0)
        out: FloatArray = p * (g + xa * ma) / (p * xa + q - 1)
        return out


class TransactionModel(Protocol):
    """A fitted purchase-count model (:class:`BGNBD`, :class:`ParetoNBD`)."""

    def conditional_expected_purchases(
        self, t: npt.ArrayLike, x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """``E[Y(t) | x, t_x, T]``."""
        ...


def customer_lifetime_value(
    transactions_model: TransactionModel,
    spend_model: GammaGamma,
    x: npt.ArrayLike,
    t_x: npt.ArrayLike,
    T: npt.ArrayLike,
    monetary: npt.ArrayLike,
    *,
    months: int = 12,
    monthly_discount: float = 0.01,
    time_unit_per_month: float = 4.345,
) -> FloatArray:
    """Discounted expected revenue over the next ``months`` months, per customer.

    ``CLV = Σ_{m=1..M} E[Z|x, z̄] · (E[Y(m·u)] − E[Y((m−1)·u)]) / (1 + d)^m`` with ``u`` =
    ``time_unit_per_month`` (4.345 weeks) and ``d`` = ``monthly_discount``: the purchases
    expected in month ``m`` are valued at the conditional expected spend and discounted to the
    end of that month. Independence of spend and purchasing is assumed (Fader, Hardie & Lee
    2005, JMR).

    Parameters
    ----------
    transactions_model
        A fitted :class:`BGNBD` or :class:`ParetoNBD` (time unit as in ``t_x``, ``T``).
    spend_model
        A fitted :class:`GammaGamma`.
    x, t_x, T, monetary
        The customers' summary (see :func:`rfm_summary`).
    months
        Horizon in whole months (>= 1).
    monthly_discount
        Discount rate per month (>= 0).
    time_unit_per_month
        Model time units in a month (4.345 for weeks, 30.44 for days).

    References
    ----------
    .. [1] Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). RFM and CLV: Using Iso-Value
       Curves for Customer Base Analysis. *Journal of Marketing Research* 42(4), 415-430.
    """
    spend = spend_model.conditional_expected_spend(x, monetary)
    discounted = discounted_expected_purchases(
        transactions_model,
        x,
        t_x,
        T,
        months=months,
        monthly_discount=monthly_discount,
        time_unit_per_month=time_unit_per_month,
    )
    out: FloatArray = spend * discounted
    return out


def discounted_expected_purchases(
    transactions_model: TransactionModel,
    x: npt.ArrayLike,
    t_x: npt.ArrayLike,
    T: npt.ArrayLike,
    *,
    months: int = 12,
    monthly_discount: float = 0.01,
    time_unit_per_month: float = 4.345,
) -> FloatArray:
    """``Σ_{m=1..M} (E[Y(m·u)] − E[Y((m−1)·u)]) / (1 + d)^m``: CLV per unit of spend.

    Raises
    ------
    InvalidInputError
        ``months < 1``, a negative discount or a non-positive ``time_unit_per_month``.
    """
    if months < 1 or monthly_discount < 0 or time_unit_per_month <= 0:
        raise InvalidInputError(
            f"months={months}, monthly_discount={monthly_discount}, "
            f"time_unit_per_month={time_unit_per_month}: need months >= 1, discount >= 0 and "
            "a positive number of time units per month."
        )
    previous = transactions_model.conditional_expected_purchases(0.0, x, t_x, T)
    total = np.zeros(np.shape(previous))
    for m in range(1, months + 1):
        current = transactions_model.conditional_expected_purchases(
            m * time_unit_per_month, x, t_x, T
        )
        total = total + (current - previous) / (1 + monthly_discount) ** m
        previous = current
    out: FloatArray = total
    return out
