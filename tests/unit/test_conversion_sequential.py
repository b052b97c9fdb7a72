"""Sequential testing under peeking: A/A Monte Carlo keeps the false-positive rate <= alpha."""

from __future__ import annotations

import pytest

from shopscope.conversion.experiments.simulation import simulate_aa_peeking

SEED = 20261124  # recorded seed of the validation run


@pytest.mark.slow
def test_msprt_keeps_fpr_under_peeking_while_naive_inflates():
    """2,000 A/A experiments, 20 looks of 200 users per arm, alpha = 0.05."""
    r = simulate_aa_peeking(experiments=2000, looks=20, batch=200, rate=0.1, seed=SEED)
    assert r.sequential_fpr <= r.alpha
    # the naive analyst who stops at the first |z| > 1.96 is wrong far more often than 5 %
    assert r.naive_fpr > 2 * r.alpha
    # the fixed-horizon test at its planned end stays near alpha (MC error ~0.005)
    assert abs(r.fixed_horizon_fpr - r.alpha) < 0.02


def test_small_simulation_is_deterministic():
    a = simulate_aa_peeking(experiments=200, looks=5, batch=100, seed=1)
    b = simulate_aa_peeking(experiments=200, looks=5, batch=100, seed=1)
    assert a == b
    assert 0 <= a.sequential_fpr <= a.naive_fpr <= 1
