"""The seeded synthetic demo store: a UK and China gift shop with known ground truth.

:func:`generate_demo` fills a DuckDB warehouse with customers, products, orders, order lines,
events, ad spend, inventory and support tickets, and records every true parameter of the
processes that generated them in ``demo_truth`` (see ``docs/demo-store.md``).
"""

from __future__ import annotations

from shopscope.warehouse.demo.generator import DemoSummary as DemoSummary
from shopscope.warehouse.demo.generator import generate_demo as generate_demo
from shopscope.warehouse.demo.params import SIZE_PRESETS as SIZE_PRESETS
from shopscope.warehouse.demo.params import DemoParams as DemoParams
from shopscope.warehouse.demo.params import SizePreset as SizePreset

__all__ = ["SIZE_PRESETS", "DemoParams", "DemoSummary", "SizePreset", "generate_demo"]
