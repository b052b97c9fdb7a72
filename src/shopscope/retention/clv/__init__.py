"""Customer lifetime value: buy-till-you-die purchase models and the Gamma-Gamma spend model.

See ``docs/methods/clv.md``.
"""

from __future__ import annotations

from shopscope.retention.clv._mle import ConvergenceError as ConvergenceError
from shopscope.retention.clv.bgnbd import BGNBD as BGNBD
from shopscope.retention.clv.evaluate import FrequencyBucket as FrequencyBucket
from shopscope.retention.clv.evaluate import HoldoutError as HoldoutError
from shopscope.retention.clv.evaluate import HoldoutEvaluation as HoldoutEvaluation
from shopscope.retention.clv.evaluate import compare_holdout as compare_holdout
from shopscope.retention.clv.evaluate import evaluate_holdout as evaluate_holdout
from shopscope.retention.clv.gammagamma import GammaGamma as GammaGamma
from shopscope.retention.clv.gammagamma import TransactionModel as TransactionModel
from shopscope.retention.clv.gammagamma import (
    customer_lifetime_value as customer_lifetime_value,
)
from shopscope.retention.clv.gammagamma import (
    discounted_expected_purchases as discounted_expected_purchases,
)
from shopscope.retention.clv.mbgnbd import ModifiedBGNBD as ModifiedBGNBD
from shopscope.retention.clv.paretonbd import ParetoNBD as ParetoNBD
from shopscope.retention.clv.predict import CLVFit as CLVFit
from shopscope.retention.clv.predict import CLVModels as CLVModels
from shopscope.retention.clv.predict import ModelName as ModelName
from shopscope.retention.clv.predict import fit_clv as fit_clv
from shopscope.retention.clv.predict import fit_clv_summary as fit_clv_summary
from shopscope.retention.clv.predict import predict_clv as predict_clv
from shopscope.retention.clv.simulate import simulate_purchases as simulate_purchases
from shopscope.retention.clv.simulate import simulate_spend as simulate_spend
from shopscope.retention.clv.summary import TimeUnit as TimeUnit
from shopscope.retention.clv.summary import rfm_summary as rfm_summary
from shopscope.retention.clv.summary import rfm_summary_table as rfm_summary_table
from shopscope.retention.clv.uncertainty import BootstrapResult as BootstrapResult
from shopscope.retention.clv.uncertainty import DataAdequacy as DataAdequacy
from shopscope.retention.clv.uncertainty import ParameterInterval as ParameterInterval
from shopscope.retention.clv.uncertainty import assess_data as assess_data
from shopscope.retention.clv.uncertainty import bootstrap_intervals as bootstrap_intervals
from shopscope.retention.clv.uncertainty import hessian_intervals as hessian_intervals

__all__ = [
    "BGNBD",
    "BootstrapResult",
    "CLVFit",
    "CLVModels",
    "ConvergenceError",
    "DataAdequacy",
    "FrequencyBucket",
    "GammaGamma",
    "HoldoutError",
    "HoldoutEvaluation",
    "ModelName",
    "ModifiedBGNBD",
    "ParameterInterval",
    "ParetoNBD",
    "TimeUnit",
    "TransactionModel",
    "assess_data",
    "bootstrap_intervals",
    "compare_holdout",
    "customer_lifetime_value",
    "discounted_expected_purchases",
    "evaluate_holdout",
    "fit_clv",
    "fit_clv_summary",
    "hessian_intervals",
    "predict_clv",
    "rfm_summary",
    "rfm_summary_table",
    "simulate_purchases",
    "simulate_spend",
]
