"""The modified BG/NBD model (Batislam, Denizel & Filiztekin 2007; Wagner & Hoppe 2008).

As BG/NBD, but a customer may also drop out right after the *first* purchase (time 0): after
every purchase, the first included, they become inactive with probability ``p ~ Beta(a, b)``.
Customers without repeat purchases can therefore be inactive, which BG/NBD rules out. The demo
store's purchase process is this one (see ``docs/methods/clv.md``).
"""

# ``T`` (customer age) is the literature's name (Fader, Hardie & Lee 2005); kept as is.
# ruff: noqa: N803, N806

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from shopscope.retention.clv._mle import FloatArray, as_rfm
from shopscope.retention.clv.bgnbd import BGNBD

__all__ = ["ModifiedBGNBD"]


class ModifiedBGNBD(BGNBD):
    """Modified beta-geometric/NBD model (MBG/NBD).

    Fitted attributes: ``params_`` (``r, alpha, a, b``), ``log_likelihood_``,
    ``standard_errors_``. Fitting and ``probability_alive`` are BG/NBD's; the likelihood, its
    score, the death odds and the expectations are the modified model's.

    References
    ----------
    .. [1] Batislam, E. P., Denizel, M. & Filiztekin, A. (2007). Empirical validation and
       comparison of models for customer base analysis. *International Journal of Research in
       Marketing* 24(3), 201-209.
    .. [2] Wagner, U. & Hoppe, D. (2008). Erratum on the MBG/NBD model. *International Journal
       of Research in Marketing* 25(3), 225-226.
    """

    label = "MBG/NBD"

    @staticmethod
    def _loglik(theta: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
        """Per-customer log-likelihood.

        Given ``λ, p``: ``λ^x (1−p)^x [(1−p) e^{−λT} + p e^{−λ t_x}]`` (alive at ``T``, or
        dropped out right after the last purchase); integrating ``p`` gives Beta functions
        ``B(a, b+x+1)`` and ``B(a+1, b+x)``, integrating ``λ`` the NBD terms.
        """
        r, alpha, a, b = theta
        head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
        alive = betaln(a, b + x + 1) - (r + x) * np.log(alpha + T)
        died = betaln(a + 1, b + x) - (r + x) * np.log(alpha + t_x)
        out: FloatArray = head + np.logaddexp(alive, died)
        return out

    @staticmethod
    def _score(
        theta: FloatArray,
        x: FloatArray,
        t_x: FloatArray,
        T: FloatArray,
        groups: tuple[FloatArray, npt.NDArray[np.intp]] | None = None,
    ) -> tuple[FloatArray, list[FloatArray]]:
        """Log-likelihood and partial derivatives in ``(r, α, a, b)`` (as ``BGNBD._score``).

        Special functions depend on ``x`` only and are evaluated once per distinct ``x``.
        """
        r, alpha, a, b = theta
        ux, inv = groups if groups is not None else np.unique(x, return_inverse=True)
        lb = betaln(a, b)
        psi_ab, psi_abx1 = digamma(a + b), digamma(a + b + ux + 1)
        g_head = gammaln(r + ux) - gammaln(r) + r * np.log(alpha) - lb
        g_alive = betaln(a, b + ux + 1)
        g_died = betaln(a + 1, b + ux)
        g_dr = digamma(r + ux) - digamma(r) + np.log(alpha)
        da_head, db_head = psi_ab - digamma(a), psi_ab - digamma(b)
        g_da2, g_da3 = digamma(a) - psi_abx1, digamma(a + 1) - psi_abx1
        g_db2, g_db3 = digamma(b + ux + 1) - psi_abx1, digamma(b + ux) - psi_abx1
        rx = r + x
        la_T, la_tx = np.log(alpha + T), np.log(alpha + t_x)
        alive = g_alive[inv] - rx * la_T
        died = g_died[inv] - rx * la_tx
        mix = np.logaddexp(alive, died)
        w2 = np.exp(alive - mix)
        w3 = 1.0 - w2
        d_r = g_dr[inv] - w2 * la_T - w3 * la_tx
        d_alpha = r / alpha - rx * (w2 / (alpha + T) + w3 / (alpha + t_x))
        d_a = da_head + w2 * g_da2[inv] + w3 * g_da3[inv]
        d_b = db_head + w2 * g_db2[inv] + w3 * g_db3[inv]
        return g_head[inv] + mix, [d_r, d_alpha, d_a, d_b]

    def expected_purchases(self, t: npt.ArrayLike) -> FloatArray:
        """Unconditional ``E[X(t)] = b/(a−1) [1 − (α/(α+t))^r ₂F₁(r, b+1; a+b; t/(α+t))]``.

        The conditional expectation at ``x = t_x = 0`` as ``T → 0``: a new customer is still
        active after the first purchase with probability ``b/(a+b)``.
        """
        r, alpha, a, b = (self.params_[n] for n in self.names)
        ta = np.asarray(t, dtype=np.float64)
        growth = 1 - (alpha / (alpha + ta)) ** r * hyp2f1(r, b + 1, a + b, ta / (alpha + ta))
        out: FloatArray = np.maximum(0.0, b / (a - 1) * growth)
        return out

    def _log_death_odds(self, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
        r, alpha, a, b = (self.params_[n] for n in self.names)
        out: FloatArray = (
            np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        )
        return out

    def conditional_expected_purchases(
        self, t: npt.ArrayLike, x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """``E[Y(t) | x, t_x, T]`` (Wagner & Hoppe 2008): the BG/NBD form with ``b → b + 1``."""
        r, alpha, a, b = (self.params_[n] for n in self.names)
        xa, ta, Ta = as_rfm(x, t_x, T)
        tt = np.asarray(t, dtype=np.float64)
        z = tt / (alpha + Ta + tt)
        growth = 1 - ((alpha + Ta) / (alpha + Ta + tt)) ** (r + xa) * hyp2f1(
            r + xa, b + xa + 1, a + b + xa, z
        )
        out: FloatArray = np.maximum(
            0.0, (a + b + xa) / (a - 1) * growth * expit(-self._log_death_odds(xa, ta, Ta))
        )
        return out
