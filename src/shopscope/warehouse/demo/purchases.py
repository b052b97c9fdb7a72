"""When customers buy and how much: the modified BG/NBD and Gamma-Gamma processes.

For each customer (Fader, Hardie & Lee 2005, "Counting your customers the easy way", with the
dropout after the first purchase of the MBG/NBD, Batislam et al. 2007)::

    lambda ~ Gamma(shape=r, rate=alpha)      purchase rate per day of operational time
    p      ~ Beta(a, b)                      dropout probability after each purchase
    nu     ~ Gamma(shape=q, rate=gamma)      spend rate (Gamma-Gamma, Fader, Hardie & Lee 2005b)
    z_j    ~ Gamma(shape=p_gg, rate=nu)      value of each order j

The first order is placed at arrival (operational time ``tau0``). While alive, repeat orders
form a Poisson process with rate ``lambda`` in operational time; the customer survives
``N ~ Geometric(p) - 1`` repeat purchases. Over the remaining window ``T = tau_end - tau0`` the
Poisson count is ``n ~ Poisson(lambda T)`` and the customer makes ``x = min(n, N)`` repeat
orders: the first ``x`` of ``n`` uniform order statistics on ``[0, T]``, drawn sequentially with
``U_(k) = 1 - prod_{i<=k} V_i ** (1 / (n - i + 1))``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from shopscope.warehouse.demo.params import BGNBDParams, GammaGammaParams
from shopscope.warehouse.demo.timeline import US_PER_DAY, Timeline, sample_seconds

__all__ = ["Purchases", "simulate_purchases"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Purchases:
    """Orders of a customer chunk (customer-local index, time, value), sorted by customer."""

    customer: IntArray
    day: IntArray
    ts_us: IntArray
    is_first: BoolArray
    value: FloatArray
    rate: FloatArray
    dropout: FloatArray
    spend_rate: FloatArray

    @property
    def n(self) -> int:
        """Number of orders."""
        return int(self.customer.size)


def _segment_cumsum(values: FloatArray, starts: IntArray, lengths: IntArray) -> FloatArray:
    """Cumulative sum restarting at each segment (segments contiguous, in order)."""
    total = np.cumsum(values)
    before = np.repeat(total[starts] - values[starts], lengths)
    out: FloatArray = total - before
    return out


def simulate_purchases(
    rng: np.random.Generator,
    timeline: Timeline,
    tau0: FloatArray,
    first_us: IntArray,
    utc_offset: IntArray,
    bgnbd: BGNBDParams,
    spend: GammaGammaParams,
) -> Purchases:
    """Simulate every order of the customers whose first order is at ``tau0``."""
    n = tau0.size
    lam = rng.gamma(bgnbd.r, 1.0 / bgnbd.alpha, n)
    p = rng.beta(bgnbd.a, bgnbd.b, n)
    p = np.maximum(p, 1e-12)
    nu = rng.gamma(spend.q, 1.0 / spend.gamma, n)
    horizon = np.maximum(timeline.cumulative[-1] - tau0, 0.0)
    n_pois = rng.poisson(lam * horizon)
    survive = rng.geometric(p) - 1
    x = np.minimum(n_pois, survive).astype(np.int64)

    total = int(x.sum())
    owner = np.repeat(np.arange(n, dtype=np.int64), x)
    starts = np.concatenate([[0], np.cumsum(x)[:-1]]).astype(np.int64)
    k = np.arange(total, dtype=np.int64) - np.repeat(starts, x)  # 0-based rank
    remaining = n_pois[owner] - k  # n - i + 1 with i = k + 1
    step = np.log(1.0 - rng.random(total)) / remaining
    nonzero = x > 0
    cum = _segment_cumsum(step, starts[nonzero], x[nonzero]) if total else np.zeros(0)
    u = 1.0 - np.exp(cum)
    tau = tau0[owner] + u * horizon[owner]
    rep_seconds = sample_seconds(rng, total, utc_offset[owner])
    rep_us = timeline.to_us(timeline.day_of_operational(tau), rep_seconds)
    # A repeat order can land on its customer's first day before the first order's clock
    # time; keep the order of events by placing it after the first order.
    rep_us = np.maximum(rep_us, first_us[owner] + 60_000_000)
    rep_us = np.minimum(rep_us, timeline.end_us - 1)

    customer = np.concatenate([np.arange(n, dtype=np.int64), owner])
    ts = np.concatenate([first_us, rep_us])
    day = (ts - timeline.start_us) // US_PER_DAY
    first = np.concatenate([np.ones(n, dtype=bool), np.zeros(total, dtype=bool)])
    order = np.lexsort((ts, customer))
    value = rng.gamma(spend.p, 1.0 / nu[customer[order]])
    return Purchases(
        customer=customer[order],
        day=day[order],
        ts_us=ts[order],
        is_first=first[order],
        value=value,
        rate=lam,
        dropout=p,
        spend_rate=nu,
    )
