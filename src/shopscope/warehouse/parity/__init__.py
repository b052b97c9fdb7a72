"""Backend parity: a registry of Ibis queries that must give the same answer on every backend.

The parity suite (``tests/parity``) builds one small warehouse in DuckDB, copies it into Spark
with :func:`~shopscope.warehouse.sync.copy_warehouse`, runs every registered query on both and
compares the results with :func:`compare_results`. Domain packages add their analytics in a
module ``shopscope/<domain>/parity.py``::

    from shopscope.warehouse.parity import parity_query

    @parity_query("rfm_segments", sort_by=("segment",), tolerance=1e-9)
    def _rfm_segments(wh: Warehouse) -> ibis.Table:
        return rfm_segments(wh.table("orders"), ...)

:func:`discover_parity_queries` imports those modules, so the suite picks them up without
``warehouse`` importing any domain package.

The seed queries below cover the canonical tables with plain Ibis (joins, group-bys, date
truncation, conditional sums, distinct counts, a top-N with a tie-break and windows); no raw
SQL, so they compile for every backend.
"""

from shopscope.warehouse.parity import queries as queries  # registers the seed queries
from shopscope.warehouse.parity.compare import compare_results as compare_results
from shopscope.warehouse.parity.registry import PARITY_QUERIES as PARITY_QUERIES
from shopscope.warehouse.parity.registry import ParityQuery as ParityQuery
from shopscope.warehouse.parity.registry import check_parity as check_parity
from shopscope.warehouse.parity.registry import discover_parity_queries as discover_parity_queries
from shopscope.warehouse.parity.registry import parity_query as parity_query
from shopscope.warehouse.parity.registry import register_parity_query as register_parity_query

__all__ = [
    "PARITY_QUERIES",
    "ParityQuery",
    "check_parity",
    "compare_results",
    "discover_parity_queries",
    "parity_query",
    "register_parity_query",
]
