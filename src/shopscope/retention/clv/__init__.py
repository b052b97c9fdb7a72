"""Customer lifetime value: buy-till-you-die purchase models and the Gamma-Gamma spend model.

See ``docs/methods/clv.md``.
"""

from __future__ import annotations

from shopscope.retention.clv._mle import ConvergenceError as ConvergenceError
from shopscope.retention.clv.bgnbd import BGNBD as BGNBD
from shopscope.retention.clv.gammagamma import GammaGamma as GammaGamma
from shopscope.retention.clv.gammagamma import TransactionModel as TransactionModel
from shopscope.retention.clv.gammagamma import (
    customer_lifetime_value as customer_lifetime_value,
)
from shopscope.retention.clv.paretonbd import ParetoNBD as ParetoNBD
from shopscope.retention.clv.summary import TimeUnit as TimeUnit
from shopscope.retention.clv.summary import rfm_summary as rfm_summary

__all__ = [
    "BGNBD",
    "ConvergenceError",
    "GammaGamma",
    "ParetoNBD",
    "TimeUnit",
    "TransactionModel",
    "customer_lifetime_value",
    "rfm_summary",
]
