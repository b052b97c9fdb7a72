"""Inputs of a delivery day: depots with fleets, options, delivery windows, a road matrix."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import time
from typing import Literal

import numpy as np
import pyarrow as pa

from shopscope.errors import InvalidInputError
from shopscope.supply.routing.problem import FloatArray, IntArray

__all__ = ["DeliveryOptions", "DepotSpec", "LoadUnit", "matrix_from_table", "window_arrays"]

log = logging.getLogger(__name__)

LoadUnit = Literal["units", "kg"]


@dataclass(frozen=True)
class DepotSpec:
    """A depot with its vehicles: name, position, fleet size and per-vehicle capacity."""

    name: str
    lat: float
    lon: float
    vehicles: int = 5
    capacity: int = 100

    def __post_init__(self) -> None:
        if not (-90 <= self.lat <= 90 and -180 <= self.lon <= 180):
            raise InvalidInputError(
                f"Depot {self.name!r} has position ({self.lat}, {self.lon}); latitude must be in "
                "[-90, 90] and longitude in [-180, 180]."
            )


def window_arrays(
    ids: Sequence[str],
    windows: Mapping[str, tuple[int, int]] | None,
    shift: tuple[int, int],
) -> tuple[IntArray, IntArray]:
    """Window starts and ends per stop: the given ones, else the shift (seconds after midnight).

    Windows for orders not delivered that day are ignored with a log warning.
    """
    early = np.full(len(ids), shift[0], dtype=np.int64)
    late = np.full(len(ids), shift[1], dtype=np.int64)
    if windows:
        unknown = sorted(set(windows) - set(ids))
        if unknown:
            log.warning("time windows given for %d orders not delivered that day", len(unknown))
        index = {oid: i for i, oid in enumerate(ids)}
        for oid, (a, b) in windows.items():
            if oid in index:
                early[index[oid]], late[index[oid]] = int(a), int(b)
    return early, late


def matrix_from_table(names: Sequence[str], table: pa.Table) -> tuple[FloatArray, FloatArray]:
    """Metres and seconds matrices over ``names`` from rows ``from_id, to_id, distance_m
    [, duration_s]``; seconds are -1 when the table has no durations.

    Raises
    ------
    InvalidInputError
        Missing columns, or a pair of ``names`` without a row (the first few are named).
    """
    need = {"from_id", "to_id", "distance_m"}
    missing = need - set(table.column_names)
    if missing:
        raise InvalidInputError(
            f"The distance matrix lacks columns {sorted(missing)}; it needs from_id, to_id, "
            f"distance_m (and optionally duration_s). Found: {', '.join(table.column_names)}."
        )
    index = {n: i for i, n in enumerate(names)}
    n = len(names)
    dist = np.full((n, n), -1.0)
    dur = np.full((n, n), -1.0)
    has_dur = "duration_s" in table.column_names
    for r in table.to_pylist():
        i, k = index.get(str(r["from_id"])), index.get(str(r["to_id"]))
        if i is None or k is None:
            continue
        dist[i, k] = float(r["distance_m"])
        dur[i, k] = float(r["duration_s"]) if has_dur else -1.0
    np.fill_diagonal(dist, 0.0)
    np.fill_diagonal(dur, 0.0)
    gaps = np.argwhere(dist < 0)
    if gaps.size:
        shown = ", ".join(f"{names[a]}→{names[b]}" for a, b in gaps[:5])
        raise InvalidInputError(
            f"The distance matrix misses {len(gaps)} pair(s), e.g. {shown}. Give a row for "
            "every ordered pair of depots and orders of the day."
        )
    return dist, dur


@dataclass(frozen=True)
class DeliveryOptions:
    """How a delivery day is turned into a routing problem.

    Parameters
    ----------
    load
        Capacity unit: ``"units"`` (positive goods quantities) or ``"kg"`` (``weight_g``);
        loads are rounded up to whole units.
    shift_start, shift_end
        Vehicles leave no earlier than ``shift_start`` and return by ``shift_end``; also the
        default delivery window of every order.
    service_minutes, service_minutes_per_unit
        Time at each stop: fixed plus per unit of load.
    road_factor, speed_kmh
        Circuity factor on haversine distance, and the average driving speed.
    """

    load: LoadUnit = "units"
    shift_start: time = time(8)
    shift_end: time = time(20)
    service_minutes: float = 4.0
    service_minutes_per_unit: float = 0.5
    road_factor: float = 1.3
    speed_kmh: float = 30.0

    def __post_init__(self) -> None:
        if self.load not in ("units", "kg"):
            raise InvalidInputError(f"load {self.load!r} is unknown; use 'units' or 'kg'.")
        if self.shift_end <= self.shift_start:
            raise InvalidInputError(
                f"The shift {self.shift_start}-{self.shift_end} ends before it starts; give "
                "shift_start < shift_end on the same day."
            )
        if not (self.service_minutes >= 0 and self.service_minutes_per_unit >= 0):
            raise InvalidInputError("Service minutes must be numbers >= 0.")
        if not (math.isfinite(self.road_factor) and self.road_factor >= 1.0):
            raise InvalidInputError(
                f"road_factor {self.road_factor!r} must be >= 1 (roads are never shorter than "
                "the straight line); 1.3 is typical."
            )
        if not (math.isfinite(self.speed_kmh) and self.speed_kmh > 0):
            raise InvalidInputError(f"speed_kmh {self.speed_kmh!r} must be a positive number.")

    @property
    def shift_seconds(self) -> tuple[int, int]:
        """The shift as seconds after midnight."""
        a, b = self.shift_start, self.shift_end
        return a.hour * 3600 + a.minute * 60, b.hour * 3600 + b.minute * 60
