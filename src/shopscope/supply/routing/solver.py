"""Solve a :class:`~.problem.RoutingProblem` with PyVRP's iterated local search.

PyVRP (Wouda, Lan & Kool 2024) is a state-of-the-art open-source VRP solver (HGS lineage); we
build its ``ProblemData`` directly from the integer matrices, solve for a wall-time budget with
a fixed seed, and read routes and schedules back into a :class:`~.plan.RoutePlan`. Infeasible
windows are found before solving and stated; the solver still routes every stop (late stops
are reported with how late they are rather than dropped).

References
----------
.. [1] Wouda, N. A., Lan, L., & Kool, W. (2024). PyVRP: A high-performance VRP solver package.
   *INFORMS Journal on Computing*, 36(4), 943-955.
"""

from __future__ import annotations

import logging
import math
import warnings as warnings_module
from typing import Any, cast

import numpy as np
import pyvrp
from pyvrp.exceptions import PenaltyBoundWarning
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria, StoppingCriterion

from shopscope.errors import InvalidInputError
from shopscope.supply.routing.plan import RoutePlan, RouteStop, VehicleRoute
from shopscope.supply.routing.problem import RoutingProblem

__all__ = ["problem_data", "solve_routes", "unreachable_stops"]

log = logging.getLogger(__name__)


def problem_data(problem: RoutingProblem) -> pyvrp.ProblemData:
    """The PyVRP ``ProblemData`` of ``problem`` (locations first; depots then clients)."""
    n_dep = problem.n_depots
    locations = [pyvrp.Location(float(x), float(y)) for x, y in problem.coords]
    windows = problem.depot_windows or tuple((0, 2**40) for _ in range(n_dep))
    depots = [
        pyvrp.Depot(i, tw_early=int(w[0]), tw_late=int(w[1]), name=problem.depot_names[i])
        for i, w in enumerate(windows)
    ]
    clients = [
        pyvrp.Client(
            n_dep + j,
            delivery=[int(problem.demand[j])],
            service_duration=int(problem.service[j]),
            tw_early=int(problem.tw_early[j]),
            tw_late=int(problem.tw_late[j]),
            name=problem.stop_ids[j][:64],
        )
        for j in range(problem.n_stops)
    ]
    vehicle_types = [
        pyvrp.VehicleType(
            f.vehicles,
            capacity=[f.capacity],
            start_depot=f.depot,
            end_depot=f.depot,
            tw_early=f.shift_start,
            tw_late=f.shift_end,
            name=f"{problem.depot_names[f.depot]}-{k}",
        )
        for k, f in enumerate(problem.fleets)
    ]
    return pyvrp.ProblemData(
        locations,
        clients,
        depots,
        vehicle_types,
        [cast("Any", np.ascontiguousarray(problem.distance, dtype=np.int64))],
        [cast("Any", np.ascontiguousarray(problem.duration, dtype=np.int64))],
    )


def unreachable_stops(problem: RoutingProblem) -> list[int]:
    """Stops whose window closes before any vehicle can get there straight from its depot."""
    n_dep = problem.n_depots
    windows = problem.depot_windows or tuple((0, 2**40) for _ in range(n_dep))
    best = np.full(problem.n_stops, np.iinfo(np.int64).max, dtype=np.int64)
    for f in problem.fleets:
        leave = max(f.shift_start, windows[f.depot][0])
        arrive = leave + problem.duration[f.depot, n_dep:]
        best = np.minimum(best, np.maximum(arrive, problem.tw_early))
    return [int(j) for j in np.flatnonzero(best > problem.tw_late)]


def _check_windows(problem: RoutingProblem) -> None:
    bad = np.flatnonzero(problem.tw_early > problem.tw_late)
    if bad.size:
        shown = ", ".join(
            f"{problem.stop_ids[j]} ({int(problem.tw_early[j])} > {int(problem.tw_late[j])})"
            for j in bad[:10]
        )
        raise InvalidInputError(
            f"{bad.size} stop(s) have a time window that closes before it opens: {shown}. "
            "Give each window as start <= end (same day)."
        )


def solve_routes(
    problem: RoutingProblem,
    *,
    time_limit: float = 10.0,
    max_iterations: int | None = None,
    seed: int = 0,
) -> RoutePlan:
    """Plan routes for ``problem`` with PyVRP.

    Parameters
    ----------
    problem
        Depots, stops, fleets and matrices.
    time_limit
        Wall-time budget in seconds.
    max_iterations
        Optional iteration cap as well (whichever comes first), for reproducible short runs.
    seed
        Seed of the solver's random stream.

    Returns
    -------
    RoutePlan
        Routes, totals, late and unreachable stops, and warnings.

    Raises
    ------
    InvalidInputError
        A stop's window is reversed, or the time limit is not positive.
    """
    if not (math.isfinite(time_limit) and time_limit > 0):
        raise InvalidInputError(f"time_limit {time_limit!r} must be a positive number of seconds.")
    _check_windows(problem)
    warnings: list[str] = []
    unreachable = unreachable_stops(problem)
    if unreachable:
        ids = [problem.stop_ids[j] for j in unreachable]
        warnings.append(
            f"{len(ids)} stop(s) cannot be reached inside their time window even straight from "
            f"the depot at the start of the shift: {', '.join(ids[:10])}"
            f"{' ...' if len(ids) > 10 else ''}. They are routed and reported late; widen their "
            "windows or dispatch them another day."
        )
    capacity = sum(f.vehicles * f.capacity for f in problem.fleets)
    total = int(problem.demand.sum())
    if total > capacity:
        warnings.append(
            f"Total demand {total} exceeds the fleet's capacity {capacity}; some routes will be "
            "over capacity. Add vehicles or raise the capacity."
        )
    if problem.n_stops == 0:
        return _empty(problem, warnings)
    data = problem_data(problem)
    stop: StoppingCriterion = MaxRuntime(time_limit)
    if max_iterations is not None:
        stop = MultipleCriteria([MaxRuntime(time_limit), MaxIterations(max_iterations)])
    with warnings_module.catch_warnings(record=True) as caught:
        warnings_module.simplefilter("always")
        result = pyvrp.solve(data, stop, seed=seed, display=False)
    if any(issubclass(w.category, PenaltyBoundWarning) for w in caught):
        warnings.append(
            "The solver's penalties reached their bound: a feasible plan may not exist "
            "(windows too tight, too few vehicles or too little capacity)."
        )
    plan = _plan(problem, result, unreachable, warnings)
    log.info("routes for %s: %s", problem.name, result.summary())
    return plan


def _empty(problem: RoutingProblem, warnings: list[str]) -> RoutePlan:
    return RoutePlan(
        problem.name,
        (),
        0.0,
        problem.distance_unit,
        0,
        sum(f.vehicles for f in problem.fleets),
        0,
        1.0,
        (),
        (),
        True,
        0,
        0.0,
        0,
        tuple(warnings),
    )


def _plan(
    problem: RoutingProblem, result: pyvrp.Result, unreachable: list[int], warnings: list[str]
) -> RoutePlan:
    sol = result.best
    n_dep, scale = problem.n_depots, problem.distance_scale
    counters = [0] * n_dep
    routes: list[VehicleRoute] = []
    late: list[str] = []
    for r in sol.routes():
        vt = r.vehicle_type()
        fleet = problem.fleets[vt]
        counters[fleet.depot] += 1
        depot = problem.depot_names[fleet.depot]
        stops: list[RouteStop] = []
        prev = fleet.depot
        for act in r.schedule():
            if not act.is_client():
                continue
            j = int(act.idx)
            loc = n_dep + j
            late_by = int(act.time_warp) + max(0, int(act.start_time) - int(problem.tw_late[j]))
            stops.append(
                RouteStop(
                    len(stops) + 1,
                    problem.stop_ids[j],
                    j,
                    int(act.start_time) + int(act.time_warp),
                    (int(problem.tw_early[j]), int(problem.tw_late[j])),
                    late_by,
                    int(problem.demand[j]),
                    float(problem.distance[prev, loc]) / scale,
                )
            )
            if late_by > 0:
                late.append(problem.stop_ids[j])
            prev = loc
        routes.append(
            VehicleRoute(
                f"{depot}-{counters[fleet.depot]}",
                depot,
                tuple(stops),
                r.distance() / scale,
                int(r.duration()),
                int(sum(r.delivery())),
                fleet.capacity,
                int(r.start_time()),
                int(r.end_time()),
            )
        )
    n_stops = sum(len(r.stops) for r in routes)
    over = [r.vehicle for r in routes if r.over_capacity]
    if over:
        warnings.append(f"Routes over capacity: {', '.join(over)}.")
    if late:
        warnings.append(
            f"{len(late)} stop(s) served after their window closes: {', '.join(late[:10])}"
            f"{' ...' if len(late) > 10 else ''}."
        )
    return RoutePlan(
        name=problem.name,
        routes=tuple(routes),
        total_distance=sum(r.distance for r in routes),
        distance_unit=problem.distance_unit,
        vehicles_used=len(routes),
        vehicles_available=sum(f.vehicles for f in problem.fleets),
        stops=n_stops,
        on_time_share=(n_stops - len(late)) / n_stops if n_stops else 1.0,
        late_stops=tuple(late),
        unreachable_stops=tuple(problem.stop_ids[j] for j in unreachable),
        feasible=bool(sol.is_feasible()),
        objective=int(sol.distance()),
        runtime=float(result.runtime),
        iterations=int(result.num_iterations),
        warnings=tuple(warnings),
    )
