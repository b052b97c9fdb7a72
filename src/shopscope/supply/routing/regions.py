"""Split a multi-depot delivery day into regions solved independently, then merge the plans.

Depots closer than ``group_km`` to each other (transitively) form a region; each stop joins the
region of its nearest depot. A van never crosses from London to Shanghai, so solving regions
apart loses nothing and keeps the solver from spending its budget on impossible tours.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from shopscope.supply.routing.plan import RoutePlan
from shopscope.supply.routing.problem import (
    Fleet,
    FloatArray,
    IntArray,
    RoutingProblem,
    haversine_matrix,
)

__all__ = ["depot_regions", "merge_plans", "split_by_region"]


def _groups(lat: FloatArray, lon: FloatArray, group_km: float) -> list[int]:
    n = len(lat)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    d = haversine_matrix(lat, lon) / 1000
    for i in range(n):
        for j in range(i + 1, n):
            if d[i, j] <= group_km:
                parent[find(i)] = find(j)
    return [find(i) for i in range(n)]


def depot_regions(problem: RoutingProblem, *, group_km: float = 800.0) -> list[int]:
    """Region label per depot (all 0 unless a lat/lon problem has depots far apart)."""
    n_dep = problem.n_depots
    if problem.coordinate_kind != "latlon" or n_dep == 1:
        return [0] * n_dep
    return _groups(problem.coords[:n_dep, 0], problem.coords[:n_dep, 1], group_km)


def split_by_region(
    problem: RoutingProblem, *, group_km: float = 800.0
) -> list[tuple[RoutingProblem, IntArray]]:
    """Sub-problems per region with, for each, the stop indices it holds in ``problem``.

    Only for latitude/longitude problems with several depots; otherwise the problem itself.
    """
    n_dep = problem.n_depots
    everything = np.arange(problem.n_stops, dtype=np.int64)
    if problem.coordinate_kind != "latlon" or n_dep == 1:
        return [(problem, everything)]
    group = depot_regions(problem, group_km=group_km)
    if len(set(group)) == 1:
        return [(problem, everything)]
    nearest = np.argmin(problem.distance[:n_dep, n_dep:], axis=0)
    stop_group = np.array([group[int(d)] for d in nearest], dtype=np.int64)
    out: list[tuple[RoutingProblem, IntArray]] = []
    for g in sorted(set(group)):
        depots = [i for i in range(n_dep) if group[i] == g]
        stops = np.flatnonzero(stop_group == g).astype(np.int64)
        if stops.size == 0:
            continue
        keep = np.concatenate([np.asarray(depots, dtype=np.int64), n_dep + stops])
        index = {old: new for new, old in enumerate(depots)}
        fleets = tuple(
            Fleet(index[f.depot], f.vehicles, f.capacity, f.shift_start, f.shift_end)
            for f in problem.fleets
            if f.depot in index
        )
        if not fleets:  # stops no local vehicle can serve: keep the problem whole
            return [(problem, everything)]
        sub = replace(
            problem,
            depot_names=tuple(problem.depot_names[i] for i in depots),
            stop_ids=tuple(problem.stop_ids[j] for j in stops),
            coords=problem.coords[keep],
            demand=problem.demand[stops],
            service=problem.service[stops],
            tw_early=problem.tw_early[stops],
            tw_late=problem.tw_late[stops],
            fleets=fleets,
            distance=problem.distance[np.ix_(keep, keep)],
            duration=problem.duration[np.ix_(keep, keep)],
            depot_windows=tuple(problem.depot_windows[i] for i in depots)
            if problem.depot_windows
            else (),
        )
        out.append((sub, stops))
    return out


def merge_plans(
    problem: RoutingProblem, parts: list[tuple[RoutePlan, IntArray]], *, vehicles: int
) -> RoutePlan:
    """One plan from regional plans, stop indices mapped back to ``problem``."""
    routes = []
    for plan, stops in parts:
        for r in plan.routes:
            moved = tuple(replace(s, stop_index=int(stops[s.stop_index])) for s in r.stops)
            routes.append(replace(r, stops=moved))
    n = sum(len(r.stops) for r in routes)
    late = tuple(s for p, _ in parts for s in p.late_stops)
    warnings: list[str] = []
    for p, _ in parts:
        warnings += [w for w in p.warnings if w not in warnings]
    return RoutePlan(
        name=problem.name,
        routes=tuple(routes),
        total_distance=sum(r.distance for r in routes),
        distance_unit=problem.distance_unit,
        vehicles_used=len(routes),
        vehicles_available=vehicles,
        stops=n,
        on_time_share=(n - len(late)) / n if n else 1.0,
        late_stops=late,
        unreachable_stops=tuple(s for p, _ in parts for s in p.unreachable_stops),
        feasible=all(p.feasible for p, _ in parts),
        objective=sum(p.objective for p, _ in parts),
        runtime=sum(p.runtime for p, _ in parts),
        iterations=sum(p.iterations for p, _ in parts),
        warnings=tuple(warnings),
    )
