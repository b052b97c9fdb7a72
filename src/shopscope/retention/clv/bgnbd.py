"""The BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005).

While alive, a customer buys as a Poisson process with rate ``λ ~ Gamma(r, α)``; after each
purchase they drop out with probability ``p ~ Beta(a, b)``.
"""

# ``T`` (customer age) is the literature's name (Fader, Hardie & Lee 2005); kept as is.
# ruff: noqa: N803, N806

from __future__ import annotations

from typing import Self

import numpy as np
import numpy.typing as npt
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from shopscope.retention.clv._mle import (
    FloatArray,
    MLEModel,
    as_rfm,
    as_weights,
    collapse_rows,
    fit_mle,
    warm_start,
)

__all__ = ["BGNBD"]


class BGNBD(MLEModel):
    """Beta-geometric/NBD model ("Counting Your Customers the Easy Way").

    Fitted attributes: ``params_`` (``r, alpha, a, b``), ``log_likelihood_``,
    ``standard_errors_``.

    All ``x = 0`` data cannot identify the model: the likelihood then increases without bound
    as ``λ → 0`` and the fit raises :class:`~shopscope.retention.clv.ConvergenceError`.

    References
    ----------
    .. [1] Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting Your Customers" the
       Easy Way: An Alternative to the Pareto/NBD Model. *Marketing Science* 24(2), 275-284.
    """

    names = ("r", "alpha", "a", "b")
    label = "BG/NBD"

    fit_signature = "fit(x, t_x, T)"

    # -- likelihood --------------------------------------------------------------------------
    @staticmethod
    def _loglik(theta: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
        """Per-customer log-likelihood, FHL (2005) eq. 6, combined in log space."""
        r, alpha, a, b = theta
        a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
        a2 = betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(alpha + T)
        # second term exists only for x > 0 (the customer may have died after the last purchase)
        xm = np.where(x > 0, x, 1.0)
        a3 = np.where(
            x > 0,
            betaln(a + 1, b + xm - 1) - betaln(a, b) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
        out: FloatArray = a1 + np.logaddexp(a2, a3)
        return out

    @staticmethod
    def _score(
        theta: FloatArray,
        x: FloatArray,
        t_x: FloatArray,
        T: FloatArray,
        groups: tuple[FloatArray, npt.NDArray[np.intp]] | None = None,
    ) -> tuple[FloatArray, list[FloatArray]]:
        """Log-likelihood and its partial derivatives in ``(r, α, a, b)``.

        With ``ℓ = A1 + log(e^A2 + e^A3)`` and the weights ``w2 = e^(A2−ℓ+A1)``,
        ``w3 = 1 − w2`` of the two terms, each derivative is that of ``A1`` plus the weighted
        derivatives of ``A2`` and ``A3``; ``∂ log B(p, q)/∂p = ψ(p) − ψ(p + q)``. Every special
        function depends on ``x`` only, so it is evaluated once per distinct ``x`` (a few dozen
        values) and gathered; per customer only logarithms and exponentials remain.
        """
        r, alpha, a, b = theta
        ux, inv = groups if groups is not None else np.unique(x, return_inverse=True)
        buyer_u = ux > 0
        xm = np.where(buyer_u, ux, 1.0)
        lb = betaln(a, b)
        # per distinct x
        g_a1 = gammaln(r + ux) - gammaln(r) + r * np.log(alpha)
        g_b2 = betaln(a, b + ux) - lb
        g_b3 = np.where(buyer_u, betaln(a + 1, b + xm - 1) - lb, -np.inf)
        psi_ab = digamma(a + b)
        psi_abx = digamma(a + b + ux)
        g_dr = digamma(r + ux) - digamma(r) + np.log(alpha)
        g_da2 = psi_ab - psi_abx
        g_da3 = digamma(a + 1) - psi_abx - digamma(a) + psi_ab
        g_db2 = digamma(b + ux) - psi_abx - digamma(b) + psi_ab
        g_db3 = np.where(buyer_u, digamma(b + xm - 1) - psi_abx - digamma(b) + psi_ab, 0.0)
        # per customer
        rx = r + x
        la_T, la_tx = np.log(alpha + T), np.log(alpha + t_x)
        a2 = g_b2[inv] - rx * la_T
        a3 = g_b3[inv] - rx * la_tx
        mix = np.logaddexp(a2, a3)
        w2 = np.exp(a2 - mix)
        w3 = 1.0 - w2
        d_r = g_dr[inv] - w2 * la_T - w3 * la_tx
        d_alpha = r / alpha - rx * (w2 / (alpha + T) + w3 / (alpha + t_x))
        d_a = w2 * g_da2[inv] + w3 * g_da3[inv]
        d_b = w2 * g_db2[inv] + w3 * g_db3[inv]
        return g_a1[inv] + mix, [d_r, d_alpha, d_a, d_b]

    def fit(
        self,
        x: npt.ArrayLike,
        t_x: npt.ArrayLike,
        T: npt.ArrayLike,
        *,
        weights: npt.ArrayLike | None = None,
    ) -> Self:
        """Fit by maximum likelihood; ``weights`` counts identical ``(x, t_x, T)`` rows.

        Raises
        ------
        InvalidInputError
            Empty or invalid summaries.
        ConvergenceError
            No finite optimum (e.g. no customer has a repeat purchase).
        """
        xa, ta, Ta = as_rfm(x, t_x, T, fitting=True)
        (xa, ta, Ta), w = collapse_rows((xa, ta, Ta), as_weights(weights, xa.size))
        groups = np.unique(xa, return_inverse=True)
        self._result = fit_mle(
            self.label,
            self.names,
            lambda th: self._loglik(th, xa, ta, Ta),
            w,
            start=warm_start(
                self, (xa, ta, Ta), w, (1.0, float(np.average(Ta, weights=w)) / 4, 1.0, 1.0)
            ),
            score=lambda th: self._score(th, xa, ta, Ta, groups),
        )
        return self

    # -- predictions --------------------------------------------------------------------------
    def expected_purchases(self, t: npt.ArrayLike) -> FloatArray:
        """Unconditional ``E[X(t)]`` for a new customer, FHL (2005) eq. 7."""
        r, alpha, a, b = (self.params_[n] for n in self.names)
        ta = np.asarray(t, dtype=np.float64)
        z = ta / (alpha + ta)
        # clipped at 0: at t ≈ 0 the difference 1 − … rounds to −1e-16
        out: FloatArray = np.maximum(
            0.0,
            (
                (a + b - 1)
                / (a - 1)
                * (1 - (alpha / (alpha + ta)) ** r * hyp2f1(r, b, a + b - 1, z))
            ),
        )
        return out

    def _log_death_odds(self, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
        """``log[a/(b+x-1) ((α+T)/(α+t_x))^(r+x)]`` for x > 0, ``-inf`` for x = 0."""
        r, alpha, a, b = (self.params_[n] for n in self.names)
        xm = np.where(x > 0, x, 1.0)
        out: FloatArray = np.where(
            x > 0,
            np.log(a) - np.log(b + xm - 1) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x)),
            -np.inf,
        )
        return out

    def probability_alive(
        self, x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """``P(alive | x, t_x, T)``, FHL (2005) appendix / Fader, Hardie & Lee note 021."""
        xa, ta, Ta = as_rfm(x, t_x, T)
        out: FloatArray = expit(-self._log_death_odds(xa, ta, Ta))
        return out

    def conditional_expected_purchases(
        self, t: npt.ArrayLike, x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """``E[Y(t) | x, t_x, T]``: purchases in the next ``t`` time units, FHL (2005) eq. 10."""
        r, alpha, a, b = (self.params_[n] for n in self.names)
        xa, ta, Ta = as_rfm(x, t_x, T)
        tt = np.asarray(t, dtype=np.float64)
        z = tt / (alpha + Ta + tt)
        growth = 1 - ((alpha + Ta) / (alpha + Ta + tt)) ** (r + xa) * hyp2f1(
            r + xa, b + xa, a + b + xa - 1, z
        )
        out: FloatArray = np.maximum(
            0.0, ((a + b + xa - 1) / (a - 1) * growth * expit(-self._log_death_odds(xa, ta, Ta)))
        )
        return out
