"""Category operations: ABC/XYZ, slow movers and dead stock, basket rules, elasticity."""

from __future__ import annotations

from shopscope.supply.assortment.abc_xyz import POLICIES as POLICIES
from shopscope.supply.assortment.abc_xyz import AbcXyzResult as AbcXyzResult
from shopscope.supply.assortment.abc_xyz import MatrixCell as MatrixCell
from shopscope.supply.assortment.abc_xyz import abc_table as abc_table
from shopscope.supply.assortment.abc_xyz import abc_xyz as abc_xyz
from shopscope.supply.assortment.abc_xyz import xyz_table as xyz_table
from shopscope.supply.assortment.basket import BasketRules as BasketRules
from shopscope.supply.assortment.basket import association_rules as association_rules
from shopscope.supply.assortment.basket import (
    frequently_bought_together as frequently_bought_together,
)
from shopscope.supply.assortment.basket import pair_counts as pair_counts
from shopscope.supply.assortment.elasticity import ElasticityEstimate as ElasticityEstimate
from shopscope.supply.assortment.elasticity import discount_elasticity as discount_elasticity
from shopscope.supply.assortment.sales import sold_lines as sold_lines
from shopscope.supply.assortment.slow_movers import StockAgeing as StockAgeing
from shopscope.supply.assortment.slow_movers import StockStatusTotal as StockStatusTotal
from shopscope.supply.assortment.slow_movers import slow_movers as slow_movers

__all__ = [
    "POLICIES",
    "AbcXyzResult",
    "BasketRules",
    "ElasticityEstimate",
    "MatrixCell",
    "StockAgeing",
    "StockStatusTotal",
    "abc_table",
    "abc_xyz",
    "association_rules",
    "discount_elasticity",
    "frequently_bought_together",
    "pair_counts",
    "slow_movers",
    "sold_lines",
    "xyz_table",
]
