"""Conversion: funnels, product-page conversion, abandoned carts and experiments.

See ``docs/methods/funnels.md`` and ``docs/methods/experiments.md``.
"""

from __future__ import annotations

from shopscope.conversion.abandoned import abandoned_carts as abandoned_carts
from shopscope.conversion.experiments import analyze_experiment as analyze_experiment
from shopscope.conversion.experiments import analyze_table as analyze_table
from shopscope.conversion.funnels import Funnel as Funnel
from shopscope.conversion.funnels import funnel as funnel
from shopscope.conversion.products import product_conversion as product_conversion

__all__ = [
    "Funnel",
    "abandoned_carts",
    "analyze_experiment",
    "analyze_table",
    "funnel",
    "product_conversion",
]
