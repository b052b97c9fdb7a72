"""The experimentation engine: sufficient statistics in the warehouse, statistics in Python.

See ``docs/methods/experiments.md``.
"""

from __future__ import annotations

from shopscope.conversion.experiments.analysis import ExperimentAnalysis as ExperimentAnalysis
from shopscope.conversion.experiments.analysis import MetricResult as MetricResult
from shopscope.conversion.experiments.analysis import analyze_arms as analyze_arms
from shopscope.conversion.experiments.analysis import analyze_experiment as analyze_experiment
from shopscope.conversion.experiments.assignment import experiment_ids as experiment_ids
from shopscope.conversion.experiments.bayes import beta_binomial as beta_binomial
from shopscope.conversion.experiments.bayes import gaussian as gaussian
from shopscope.conversion.experiments.corrections import adjust_p_values as adjust_p_values
from shopscope.conversion.experiments.cuped import cuped_adjust as cuped_adjust
from shopscope.conversion.experiments.metrics import METRICS as METRICS
from shopscope.conversion.experiments.metrics import Measure as Measure
from shopscope.conversion.experiments.metrics import Metric as Metric
from shopscope.conversion.experiments.power import (
    minimum_detectable_effect as minimum_detectable_effect,
)
from shopscope.conversion.experiments.power import sample_size as sample_size
from shopscope.conversion.experiments.registry import (
    RegisteredExperiment as RegisteredExperiment,
)
from shopscope.conversion.experiments.registry import list_registered as list_registered
from shopscope.conversion.experiments.registry import record_decision as record_decision
from shopscope.conversion.experiments.registry import register_experiment as register_experiment
from shopscope.conversion.experiments.sequential import msprt as msprt
from shopscope.conversion.experiments.srm import srm_check as srm_check
from shopscope.conversion.experiments.stats import compare_arms as compare_arms
from shopscope.conversion.experiments.sufficient import ArmStats as ArmStats
from shopscope.conversion.experiments.tables import analyze_table as analyze_table
from shopscope.conversion.experiments.traffic import experiment_traffic as experiment_traffic

__all__ = [
    "METRICS",
    "ArmStats",
    "ExperimentAnalysis",
    "Measure",
    "Metric",
    "MetricResult",
    "RegisteredExperiment",
    "adjust_p_values",
    "analyze_arms",
    "analyze_experiment",
    "analyze_table",
    "beta_binomial",
    "compare_arms",
    "cuped_adjust",
    "experiment_ids",
    "experiment_traffic",
    "gaussian",
    "list_registered",
    "minimum_detectable_effect",
    "msprt",
    "record_decision",
    "register_experiment",
    "sample_size",
    "srm_check",
]
