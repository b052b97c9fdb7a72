"""Smart warehousing: slotting suggestions, pick-list batching and S-shape pick paths."""

from __future__ import annotations

from shopscope.supply.warehousing.layout import Layout as Layout
from shopscope.supply.warehousing.layout import Slot as Slot
from shopscope.supply.warehousing.layout import s_shape as s_shape
from shopscope.supply.warehousing.picking import PickBatch as PickBatch
from shopscope.supply.warehousing.picking import PickPlan as PickPlan
from shopscope.supply.warehousing.picking import PickStop as PickStop
from shopscope.supply.warehousing.picking import batch_orders as batch_orders
from shopscope.supply.warehousing.picking import pick_plan as pick_plan
from shopscope.supply.warehousing.slotting import SlottingPlan as SlottingPlan
from shopscope.supply.warehousing.slotting import assign_slots as assign_slots
from shopscope.supply.warehousing.slotting import slotting as slotting

__all__ = [
    "Layout",
    "PickBatch",
    "PickPlan",
    "PickStop",
    "Slot",
    "SlottingPlan",
    "assign_slots",
    "batch_orders",
    "pick_plan",
    "s_shape",
    "slotting",
]
