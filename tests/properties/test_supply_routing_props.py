"""Routing properties: every stop exactly once, loads within capacity, distances add up."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shopscope.supply.routing import Fleet, RoutingProblem, solve_routes

__all__: list[str] = []


@st.composite
def problems(draw: st.DrawFn) -> RoutingProblem:
    n_dep = draw(st.integers(1, 2))
    n = draw(st.integers(1, 12))
    coords = draw(
        st.lists(
            st.tuples(st.integers(0, 100), st.integers(0, 100)),
            min_size=n_dep + n,
            max_size=n_dep + n,
        )
    )
    capacity = draw(st.integers(3, 15))
    demand = draw(st.lists(st.integers(0, capacity), min_size=n, max_size=n))
    pts = np.asarray(coords, dtype=float)
    d = np.rint(np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))).astype(np.int64)
    fleets = tuple(Fleet(i, n, capacity) for i in range(n_dep))
    return RoutingProblem(
        name="prop",
        depot_names=tuple(f"d{i}" for i in range(n_dep)),
        stop_ids=tuple(f"s{j}" for j in range(n)),
        coords=pts,
        demand=np.asarray(demand, dtype=np.int64),
        service=np.zeros(n, dtype=np.int64),
        tw_early=np.zeros(n, dtype=np.int64),
        tw_late=np.full(n, 10**9, dtype=np.int64),
        fleets=fleets,
        distance=d,
        duration=d.copy(),
    )


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(problems(), st.integers(0, 3))
def test_every_stop_exactly_once_within_capacity(problem, seed):
    plan = solve_routes(problem, time_limit=0.5, max_iterations=200, seed=seed)
    visits = [s.stop_index for r in plan.routes for s in r.stops]
    assert sorted(visits) == list(range(problem.n_stops))
    assert plan.feasible
    n_dep = problem.n_depots
    names = list(problem.depot_names)
    for r in plan.routes:
        assert r.load <= r.capacity
        assert r.load == sum(int(problem.demand[s.stop_index]) for s in r.stops)
        depot = names.index(r.depot)
        path = [depot, *(n_dep + s.stop_index for s in r.stops), depot]
        legs = sum(int(problem.distance[a, b]) for a, b in itertools.pairwise(path))
        assert r.distance == legs
    assert plan.total_distance == sum(r.distance for r in plan.routes)
    assert plan.vehicles_used == len(plan.routes) <= plan.vehicles_available
