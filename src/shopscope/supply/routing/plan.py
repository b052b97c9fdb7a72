"""Route plans: what the solver decided, per vehicle and per stop, and the manifests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["RoutePlan", "RouteStop", "VehicleRoute", "manifest_rows"]


@dataclass(frozen=True)
class RouteStop:
    """One stop on a route, in visiting order.

    Attributes
    ----------
    sequence
        Position on the route, from 1.
    stop_id
        The order id (deliveries) or node number (instances).
    stop_index
        Index of the stop in the problem's ``stop_ids``.
    arrival
        When service starts, in the problem's time unit.
    window
        ``(early, late)``: service must start in this window.
    late_by
        How late service starts after ``window[1]`` (0 when on time).
    load
        Load delivered at the stop.
    leg_distance
        Distance from the previous stop (or the depot), in the plan's unit.
    """

    sequence: int
    stop_id: str
    stop_index: int
    arrival: int
    window: tuple[int, int]
    late_by: int
    load: int
    leg_distance: float


@dataclass(frozen=True)
class VehicleRoute:
    """One vehicle's tour from its depot through its stops and back."""

    vehicle: str
    depot: str
    stops: tuple[RouteStop, ...]
    distance: float
    duration: int
    load: int
    capacity: int
    start: int
    end: int

    @property
    def over_capacity(self) -> int:
        """Load above the vehicle's capacity (0 on a feasible route)."""
        return max(0, self.load - self.capacity)


@dataclass(frozen=True)
class RoutePlan:
    """The solved plan: routes, totals and everything that went wrong, stated.

    Attributes
    ----------
    name
        The day or instance.
    routes
        Non-empty routes, one per vehicle used.
    total_distance
        Sum of route distances, in ``distance_unit``.
    distance_unit
        ``"km"`` for deliveries, ``""`` for instance units.
    vehicles_used, vehicles_available
        Routes used and vehicles in all fleets.
    stops
        Stops planned.
    on_time_share
        Share of stops whose service starts inside their window (1.0 when there are none).
    late_stops
        Stop ids served after their window closes.
    unreachable_stops
        Stop ids that no vehicle can reach inside their window even when driving straight
        from the depot at the start of the shift (infeasible windows, found before solving).
    feasible
        Capacity and time windows hold on every route.
    objective
        The solver's integer cost (scaled distance).
    runtime, iterations
        Solver wall time in seconds and iterations.
    warnings
        Human-readable statements of every problem found.
    """

    name: str
    routes: tuple[VehicleRoute, ...]
    total_distance: float
    distance_unit: str
    vehicles_used: int
    vehicles_available: int
    stops: int
    on_time_share: float
    late_stops: tuple[str, ...]
    unreachable_stops: tuple[str, ...]
    feasible: bool
    objective: int
    runtime: float
    iterations: int
    warnings: tuple[str, ...] = ()


def manifest_rows(
    plan: RoutePlan,
    *,
    coords: Callable[[int], tuple[float, float]] | None = None,
    clock: Callable[[int], Any] = lambda t: t,
) -> list[dict[str, Any]]:
    """One row per stop: the driver's manifest (vehicle, order, position, arrival, window).

    Parameters
    ----------
    plan
        A solved plan.
    coords
        Maps a stop index to ``(lat, lon)`` (or ``(x, y)``); omitted columns when ``None``.
    clock
        Formats a time value (e.g. seconds after midnight as ``"09:30"``).
    """
    rows: list[dict[str, Any]] = []
    for route in plan.routes:
        for s in route.stops:
            row: dict[str, Any] = {
                "vehicle": route.vehicle,
                "depot": route.depot,
                "sequence": s.sequence,
                "stop_id": s.stop_id,
            }
            if coords is not None:
                a, b = coords(s.stop_index)
                row["lat"], row["lon"] = a, b
            row.update(
                arrival=clock(s.arrival),
                window_start=clock(s.window[0]),
                window_end=clock(s.window[1]),
                late_by=s.late_by,
                load=s.load,
                leg_distance=round(s.leg_distance, 3),
            )
            rows.append(row)
    return rows
