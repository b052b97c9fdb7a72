"""A day's deliveries from the warehouse: orders with coordinates become a routing problem.

The orders of ``day`` (placed that day, not cancelled/returned/refunded) and their loads are
computed in the engine; orders without ``ship_lat``/``ship_lon`` are listed in the result
(``missing_coordinates``), never silently dropped. Distances are haversine × a road factor
(or a supplied matrix), driving times at a constant speed; service time is a fixed time per
stop plus a time per unit. Each order may carry a delivery window; the default is the shift.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

import ibis
import numpy as np
import pyarrow as pa

from shopscope.errors import NotFoundError
from shopscope.insight.definitions import GOODS_KINDS, REVERSAL_STATUSES
from shopscope.supply.routing.inputs import (
    DeliveryOptions,
    DepotSpec,
    LoadUnit,
    matrix_from_table,
    window_arrays,
)
from shopscope.supply.routing.plan import RoutePlan, manifest_rows
from shopscope.supply.routing.problem import (
    Fleet,
    RoutingProblem,
    haversine_matrix,
    travel_matrices,
)
from shopscope.supply.routing.regions import merge_plans, split_by_region
from shopscope.supply.routing.solver import solve_routes

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = [
    "DeliveryPlan",
    "clock",
    "day_orders",
    "delivery_problem",
    "demo_depots",
    "plan_deliveries",
    "solve_delivery",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryPlan:
    """Routes for one day's orders, plus the orders that could not be routed and why."""

    day: date
    plan: RoutePlan
    depots: tuple[DepotSpec, ...]
    load_unit: str
    missing_coordinates: tuple[str, ...]
    stop_coords: tuple[tuple[float, float], ...]

    def manifest(self) -> list[dict[str, object]]:
        """Per-stop manifest rows with clock times (``HH:MM``) and coordinates."""
        return manifest_rows(self.plan, coords=lambda j: self.stop_coords[j], clock=clock)

    def vehicles(self) -> list[dict[str, object]]:
        """One row per vehicle: depot, stops, load against capacity, distance, times, lateness."""
        return [
            {
                "vehicle": v.vehicle,
                "depot": v.depot,
                "stops": len(v.stops),
                "load": v.load,
                "capacity": v.capacity,
                "distance_km": round(v.distance, 3),
                "start": clock(v.start),
                "end": clock(v.end),
                "late_stops": sum(1 for s in v.stops if s.late_by > 0),
            }
            for v in self.plan.routes
        ]


def clock(seconds: int) -> str:
    """Seconds after midnight as ``HH:MM`` (``+1d`` past midnight)."""
    days, rest = divmod(int(seconds), 86_400)
    hh, mm = divmod(rest // 60, 60)
    return f"{hh:02d}:{mm:02d}" + (f"+{days}d" if days else "")


def demo_depots(wh: Warehouse, *, vehicles: int = 5, capacity: int = 100) -> tuple[DepotSpec, ...]:
    """Depots recorded in the demo store's ``demo_truth`` table (``geo`` rows)."""
    if not wh.has_table("demo_truth"):
        raise NotFoundError(
            "No depots given and the warehouse has no demo_truth table to take them from; "
            "give depots (CLI: --depot NAME:LAT:LON, repeatable)."
        )
    t = wh.table("demo_truth")
    rows = t.filter((t.domain == "geo") & t.name.isin(["depot_lat", "depot_lon"])).to_pyarrow()
    pos: dict[str, dict[str, float]] = {}
    for r in rows.to_pylist():
        pos.setdefault(r["key"], {})[r["name"]] = float(r["value"])
    if not pos:
        raise NotFoundError(
            "No depots given and demo_truth records none; give depots (CLI: --depot "
            "NAME:LAT:LON, repeatable)."
        )
    return tuple(
        DepotSpec(name, p["depot_lat"], p["depot_lon"], vehicles, capacity)
        for name, p in sorted(pos.items())
    )


def day_orders(wh: Warehouse, day: date, *, load: LoadUnit = "units") -> pa.Table:
    """Orders of ``day`` to deliver: order_id, ship_lat, ship_lon, load (engine query).

    ``load`` is units (positive goods quantities) or kilograms (quantity × ``weight_g``).
    """
    start = datetime.combine(day, time())
    orders = wh.table("orders")
    o = orders.filter(
        (orders.ordered_at >= start)
        & (orders.ordered_at < start + timedelta(days=1))
        & orders.status.notin(list(REVERSAL_STATUSES))
    )
    items, products = wh.table("order_items"), wh.table("products")
    lines = items.left_join(products, items.sku == products.sku)
    goods = (lines.item_kind.isnull() | lines.item_kind.isin(list(GOODS_KINDS))) & (
        lines.quantity > 0
    )
    per_unit = ibis.literal(1.0) if load == "units" else ibis.coalesce(lines.weight_g, 0.0) / 1000
    loads = lines.group_by("order_id").aggregate(
        load=ibis.ifelse(goods, lines.quantity * per_unit, 0.0).sum()
    )
    j = o.left_join(loads, o.order_id == loads.order_id)
    expr = j.select("order_id", "ship_lat", "ship_lon", load=ibis.coalesce(j.load, 0.0)).order_by(
        "order_id"
    )
    return expr.to_pyarrow()


def delivery_problem(
    wh: Warehouse,
    day: date,
    *,
    depots: Sequence[DepotSpec] | None = None,
    options: DeliveryOptions | None = None,
    windows: Mapping[str, tuple[int, int]] | None = None,
    matrix: pa.Table | None = None,
) -> tuple[RoutingProblem, tuple[str, ...], tuple[DepotSpec, ...]]:
    """The routing problem of ``day``, the orders left out for lack of coordinates, the depots.

    Parameters
    ----------
    wh
        Warehouse with orders, order_items, products (and demo_truth when ``depots`` is None).
    day
        Delivery day (orders placed that day).
    depots
        Depots with their fleets; default: the demo store's depots.
    options
        Load unit, shift, service times, road factor and speed (:class:`DeliveryOptions`).
    windows
        Optional delivery windows ``{order_id: (start_s, end_s)}`` in seconds after midnight.
    matrix
        Optional road matrix (Arrow table: from_id, to_id, distance_m[, duration_s]) over
        depot names and order ids; replaces haversine × road factor.
    """
    opts = options or DeliveryOptions()
    specs = tuple(depots) if depots else demo_depots(wh)
    orders = day_orders(wh, day, load=opts.load)
    lat = np.asarray(orders.column("ship_lat").to_numpy(zero_copy_only=False), dtype=float)
    lon = np.asarray(orders.column("ship_lon").to_numpy(zero_copy_only=False), dtype=float)
    ids = [str(x) for x in orders.column("order_id").to_pylist()]
    ok = np.isfinite(lat) & np.isfinite(lon)
    missing = tuple(oid for oid, good in zip(ids, ok, strict=True) if not good)
    if missing:
        log.warning("%d orders of %s have no coordinates and are not routed", len(missing), day)
    keep = [oid for oid, good in zip(ids, ok, strict=True) if good]
    loads = np.asarray(orders.column("load").to_numpy(zero_copy_only=False), dtype=float)[ok]
    demand = np.maximum(np.ceil(loads - 1e-9), 0).astype(np.int64)
    all_lat = np.concatenate([[d.lat for d in specs], lat[ok]])
    all_lon = np.concatenate([[d.lon for d in specs], lon[ok]])
    names = [d.name for d in specs] + keep
    if matrix is not None:
        metres, seconds_f = matrix_from_table(names, matrix)
        road = np.rint(metres).astype(np.int64)
        if (seconds_f < 0).any():
            seconds = np.rint(metres / (opts.speed_kmh / 3.6)).astype(np.int64)
        else:
            seconds = np.rint(seconds_f).astype(np.int64)
    else:
        road, seconds = travel_matrices(
            haversine_matrix(all_lat, all_lon),
            road_factor=opts.road_factor,
            speed_kmh=opts.speed_kmh,
        )
    s0, s1 = opts.shift_seconds
    early, late = window_arrays(keep, windows, (s0, s1))
    per_stop = opts.service_minutes + opts.service_minutes_per_unit * demand
    service = np.rint(60 * per_stop).astype(np.int64)
    fleets = tuple(
        Fleet(i, d.vehicles, d.capacity, shift_start=s0, shift_end=s1) for i, d in enumerate(specs)
    )
    problem = RoutingProblem(
        name=day.isoformat(),
        depot_names=tuple(d.name for d in specs),
        stop_ids=tuple(keep),
        coords=np.column_stack([all_lat, all_lon]),
        demand=demand,
        service=service,
        tw_early=early,
        tw_late=late,
        fleets=fleets,
        distance=road,
        duration=seconds,
        distance_scale=1000.0,
        distance_unit="km",
        coordinate_kind="latlon",
        depot_windows=tuple((s0, s1) for _ in specs),
    )
    return problem, missing, specs


def plan_deliveries(
    wh: Warehouse,
    day: date,
    *,
    depots: Sequence[DepotSpec] | None = None,
    options: DeliveryOptions | None = None,
    windows: Mapping[str, tuple[int, int]] | None = None,
    matrix: pa.Table | None = None,
    time_limit: float = 10.0,
    seed: int = 0,
) -> DeliveryPlan:
    """Plan the vehicle routes of ``day``'s orders (arguments as :func:`delivery_problem`).

    Raises
    ------
    InvalidInputError
        An order heavier than every vehicle's capacity, a reversed window, bad parameters.
    NotFoundError
        No depots given and none recorded in the warehouse.
    """
    opts = options or DeliveryOptions()
    problem, missing, specs = delivery_problem(
        wh, day, depots=depots, options=opts, windows=windows, matrix=matrix
    )
    return solve_delivery(problem, missing, specs, load=opts.load, time_limit=time_limit, seed=seed)


def solve_delivery(
    problem: RoutingProblem,
    missing: tuple[str, ...],
    depots: tuple[DepotSpec, ...],
    *,
    load: LoadUnit = "units",
    time_limit: float = 10.0,
    seed: int = 0,
) -> DeliveryPlan:
    """Solve a problem from :func:`delivery_problem` and state the orders left out.

    Depots far apart (more than ``group_km`` = 800 km) are solved as separate regions, each
    stop with its nearest depot's region, the time budget shared by stop count
    (:mod:`.regions`).
    """
    parts = split_by_region(problem)
    if len(parts) == 1:
        plan = solve_routes(problem, time_limit=time_limit, seed=seed)
    else:
        solved = [
            (
                solve_routes(
                    sub,
                    time_limit=max(0.3, time_limit * sub.n_stops / max(problem.n_stops, 1)),
                    seed=seed,
                ),
                stops,
            )
            for sub, stops in parts
        ]
        vehicles = sum(f.vehicles for f in problem.fleets)
        plan = merge_plans(problem, solved, vehicles=vehicles)
    if missing:
        shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
        note = (
            f"{len(missing)} order(s) have no ship_lat/ship_lon and are not on any route: "
            f"{shown}. Geocode them and plan again."
        )
        plan = replace(plan, warnings=(*plan.warnings, note))
    coords = tuple((float(a), float(b)) for a, b in problem.coords[problem.n_depots :])
    return DeliveryPlan(date.fromisoformat(problem.name), plan, depots, load, missing, coords)
