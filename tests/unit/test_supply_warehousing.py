"""Warehousing: S-shape distances worked by hand, slotting and batching on the demo store."""

from __future__ import annotations

import itertools

import pytest

from shopscope.errors import InvalidInputError
from shopscope.insight.periods import DateRange
from shopscope.supply.warehousing import (
    Layout,
    Slot,
    assign_slots,
    batch_orders,
    pick_plan,
    s_shape,
    slotting,
)

__all__: list[str] = []

# aisles at x = 1.5, 4.5, 7.5, 10.5; bays 1 m deep from y = 1; aisle length 1 + 10 + 1 = 12
LAY = Layout(aisles=4, bays=10, levels=2, bay_width_m=1.0, aisle_pitch_m=3.0, front_m=1.0)


def test_s_shape_distances_worked_by_hand():
    # one aisle (odd): in along the front to x = 4.5, up to bay 3 (y = 4.5) and back
    order, d = s_shape(LAY, [Slot(1, 3, 0, 0)])
    assert d == pytest.approx(2 * 4.5 + 2 * 4.5)
    # two aisles (even): traverse both fully, 2 x 12, plus 2 x 7.5 along the cross-aisles
    order, d = s_shape(LAY, [Slot(0, 9, 0, 0), Slot(2, 0, 1, 1)])
    assert d == pytest.approx(2 * 12 + 2 * 7.5)
    # three aisles: two traversals, then in-and-out of the last to its pick (bay 5, y = 6.5)
    slots = [Slot(0, 1, 0, 0), Slot(0, 8, 1, 0), Slot(1, 2, 0, 0), Slot(3, 5, 0, 0)]
    order, d = s_shape(LAY, slots)
    assert d == pytest.approx(2 * 12 + 2 * 6.5 + 2 * 10.5)
    # aisle 0 walked up (bays ascending), aisle 1 down, the last aisle up
    assert order == [slots[0], slots[1], slots[2], slots[3]]
    assert s_shape(LAY, []) == ([], 0.0)


def test_s_shape_is_never_shorter_than_a_lower_bound():
    """Any tour must reach the farthest aisle and the deepest pick and come back."""
    slots = [Slot(a, b, 0, 0) for a, b in itertools.product(range(4), (0, 4, 9))]
    for k in range(1, len(slots) + 1):
        subset = slots[:k]
        _, d = s_shape(LAY, subset)
        far = max(LAY.x(s.aisle) for s in subset)
        deep = max(LAY.y(s) for s in subset)
        assert d >= 2 * far + 2 * deep - 1e-9


def test_slots_by_cost_prefers_front_and_golden_level():
    first = LAY.slots_by_cost()[0]
    assert (first.aisle, first.bay, first.level) == (0, 0, LAY.golden_level)
    assert len(LAY.slots_by_cost()) == LAY.capacity == 4 * 10 * 2 * 2


def test_assign_slots_puts_partners_next_to_each_other():
    picks = {"A": 100, "B": 90, "C": 80, "D": 10}
    placed, overflow = assign_slots(LAY, picks, {"A": ["D"]}, affinity_window=5)
    order = [s for s, _, _ in placed]
    assert order == ["A", "D", "B", "C"] and overflow == []
    assert placed[1][2] == "A"
    # outside the window the partner waits its turn
    placed, _ = assign_slots(LAY, picks, {"A": ["D"]}, affinity_window=1)
    assert [s for s, _, _ in placed] == ["A", "B", "C", "D"]
    tiny = Layout(aisles=1, bays=1, levels=1, golden_level=0)
    placed, overflow = assign_slots(tiny, picks, {})
    assert [s for s, _, _ in placed] == ["A", "B"] and overflow == ["C", "D"]
    with pytest.raises(InvalidInputError, match="affinity_window"):
        assign_slots(LAY, picks, {}, affinity_window=-1)


def test_batching_covers_each_order_once_within_capacity():
    aisles = {f"o{i}": {i % 5, (i * 3) % 7} for i in range(23)}
    units = {f"o{i}": 1 + i % 4 for i in range(23)}
    batches = batch_orders(aisles, units, max_orders=4, max_units=8)
    flat = [o for b in batches for o in b]
    assert sorted(flat) == sorted(aisles)
    assert all(len(b) <= 4 and sum(units[o] for o in b) <= 8 for b in batches)
    with pytest.raises(InvalidInputError, match="max_orders"):
        batch_orders(aisles, units, max_orders=0)


def test_slotting_and_pick_plan_on_the_demo_store(demo_wh):
    period = DateRange(demo_wh_start(demo_wh), demo_end(demo_wh))
    plan = slotting(demo_wh, period)
    items = plan.items.to_pylist()
    # the most picked SKU gets the cheapest slot, and picks decide order outside partner pulls
    assert items[0]["rank"] == 1 and items[0]["slot_cost_m"] == min(r["slot_cost_m"] for r in items)
    assert plan.cost_per_pick_m < plan.baseline_cost_per_pick_m
    day = demo_end(demo_wh)
    picks = pick_plan(demo_wh, day, plan, max_orders=6, max_units=30)
    assert picks.orders > 0 and not picks.unslotted_skus
    served = sorted(o for b in picks.batches for o in b.orders)
    assert len(served) == len(set(served)) == picks.orders
    assert all(len(b.orders) <= 6 for b in picks.batches)
    assert picks.distance_m <= picks.single_order_distance_m
    rows = picks.pick_list()
    assert sum(r["quantity"] for r in rows) == sum(b.units for b in picks.batches)


def demo_end(wh):  # type: ignore[no-untyped-def]
    from shopscope.insight.periods import data_range

    found = data_range(wh)
    assert found is not None
    return found.end


def demo_wh_start(wh):  # type: ignore[no-untyped-def]
    from datetime import timedelta

    return demo_end(wh) - timedelta(days=89)
