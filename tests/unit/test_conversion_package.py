"""The conversion package's public surface stays exactly what is documented."""

from __future__ import annotations

import shopscope.conversion as conversion
import shopscope.conversion.experiments as experiments


def test_conversion_exports_are_exact():
    assert sorted(conversion.__all__) == [
        "Funnel", "abandoned_carts", "analyze_experiment", "analyze_table", "funnel",
        "product_conversion",
    ]  # fmt: skip


def test_experiments_exports_are_exact():
    assert sorted(experiments.__all__) == sorted(
        [
            "METRICS", "ArmStats", "ExperimentAnalysis", "Measure", "Metric", "MetricResult",
            "RegisteredExperiment", "adjust_p_values", "analyze_arms", "analyze_experiment",
            "analyze_table", "beta_binomial", "compare_arms", "cuped_adjust", "experiment_ids",
            "experiment_traffic", "gaussian", "list_registered", "minimum_detectable_effect",
            "msprt", "record_decision", "register_experiment", "sample_size", "srm_check",
        ]
    )  # fmt: skip
    assert all(hasattr(experiments, name) for name in experiments.__all__)
