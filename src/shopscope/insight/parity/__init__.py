"""Insight queries in the DuckDB/Spark parity suite (found by ``discover_parity_queries``).

Each submodule registers its queries when imported.
"""

import importlib
import importlib.util

__all__: list[str] = []

for _name in ("kpis", "cohorts"):
    _module = f"{__name__}.{_name}"
    if importlib.util.find_spec(_module) is not None:
        importlib.import_module(_module)
