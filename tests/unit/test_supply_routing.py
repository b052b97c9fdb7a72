"""Delivery routing: problem validation, the solver's plans, a day's orders, bad input, chart."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from shopscope.errors import InvalidInputError, NotFoundError
from shopscope.supply.routing import (
    DeliveryOptions,
    DepotSpec,
    Fleet,
    RoutingProblem,
    delivery_problem,
    demo_depots,
    haversine_matrix,
    plan_deliveries,
    route_figure,
    solve_routes,
)
from shopscope.warehouse.connection import Warehouse, arrow_schema

__all__: list[str] = []


def _problem(
    xy: Sequence[tuple[float, float]],
    demand: Sequence[int],
    *,
    capacity: int = 10,
    vehicles: int = 3,
    early: Sequence[int] | None = None,
    late: Sequence[int] | None = None,
    service: int = 0,
    shift: tuple[int, int] = (0, 10_000),
) -> RoutingProblem:
    """One depot at the first point; Euclidean integer distances; time = distance."""
    pts = np.asarray(xy, dtype=float)
    d = np.rint(np.sqrt(((pts[:, None, :] - pts[None, :, :]) ** 2).sum(axis=2))).astype(np.int64)
    n = len(demand)
    return RoutingProblem(
        name="t",
        depot_names=("d",),
        stop_ids=tuple(f"s{i}" for i in range(n)),
        coords=pts,
        demand=np.asarray(demand, dtype=np.int64),
        service=np.full(n, service, dtype=np.int64),
        tw_early=np.asarray(early if early is not None else [0] * n, dtype=np.int64),
        tw_late=np.asarray(late if late is not None else [shift[1]] * n, dtype=np.int64),
        fleets=(Fleet(0, vehicles, capacity, shift_start=shift[0], shift_end=shift[1]),),
        distance=d,
        duration=d.copy(),
    )


def test_haversine_matches_spherical_law_of_cosines():
    """London–Paris: two independent great-circle formulas agree (about 343.5 km)."""
    lat = np.array([51.5074, 48.8566])
    lon = np.array([-0.1278, 2.3522])
    m = haversine_matrix(lat, lon)
    p1, p2 = np.radians(lat)
    dl = math.radians(lon[1] - lon[0])
    central = math.acos(math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl))
    assert m[0, 1] == pytest.approx(central * 6_371_008.8, rel=1e-9)
    assert 343_000 < m[0, 1] < 344_500
    assert m[0, 0] == 0 and m[1, 0] == m[0, 1]


def test_plan_respects_capacity_and_visits_each_stop_once():
    xy = [(0, 0), (10, 0), (10, 1), (-10, 0), (-10, 1), (0, 10), (0, 11)]
    plan = solve_routes(_problem(xy, [4, 4, 4, 4, 4, 4], capacity=8), time_limit=1, seed=1)
    visited = sorted(s.stop_id for r in plan.routes for s in r.stops)
    assert visited == [f"s{i}" for i in range(6)]
    assert all(r.load <= 8 for r in plan.routes)
    assert plan.feasible and plan.vehicles_used == 3 and plan.on_time_share == 1.0
    # leg distances add up to the route distance minus the way back to the depot
    d = _problem(xy, [4] * 6).distance
    for r in plan.routes:
        last = 1 + int(r.stops[-1].stop_index)
        assert sum(s.leg_distance for s in r.stops) + d[last, 0] == pytest.approx(r.distance)


def test_capacity_below_a_single_order_is_a_clear_error():
    with pytest.raises(InvalidInputError, match=r"more than the largest vehicle capacity \(5\)"):
        _problem([(0, 0), (1, 1), (2, 2)], [3, 7], capacity=5)


def test_reversed_window_is_rejected():
    p = _problem([(0, 0), (1, 1)], [1], early=[50], late=[10])
    with pytest.raises(InvalidInputError, match="closes before it opens: s0"):
        solve_routes(p, time_limit=0.2)


def test_unreachable_window_is_reported_not_hidden():
    # s1 is 100 away but must be served by t=20: impossible even driving straight there
    p = _problem([(0, 0), (1, 0), (100, 0)], [1, 1], late=[1000, 20])
    plan = solve_routes(p, time_limit=0.5, seed=0)
    assert plan.unreachable_stops == ("s1",)
    assert "s1" in plan.late_stops
    assert not plan.feasible
    assert plan.on_time_share == pytest.approx(0.5)
    assert any("cannot be reached" in w for w in plan.warnings)
    late = next(s for r in plan.routes for s in r.stops if s.stop_id == "s1")
    assert late.late_by == late.arrival - 20 > 0


def test_bad_parameters():
    with pytest.raises(InvalidInputError, match="time_limit"):
        solve_routes(_problem([(0, 0), (1, 0)], [1]), time_limit=0)
    with pytest.raises(InvalidInputError, match="at least 1"):
        Fleet(0, 0, 10)
    with pytest.raises(InvalidInputError, match="road_factor"):
        DeliveryOptions(road_factor=0.5)
    with pytest.raises(InvalidInputError, match="ends before it starts"):
        DeliveryOptions(shift_start=time(18), shift_end=time(8))
    with pytest.raises(InvalidInputError, match="latitude"):
        DepotSpec("x", 95.0, 0.0)


# -- a day's orders from the warehouse ------------------------------------------------------


def _load(wh: Warehouse, name: str, rows: list[dict[str, Any]]) -> None:
    schema = arrow_schema(name)
    full = [{f.name: r.get(f.name) for f in schema} for r in rows]
    wh.write_arrow(name, pa.Table.from_pylist(full, schema=schema), mode="overwrite")


DAY = date(2026, 6, 1)
DEPOT = DepotSpec("hub", 51.50, -0.12, vehicles=2, capacity=5)


def _shop(wh: Warehouse, *, big: int = 2) -> None:
    pos = [(51.51, -0.10), (51.52, -0.13), (None, None), (51.49, -0.15), (51.50, -0.09)]
    orders, items = [], []
    for i, (lat, lon) in enumerate(pos):
        oid = f"o{i}"
        orders.append(
            {
                "order_id": oid,
                "ordered_at": datetime(2026, 6, 1, 9 + i),
                "status": "paid",
                "ship_lat": lat,
                "ship_lon": lon,
            }
        )
        items.append(
            {
                "order_id": oid,
                "line_no": 1,
                "sku": "A",
                "quantity": big if i == 0 else 1,
                "unit_price": 5.0,
            }
        )
    # a cancelled order and one from another day are not delivered
    orders.append(
        {
            "order_id": "x1",
            "ordered_at": datetime(2026, 6, 1, 12),
            "status": "cancelled",
            "ship_lat": 51.5,
            "ship_lon": -0.1,
        }
    )
    orders.append(
        {
            "order_id": "x2",
            "ordered_at": datetime(2026, 6, 2, 12),
            "status": "paid",
            "ship_lat": 51.5,
            "ship_lon": -0.1,
        }
    )
    items += [
        {"order_id": o, "line_no": 1, "sku": "A", "quantity": 1, "unit_price": 5.0}
        for o in ("x1", "x2")
    ]
    _load(wh, "orders", orders)
    _load(wh, "order_items", items)
    _load(wh, "products", [{"sku": "A", "item_kind": "product", "weight_g": 500.0}])


def test_day_orders_without_coordinates_are_listed_not_routed(wh):
    _shop(wh)
    result = plan_deliveries(wh, DAY, depots=[DEPOT], time_limit=0.5)
    assert result.missing_coordinates == ("o2",)
    routed = sorted(s.stop_id for r in result.plan.routes for s in r.stops)
    assert routed == ["o0", "o1", "o3", "o4"]
    assert any("o2" in w and "no ship_lat" in w for w in result.plan.warnings)
    rows = result.manifest()
    assert len(rows) == 4 and {r["stop_id"] for r in rows} == set(routed)
    assert all(r["window_start"] == "08:00" and r["window_end"] == "20:00" for r in rows)
    assert result.plan.distance_unit == "km" and result.plan.total_distance > 0


def test_day_order_heavier_than_any_vehicle(wh):
    _shop(wh, big=9)
    with pytest.raises(InvalidInputError, match=r"o0 \(9\).*split those orders"):
        plan_deliveries(wh, DAY, depots=[DEPOT], time_limit=0.5)


def test_load_in_kg_and_service_time(wh):
    _shop(wh)
    opts = DeliveryOptions(load="kg", service_minutes=10, service_minutes_per_unit=0)
    problem, _, _ = delivery_problem(wh, DAY, depots=[DEPOT], options=opts)
    # 2 units x 0.5 kg = 1 kg; 1 x 0.5 kg rounds up to 1
    assert problem.demand.tolist() == [1, 1, 1, 1]
    assert set(problem.service.tolist()) == {600}


def test_supplied_matrix_replaces_haversine(wh):
    _shop(wh)
    names = ["hub", "o0", "o1", "o3", "o4"]
    rows = [
        {"from_id": a, "to_id": b, "distance_m": 1000.0 * abs(i - j), "duration_s": 60.0}
        for i, a in enumerate(names)
        for j, b in enumerate(names)
    ]
    problem, _, _ = delivery_problem(wh, DAY, depots=[DEPOT], matrix=pa.Table.from_pylist(rows))
    assert problem.distance[0, 4] == 4000 and problem.duration[1, 2] == 60
    with pytest.raises(InvalidInputError, match=r"misses 1 pair.*hub→o0"):
        delivery_problem(wh, DAY, depots=[DEPOT], matrix=pa.Table.from_pylist(rows[2:]))


def test_tight_delivery_window_is_reported(wh):
    _shop(wh)
    # o1 must be served by 08:01: the drive from the hub takes longer than a minute
    result = plan_deliveries(
        wh, DAY, depots=[DEPOT], windows={"o1": (8 * 3600, 8 * 3600 + 60)}, time_limit=0.5
    )
    assert result.plan.unreachable_stops == ("o1",)
    assert "o1" in result.plan.late_stops


def test_demo_depots_and_their_absence(demo_wh, wh):
    depots = demo_depots(demo_wh, vehicles=3, capacity=50)
    assert {d.name for d in depots} == {"london", "manchester", "shanghai"}
    assert all(d.vehicles == 3 and d.capacity == 50 for d in depots)
    with pytest.raises(NotFoundError, match="--depot"):
        demo_depots(wh)


def test_route_figure_has_a_trace_per_route():
    xy = [(0, 0), (10, 0), (10, 1), (-10, 0), (-10, 1)]
    p = _problem(xy, [4, 4, 4, 4], capacity=8)
    plan = solve_routes(p, time_limit=0.3, seed=0)
    fig = route_figure(plan, p)
    assert len(fig.data) == plan.vehicles_used + 1  # + depots
    first = fig.data[0]
    assert first.x[0] == first.x[-1] == 0.0  # starts and ends at the depot


def test_far_apart_depots_are_solved_as_regions(wh):
    """London and Shanghai stops are never served across continents; the chart has 2 panels."""
    pos = [(51.51, -0.10), (51.52, -0.13), (31.25, 121.45), (31.20, 121.50), (51.49, -0.15)]
    orders = [
        {"order_id": f"o{i}", "ordered_at": datetime(2026, 6, 1, 9), "status": "paid",
         "ship_lat": a, "ship_lon": b}
        for i, (a, b) in enumerate(pos)
    ]  # fmt: skip
    items = [
        {"order_id": f"o{i}", "line_no": 1, "sku": "A", "quantity": 1, "unit_price": 5.0}
        for i in range(len(pos))
    ]
    _load(wh, "orders", orders)
    _load(wh, "order_items", items)
    _load(wh, "products", [{"sku": "A", "item_kind": "product"}])
    depots = [DepotSpec("london", 51.50, -0.12, 2, 10), DepotSpec("shanghai", 31.23, 121.47, 2, 10)]
    result = plan_deliveries(wh, DAY, depots=depots, time_limit=0.6)
    served = {s.stop_id: r.depot for r in result.plan.routes for s in r.stops}
    assert served == {"o0": "london", "o1": "london", "o4": "london",
                      "o2": "shanghai", "o3": "shanghai"}  # fmt: skip
    assert result.plan.total_distance < 100  # km: local tours only
    assert result.plan.feasible and result.plan.vehicles_available == 4
    rows = result.manifest()
    assert {(r["stop_id"], r["lat"]) for r in rows} == {(f"o{i}", pos[i][0]) for i in range(5)}
    problem, _, _ = delivery_problem(wh, DAY, depots=depots)
    fig = route_figure(result.plan, problem)
    assert [a.text for a in fig.layout.annotations] == ["london", "shanghai"]
