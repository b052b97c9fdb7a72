"""The Pareto/NBD model of repeat purchasing (Schmittlein, Morrison & Colombo 1987).

While alive, a customer buys as a Poisson process with rate ``λ ~ Gamma(r, α)``; their lifetime
is exponential with rate ``μ ~ Gamma(s, β)``.
"""

# ``T`` (customer age) is the literature's name (Fader, Hardie & Lee 2005); kept as is.
# ruff: noqa: N803, N806

from __future__ import annotations

from typing import Self

import numpy as np
import numpy.typing as npt
from scipy.special import expit, gammaln, hyp2f1

from shopscope.retention.clv._mle import (
    FloatArray,
    MLEModel,
    as_rfm,
    as_weights,
    collapse_rows,
    fit_mle,
)

__all__ = ["ParetoNBD"]


class ParetoNBD(MLEModel):
    """Pareto/NBD model ("Counting your customers: who are they and what will they do next?").

    Fitted attributes: ``params_`` (``r, alpha, s, beta``), ``log_likelihood_``,
    ``standard_errors_``. The likelihood is that of Fader & Hardie (2005), eq. 22, with the
    difference of Gauss hypergeometric terms (``A_0``) taken in log space.

    References
    ----------
    .. [1] Schmittlein, D. C., Morrison, D. G. & Colombo, R. (1987). Counting Your Customers:
       Who Are They and What Will They Do Next? *Management Science* 33(1), 1-24.
    .. [2] Fader, P. S. & Hardie, B. G. S. (2005). A Note on Deriving the Pareto/NBD Model and
       Related Expressions. http://brucehardie.com/notes/009/
    """

    names = ("r", "alpha", "s", "beta")

    fit_signature = "fit(x, t_x, T)"

    @staticmethod
    def _log_term(
        n: FloatArray, second: FloatArray | float, big: float, small: float, t: FloatArray
    ) -> FloatArray:
        """``log[₂F₁(n, b; n+1; z) / (big + t)^n]`` with ``z = (big − small)/(big + t)``.

        Evaluated through the Pfaff transformation ``₂F₁(n, b; n+1; z) = (1 − z)^(−b)
        ₂F₁(1, b; n+1; z/(z − 1))``: when one of α, β is much larger than the other ``z`` is
        close to 1, where SciPy's direct series is slow (hundreds of times) and the power
        overflows; the transformed argument is ``≤ 0`` and the ₂F₁ value positive (Euler's
        integral, ``n + 1 > b > 0``), so its logarithm is safe.
        """
        log_one_minus_z = np.log(small + t) - np.log(big + t)
        w = -(big - small) / (small + t)
        out: FloatArray = (
            -second * log_one_minus_z + np.log(hyp2f1(1.0, second, n + 1, w)) - n * np.log(big + t)
        )
        return out

    @classmethod
    def _log_a0(
        cls, theta: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray
    ) -> FloatArray:
        """``log A_0`` of Fader & Hardie (2005) eq. 22 (``-inf`` when ``t_x = T``)."""
        r, alpha, s, beta = theta
        # the hypergeometric series is evaluated with the larger of α, β (note 009, eq. 22)
        if alpha >= beta:
            big, small, second = alpha, beta, s + 1
        else:
            big, small, second = beta, alpha, r + x
        n = r + s + x
        l1 = cls._log_term(n, second, big, small, t_x)
        l2 = cls._log_term(n, second, big, small, T)
        # A_0 = e^l1 − e^l2 with l1 ≥ l2: log A_0 = l1 + log(1 − e^(l2−l1))
        with np.errstate(divide="ignore"):
            out: FloatArray = l1 + np.log(-np.expm1(np.minimum(l2 - l1, 0.0)))
        return out

    @classmethod
    def _loglik(
        cls, theta: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray
    ) -> FloatArray:
        """Per-customer log-likelihood, Fader & Hardie (2005) eq. 22, in log space."""
        r, alpha, s, beta = theta
        head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
        died = np.log(s / (r + s + x)) + cls._log_a0(theta, x, t_x, T)
        out: FloatArray = head + np.logaddexp(alive, died)
        return out

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
            No finite optimum.
        """
        xa, ta, Ta = as_rfm(x, t_x, T, fitting=True)
        (xa, ta, Ta), w = collapse_rows((xa, ta, Ta), as_weights(weights, xa.size))
        scale = float(np.average(Ta, weights=w))
        self._result = fit_mle(
            "Pareto/NBD",
            self.names,
            lambda th: self._loglik(th, xa, ta, Ta),
            w,
            start=(1.0, scale, 1.0, scale),
        )
        return self

    def _theta(self) -> FloatArray:
        return np.array([self.params_[n] for n in self.names])

    @staticmethod
    def _growth(s: float, base: FloatArray, t: FloatArray) -> FloatArray:
        """``[1 − (base/(base+t))^(s−1)] / (s−1)``, with its limit ``log(1 + t/base)`` at s = 1."""
        g = np.log1p(t / base)
        if abs(s - 1) < 1e-10:
            return g
        out: FloatArray = -np.expm1(-(s - 1) * g) / (s - 1)
        return out

    def expected_purchases(self, t: npt.ArrayLike) -> FloatArray:
        """Unconditional ``E[X(t)] = rβ/(α(s−1)) [1 − (β/(β+t))^(s−1)]`` (note 009, eq. 27)."""
        r, alpha, s, beta = self._theta()
        ta = np.asarray(t, dtype=np.float64)
        out: FloatArray = r * beta / alpha * self._growth(s, np.asarray(beta), ta)
        return out

    def probability_alive(
        self, x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """``P(alive | x, t_x, T)`` (note 009, eq. 24)."""
        xa, ta, Ta = as_rfm(x, t_x, T)
        theta = self._theta()
        r, alpha, s, beta = theta
        log_odds = (
            np.log(s / (r + s + xa))
            + (r + xa) * np.log(alpha + Ta)
            + s * np.log(beta + Ta)
            + self._log_a0(theta, xa, ta, Ta)
        )
        out: FloatArray = expit(-log_odds)
        return out

    def conditional_expected_purchases(
        self, t: npt.ArrayLike, x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """``E[Y(t) | x, t_x, T]`` (note 009, eq. 28)."""
        r, alpha, s, beta = self._theta()
        xa, ta, Ta = as_rfm(x, t_x, T)
        tt = np.asarray(t, dtype=np.float64)
        rate = (r + xa) * (beta + Ta) / (alpha + Ta)
        out: FloatArray = rate * self._growth(s, beta + Ta, tt) * self.probability_alive(xa, ta, Ta)
        return out
