"""A parallel-aisle picking area: slots, their walking cost, and S-shape pick paths.

The depot (pick-up/drop-off point) is at the front-left corner, ``x = 0, y = 0``. Aisle ``a``
(from 0) runs along ``y`` at ``x = (a + 0.5) × aisle_pitch_m``, with ``bays`` bays of
``bay_width_m`` on each side (``side`` 0/1) starting ``front_m`` from the front cross-aisle; the
back cross-aisle is at ``y = front_m + bays × bay_width_m + front_m``. ``levels`` shelf levels
per bay; level ``golden_level`` (waist height) is best, each level away from it costs
``level_penalty_m`` of equivalent walking.

Routing is the S-shape (traversal) heuristic (Hall 1993; De Koster, Le-Duc & Roodbergen 2007):
every aisle holding a pick is walked end to end, alternating direction; with an odd number of
such aisles the last one is entered from the front and left the same way.

References
----------
.. [1] Hall, R. W. (1993). Distance approximations for routing manual pickers in a warehouse.
   *IIE Transactions*, 25(4), 76-87.
.. [2] De Koster, R., Le-Duc, T., & Roodbergen, K. J. (2007). Design and control of warehouse
   order picking: a literature review. *European Journal of Operational Research*, 182(2),
   481-501.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from shopscope.errors import InvalidInputError

__all__ = ["Layout", "Slot", "s_shape"]


@dataclass(frozen=True, order=True)
class Slot:
    """A storage slot: aisle, bay, side and level (all from 0)."""

    aisle: int
    bay: int
    side: int
    level: int

    @property
    def code(self) -> str:
        """Location label, e.g. ``A03-B12-R-L1``."""
        return f"A{self.aisle + 1:02d}-B{self.bay + 1:02d}-{'LR'[self.side]}-L{self.level + 1}"


@dataclass(frozen=True)
class Layout:
    """Dimensions of the picking area (metres); see the module docstring."""

    aisles: int = 10
    bays: int = 20
    levels: int = 4
    bay_width_m: float = 1.2
    aisle_pitch_m: float = 3.0
    front_m: float = 2.0
    golden_level: int = 1
    level_penalty_m: float = 1.5

    def __post_init__(self) -> None:
        if min(self.aisles, self.bays, self.levels) < 1:
            raise InvalidInputError("A layout needs at least 1 aisle, 1 bay and 1 level.")
        if min(self.bay_width_m, self.aisle_pitch_m) <= 0 or self.front_m < 0:
            raise InvalidInputError("Layout distances must be positive (front_m >= 0).")
        if not 0 <= self.golden_level < self.levels:
            raise InvalidInputError(
                f"golden_level {self.golden_level} must be in 0..{self.levels - 1}."
            )

    @property
    def capacity(self) -> int:
        """Number of slots."""
        return self.aisles * self.bays * 2 * self.levels

    @property
    def aisle_length_m(self) -> float:
        """Front to back cross-aisle."""
        return 2 * self.front_m + self.bays * self.bay_width_m

    def x(self, aisle: int) -> float:
        """Aisle centre line."""
        return (aisle + 0.5) * self.aisle_pitch_m

    def y(self, slot: Slot) -> float:
        """Depth of the slot's bay centre from the front cross-aisle."""
        return self.front_m + (slot.bay + 0.5) * self.bay_width_m

    def cost(self, slot: Slot) -> float:
        """One-way walking cost from the depot (metres, with the level penalty)."""
        reach = abs(slot.level - self.golden_level) * self.level_penalty_m
        return self.x(slot.aisle) + self.y(slot) + reach

    def slots_by_cost(self) -> list[Slot]:
        """Every slot, cheapest first (ties broken by position)."""
        slots = [
            Slot(a, b, s, lv)
            for a in range(self.aisles)
            for b in range(self.bays)
            for s in (0, 1)
            for lv in range(self.levels)
        ]
        return sorted(slots, key=lambda sl: (round(self.cost(sl), 9), sl))


def s_shape(layout: Layout, slots: Iterable[Slot]) -> tuple[list[Slot], float]:
    """Visiting order and walking distance (metres) of an S-shape tour from the depot.

    Returns
    -------
    (order, distance)
        Slots in picking order (duplicates kept once per position) and the tour length.
    """
    by_aisle: dict[int, list[Slot]] = {}
    for sl in slots:
        by_aisle.setdefault(sl.aisle, []).append(sl)
    if not by_aisle:
        return [], 0.0
    aisles = sorted(by_aisle)
    m = len(aisles)
    order: list[Slot] = []
    for k, a in enumerate(aisles):
        picks = sorted(set(by_aisle[a]), key=lambda sl: (layout.y(sl), sl))
        last_odd = m % 2 == 1 and k == m - 1
        order.extend(picks if (k % 2 == 0 or last_odd) else picks[::-1])
    length = layout.aisle_length_m
    vertical = length * (m - 1) if m % 2 == 1 else length * m
    if m % 2 == 1:
        vertical += 2 * max(layout.y(sl) for sl in by_aisle[aisles[-1]])
    horizontal = 2 * layout.x(aisles[-1])
    return order, horizontal + vertical
