"""The vectorised intermittent-demand models against statsforecast 2.1.1, series by series.

statsforecast is an independent implementation (compiled, one series at a time). Croston, SBA
and TSB are closed-form recursions and must agree to rounding; ADIDA and IMAPA optimise the SES
weight by golden-section search, where shopscope stops at a coarser tolerance (1e-4 on alpha),
so they agree to 0.1%.
"""

from __future__ import annotations

import numpy as np
import pytest
from statsforecast.models import ADIDA, IMAPA, TSB, CrostonClassic, CrostonSBA

from shopscope.supply.forecast import intermittent


@pytest.fixture(scope="module")
def series() -> np.ndarray:
    rng = np.random.default_rng(11)
    p = rng.uniform(0.005, 0.9, (80, 1))
    y = (rng.random((80, 400)) < p) * rng.poisson(3.0, (80, 400)).astype(float)
    y[0] = 0.0  # no demand at all
    y[1] = 0.0
    y[1, 200] = 4.0  # one sale
    y[2] = 0.0
    y[2, -1] = 2.0  # one sale on the last day
    return y


@pytest.mark.parametrize(
    ("ours", "theirs", "rtol"),
    [
        (intermittent.croston, CrostonClassic(), 1e-12),
        (intermittent.croston_sba, CrostonSBA(), 1e-12),
        (
            lambda y: intermittent.tsb(y, alpha_d=0.2, alpha_p=0.1),
            TSB(alpha_d=0.2, alpha_p=0.1),
            1e-12,
        ),
        (intermittent.adida, ADIDA(), 1e-3),
        (intermittent.imapa, IMAPA(), 1e-3),
    ],
    ids=["croston", "sba", "tsb", "adida", "imapa"],
)
def test_matches_statsforecast(series, ours, theirs, rtol):
    expected = np.array([theirs.forecast(y=row, h=1)["mean"][0] for row in series])
    got = ours(series)
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=1e-12)
