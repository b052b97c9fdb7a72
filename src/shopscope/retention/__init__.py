"""Retention analytics: RFM segments (``rfm``) and customer lifetime value models (``clv``)."""

from __future__ import annotations

from shopscope.retention.clv import BGNBD as BGNBD
from shopscope.retention.clv import ConvergenceError as ConvergenceError
from shopscope.retention.clv import GammaGamma as GammaGamma
from shopscope.retention.clv import ParetoNBD as ParetoNBD
from shopscope.retention.clv import TimeUnit as TimeUnit
from shopscope.retention.clv import TransactionModel as TransactionModel
from shopscope.retention.clv import customer_lifetime_value as customer_lifetime_value
from shopscope.retention.clv import rfm_summary as rfm_summary
from shopscope.retention.rfm import SegmentRule as SegmentRule
from shopscope.retention.rfm import SegmentSummary as SegmentSummary
from shopscope.retention.rfm import load_segment_rules as load_segment_rules
from shopscope.retention.rfm import rfm_scores as rfm_scores
from shopscope.retention.rfm import segment_migration as segment_migration
from shopscope.retention.rfm import segment_summary as segment_summary

__all__ = [
    "BGNBD",
    "ConvergenceError",
    "GammaGamma",
    "ParetoNBD",
    "SegmentRule",
    "SegmentSummary",
    "TimeUnit",
    "TransactionModel",
    "customer_lifetime_value",
    "load_segment_rules",
    "rfm_scores",
    "rfm_summary",
    "segment_migration",
    "segment_summary",
]
