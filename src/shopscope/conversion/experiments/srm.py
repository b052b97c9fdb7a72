"""Sample-ratio mismatch: Pearson's chi-square goodness of fit of the arm sizes.

A mismatch between the observed split and the designed allocation means the assignment or the
exposure logging is broken, so the effect estimates cannot be trusted (Fabijan et al. 2019).
The default threshold is ``p < 0.001``.

References
----------
.. [1] Fabijan, A., Gupchup, J., Gupta, S., Omhover, J., Qin, W., Vermeer, L., & Dmitriev, P.
   (2019). Diagnosing sample ratio mismatch in online controlled experiments. *KDD 2019*.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from scipy import stats as st

from shopscope.errors import InvalidInputError

__all__ = ["SrmCheck", "srm_check"]


@dataclass(frozen=True)
class SrmCheck:
    """Observed vs expected arm sizes, chi-square statistic, p-value and the verdict."""

    observed: dict[str, int]
    expected: dict[str, float]
    statistic: float
    p_value: float
    threshold: float
    mismatch: bool

    @property
    def message(self) -> str:
        """One line for the decision summary."""
        if self.mismatch:
            return (
                f"sample ratio mismatch (p = {self.p_value:.2g} < {self.threshold:g}): "
                "results are untrustworthy; check assignment and exposure logging"
            )
        return f"SRM ok (p = {self.p_value:.2g})"


def srm_check(
    counts: Mapping[str, int],
    allocation: Mapping[str, float] | None = None,
    *,
    threshold: float = 0.001,
) -> SrmCheck:
    """Chi-square test of ``counts`` against ``allocation`` (default: equal split).

    Parameters
    ----------
    counts
        Units per variant.
    allocation
        Designed share per variant (normalised to sum 1); keys must match ``counts``.
    threshold
        Flag a mismatch when ``p < threshold``.
    """
    if len(counts) < 2:
        raise InvalidInputError(f"SRM needs at least two arms, got {list(counts)}.")
    if any(v < 0 for v in counts.values()):
        raise InvalidInputError(f"Arm sizes must be >= 0, got {dict(counts)}.")
    weights = dict(allocation) if allocation is not None else {k: 1.0 for k in counts}
    if set(weights) != set(counts):
        raise InvalidInputError(
            f"Allocation variants {sorted(weights)} do not match the observed variants "
            f"{sorted(counts)}; give a share for each observed variant."
        )
    if any(w <= 0 for w in weights.values()):
        raise InvalidInputError(f"Allocation shares must be > 0, got {weights}.")
    total_w = sum(weights.values())
    n = sum(counts.values())
    if n == 0:
        raise InvalidInputError("No exposed units in any arm: nothing to check.")
    expected = {k: n * weights[k] / total_w for k in counts}
    stat = sum((counts[k] - expected[k]) ** 2 / expected[k] for k in counts)
    p = float(st.chi2.sf(stat, len(counts) - 1))
    return SrmCheck(dict(counts), expected, float(stat), p, threshold, p < threshold)
