"""Retention analytics: RFM segments, CLV models, churn risk and audiences."""

from __future__ import annotations

from shopscope.retention.audiences import Audience as Audience
from shopscope.retention.audiences import audience_members as audience_members
from shopscope.retention.audiences import delete_audience as delete_audience
from shopscope.retention.audiences import export_audience as export_audience
from shopscope.retention.audiences import list_audiences as list_audiences
from shopscope.retention.audiences import rfm_segment_members as rfm_segment_members
from shopscope.retention.audiences import save_audience as save_audience
from shopscope.retention.churn import ChurnRisk as ChurnRisk
from shopscope.retention.churn import churn_risk as churn_risk
from shopscope.retention.clv import BGNBD as BGNBD
from shopscope.retention.clv import CLVFit as CLVFit
from shopscope.retention.clv import CLVModels as CLVModels
from shopscope.retention.clv import ConvergenceError as ConvergenceError
from shopscope.retention.clv import GammaGamma as GammaGamma
from shopscope.retention.clv import HoldoutEvaluation as HoldoutEvaluation
from shopscope.retention.clv import ModifiedBGNBD as ModifiedBGNBD
from shopscope.retention.clv import ParetoNBD as ParetoNBD
from shopscope.retention.clv import TimeUnit as TimeUnit
from shopscope.retention.clv import TransactionModel as TransactionModel
from shopscope.retention.clv import customer_lifetime_value as customer_lifetime_value
from shopscope.retention.clv import evaluate_holdout as evaluate_holdout
from shopscope.retention.clv import fit_clv as fit_clv
from shopscope.retention.clv import predict_clv as predict_clv
from shopscope.retention.clv import rfm_summary as rfm_summary
from shopscope.retention.rfm import SegmentRule as SegmentRule
from shopscope.retention.rfm import SegmentSummary as SegmentSummary
from shopscope.retention.rfm import load_segment_rules as load_segment_rules
from shopscope.retention.rfm import rfm_scores as rfm_scores
from shopscope.retention.rfm import segment_migration as segment_migration
from shopscope.retention.rfm import segment_summary as segment_summary

__all__ = [
    "BGNBD",
    "Audience",
    "CLVFit",
    "CLVModels",
    "ChurnRisk",
    "ConvergenceError",
    "GammaGamma",
    "HoldoutEvaluation",
    "ModifiedBGNBD",
    "ParetoNBD",
    "SegmentRule",
    "SegmentSummary",
    "TimeUnit",
    "TransactionModel",
    "audience_members",
    "churn_risk",
    "customer_lifetime_value",
    "delete_audience",
    "evaluate_holdout",
    "export_audience",
    "fit_clv",
    "list_audiences",
    "load_segment_rules",
    "predict_clv",
    "rfm_scores",
    "rfm_segment_members",
    "rfm_summary",
    "save_audience",
    "segment_migration",
    "segment_summary",
]
