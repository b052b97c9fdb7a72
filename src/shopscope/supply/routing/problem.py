"""A vehicle-routing problem in solver-neutral form: locations, stops, fleets, matrices.

Both the warehouse's delivery days (:mod:`.deliveries`) and benchmark instance files
(:mod:`.instances`) become a :class:`RoutingProblem`; :func:`~.solver.solve_routes` turns one
into a :class:`~.plan.RoutePlan`. Everything the solver sees is an integer (PyVRP works in
integers): distances in the problem's ``distance_unit`` times ``distance_scale``, durations in
seconds (or the instance's time unit), loads in whole units.

Location ``i < n_depots`` is depot ``i``; location ``n_depots + j`` is stop ``j``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from shopscope.errors import InvalidInputError

__all__ = [
    "EARTH_RADIUS_M",
    "Fleet",
    "FloatArray",
    "IntArray",
    "RoutingProblem",
    "haversine_matrix",
    "travel_matrices",
]

EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius (IUGG), metres."""

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_HORIZON = 2**40
"""A time later than any real window (PyVRP's "no limit" is larger still)."""


@dataclass(frozen=True)
class Fleet:
    """Identical vehicles based at one depot.

    Parameters
    ----------
    depot
        Index of the depot the vehicles start and end at.
    vehicles
        How many vehicles are available (at least 1).
    capacity
        Load each vehicle carries, in the problem's load unit (at least 1).
    shift_start, shift_end
        Earliest departure and latest return, in the problem's time unit.
    """

    depot: int
    vehicles: int
    capacity: int
    shift_start: int = 0
    shift_end: int = _HORIZON

    def __post_init__(self) -> None:
        if self.vehicles < 1:
            raise InvalidInputError(
                f"A fleet at depot {self.depot} has {self.vehicles} vehicles; give at least 1."
            )
        if self.capacity < 1:
            raise InvalidInputError(
                f"A fleet at depot {self.depot} has capacity {self.capacity}; give a positive "
                "capacity in the load unit (units or kg)."
            )
        if self.shift_end < self.shift_start:
            raise InvalidInputError(
                f"A fleet at depot {self.depot} ends its shift ({self.shift_end}) before it "
                f"starts ({self.shift_start}); give shift_start <= shift_end."
            )


@dataclass(frozen=True, eq=False)
class RoutingProblem:
    """Depots, stops (with demand, service time and time window), fleets and travel matrices.

    Parameters
    ----------
    name
        Label used in results (an instance name or a delivery day).
    depot_names, stop_ids
        Labels of the depots and the stops (order ids, or instance node numbers).
    coords
        ``(n_locations, 2)`` coordinates (lat/lon for deliveries, x/y for instances), for charts.
    demand, service, tw_early, tw_late
        Per stop: load, service duration and the window in which service must start.
    fleets
        One :class:`Fleet` per depot with vehicles (several per depot are allowed).
    distance, duration
        ``(n_locations, n_locations)`` integer matrices.
    distance_scale
        Integer distances divided by this give the reported distance (e.g. 10 for Solomon's
        one-decimal convention, 1 for metres).
    distance_unit
        Unit of the reported distance (``"km"``, ``"m"`` or ``""`` for instance units).
    coordinate_kind
        ``"latlon"`` or ``"xy"`` (how the chart draws ``coords``).
    """

    name: str
    depot_names: tuple[str, ...]
    stop_ids: tuple[str, ...]
    coords: FloatArray
    demand: IntArray
    service: IntArray
    tw_early: IntArray
    tw_late: IntArray
    fleets: tuple[Fleet, ...]
    distance: IntArray
    duration: IntArray
    distance_scale: float = 1.0
    distance_unit: str = ""
    coordinate_kind: str = "xy"
    depot_windows: tuple[tuple[int, int], ...] = field(default=())

    def __post_init__(self) -> None:
        n_dep, n_stop = len(self.depot_names), len(self.stop_ids)
        n = n_dep + n_stop
        if n_dep < 1:
            raise InvalidInputError("A routing problem needs at least one depot; add a depot.")
        for name, arr in (
            ("demand", self.demand),
            ("service", self.service),
            ("tw_early", self.tw_early),
            ("tw_late", self.tw_late),
        ):
            if arr.shape != (n_stop,):
                raise InvalidInputError(
                    f"{name} has shape {arr.shape}; expected ({n_stop},), one value per stop."
                )
        for name, mat in (("distance", self.distance), ("duration", self.duration)):
            if mat.shape != (n, n):
                raise InvalidInputError(
                    f"The {name} matrix has shape {mat.shape}; expected ({n}, {n}) "
                    f"({n_dep} depots then {n_stop} stops)."
                )
            if (mat < 0).any():
                raise InvalidInputError(f"The {name} matrix has negative entries.")
        if self.coords.shape != (n, 2):
            raise InvalidInputError(f"coords has shape {self.coords.shape}; expected ({n}, 2).")
        if (self.demand < 0).any() or (self.service < 0).any():
            bad = [self.stop_ids[i] for i in np.flatnonzero((self.demand < 0) | (self.service < 0))]
            raise InvalidInputError(
                f"Stops {bad[:10]} have a negative demand or service time; both must be >= 0."
            )
        if not self.fleets:
            raise InvalidInputError("A routing problem needs at least one fleet of vehicles.")
        for fleet in self.fleets:
            if not 0 <= fleet.depot < n_dep:
                raise InvalidInputError(
                    f"A fleet refers to depot {fleet.depot}; depots are 0..{n_dep - 1}."
                )
        if self.depot_windows and len(self.depot_windows) != n_dep:
            raise InvalidInputError("depot_windows needs one (open, close) pair per depot.")
        biggest = max(f.capacity for f in self.fleets)
        over = np.flatnonzero(self.demand > biggest)
        if over.size:
            shown = ", ".join(f"{self.stop_ids[i]} ({int(self.demand[i])})" for i in over[:10])
            raise InvalidInputError(
                f"{over.size} stop(s) need more than the largest vehicle capacity ({biggest}): "
                f"{shown}. No vehicle can carry them in one trip; raise the capacity, split those "
                "orders into several deliveries, or ship them separately."
            )

    @property
    def n_depots(self) -> int:
        """Number of depots."""
        return len(self.depot_names)

    @property
    def n_stops(self) -> int:
        """Number of stops (clients)."""
        return len(self.stop_ids)


def haversine_matrix(lat: FloatArray, lon: FloatArray) -> FloatArray:
    """Great-circle distances in metres between all pairs of points (degrees in).

    Parameters
    ----------
    lat, lon
        Latitudes and longitudes in degrees, same length.

    Returns
    -------
    numpy.ndarray
        ``(n, n)`` symmetric matrix of metres.

    References
    ----------
    .. [1] Sinnott, R. W. (1984). Virtues of the haversine. *Sky and Telescope*, 68(2), 159.
    """
    phi = np.radians(np.asarray(lat, dtype=float))
    lam = np.radians(np.asarray(lon, dtype=float))
    dphi = phi[:, None] - phi[None, :]
    dlam = lam[:, None] - lam[None, :]
    a = np.sin(dphi / 2) ** 2 + np.cos(phi)[:, None] * np.cos(phi)[None, :] * np.sin(dlam / 2) ** 2
    out: FloatArray = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return out


def travel_matrices(
    metres: FloatArray, *, road_factor: float, speed_kmh: float
) -> tuple[IntArray, IntArray]:
    """Road distance (whole metres) and driving time (whole seconds) from straight-line metres.

    Road distance is the straight-line distance times ``road_factor`` (a circuity factor; about
    1.2-1.4 in road networks, Ballou et al. 2002); time is road distance at ``speed_kmh``.
    """
    if not (math.isfinite(road_factor) and road_factor >= 1.0):
        raise InvalidInputError(
            f"road_factor {road_factor!r} must be a number >= 1 (roads are never shorter than "
            "the straight line); 1.3 is typical."
        )
    if not (math.isfinite(speed_kmh) and speed_kmh > 0):
        raise InvalidInputError(f"speed_kmh {speed_kmh!r} must be a positive number.")
    road = np.rint(metres * road_factor).astype(np.int64)
    seconds = np.rint(metres * road_factor / (speed_kmh / 3.6)).astype(np.int64)
    return road, seconds
