"""Inventory policy and replenishment: safety stock, reorder point, order-up-to, EOQ, cover,
stock-out risk, purchase-order suggestions and a policy simulation over history.

See ``docs/methods/inventory.md``.
"""

from __future__ import annotations

from shopscope.supply.inventory.formulas import cycle_service_level as cycle_service_level
from shopscope.supply.inventory.formulas import (
    economic_order_quantity as economic_order_quantity,
)
from shopscope.supply.inventory.formulas import expected_shortage as expected_shortage
from shopscope.supply.inventory.formulas import fill_rate as fill_rate
from shopscope.supply.inventory.formulas import lead_time_demand_sd as lead_time_demand_sd
from shopscope.supply.inventory.formulas import order_up_to_level as order_up_to_level
from shopscope.supply.inventory.formulas import reorder_point as reorder_point
from shopscope.supply.inventory.formulas import safety_factor as safety_factor
from shopscope.supply.inventory.formulas import safety_stock as safety_stock
from shopscope.supply.inventory.formulas import (
    safety_stock_for_fill_rate as safety_stock_for_fill_rate,
)
from shopscope.supply.inventory.formulas import stockout_probability as stockout_probability
from shopscope.supply.inventory.history import StockHistory as StockHistory
from shopscope.supply.inventory.history import stock_history as stock_history
from shopscope.supply.inventory.plan import ReplenishmentPlan as ReplenishmentPlan
from shopscope.supply.inventory.plan import days_of_cover as days_of_cover
from shopscope.supply.inventory.plan import replenishment_plan as replenishment_plan
from shopscope.supply.inventory.policy import DEFAULT_LEAD_TIME_DAYS as DEFAULT_LEAD_TIME_DAYS
from shopscope.supply.inventory.policy import PolicyConfig as PolicyConfig
from shopscope.supply.inventory.simulation import Outcome as Outcome
from shopscope.supply.inventory.simulation import Simulation as Simulation
from shopscope.supply.inventory.simulation import simulate_policy as simulate_policy

__all__ = [
    "DEFAULT_LEAD_TIME_DAYS",
    "Outcome",
    "PolicyConfig",
    "ReplenishmentPlan",
    "Simulation",
    "StockHistory",
    "cycle_service_level",
    "days_of_cover",
    "economic_order_quantity",
    "expected_shortage",
    "fill_rate",
    "lead_time_demand_sd",
    "order_up_to_level",
    "reorder_point",
    "replenishment_plan",
    "safety_factor",
    "safety_stock",
    "safety_stock_for_fill_rate",
    "simulate_policy",
    "stock_history",
    "stockout_probability",
]
