"""Routing quality: shopscope (PyVRP) beside OR-Tools' routing solver at the same time limit.

Workload: the CVRPLIB X instances (Uchoa et al. 2017) with at most 200 customers (22 instances,
X-n101-k25 .. X-n200-k36) from ``../shared/data/cvrplib``, TSPLIB rounded distances. Each
solver gets the same wall-time budget per instance (30 s by default) and one core; each
solution is re-checked from the file (capacity, each client once) and its cost compared with
the best-known value.

Subjects
--------
shopscope-pyvrp
    :func:`shopscope.supply.routing.solve_instance` (PyVRP 0.14 iterated local search, seed 1).
ortools-routing
    OR-Tools ``RoutingModel`` with a capacity dimension, PATH_CHEAPEST_ARC first solution and
    GUIDED_LOCAL_SEARCH, fleet ``k + max(2, k // 5)`` vehicles (``k`` from the instance name).

Target (issue 7): mean gap to best-known <= 1.5 % at 30 s per instance.

Usage: ``python -m benchmarks routing`` (full: about 22 minutes) or
``python -m benchmarks.bench_routing --quick`` (4 instances, 5 s each); ``--limit S`` and
``--instances N`` override. ``BENCH_ROUTING_QUICK=1`` does the same as ``--quick``.
"""

from __future__ import annotations

import math
import os
import re
import statistics
import sys
import time
from pathlib import Path

from benchmarks.runner import Measurement, save

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "cvrplib" / "Vrp-Set-X" / "X"


def _instances(max_customers: int = 200) -> list[Path]:
    out = []
    for p in sorted(DATA.glob("X-n*-k*.vrp")):
        m = re.match(r"X-n(\d+)-k(\d+)", p.stem)
        if m and int(m.group(1)) - 1 <= max_customers:
            out.append(p)
    return sorted(out, key=lambda p: int(p.stem.split("-")[1][1:]))


def _ortools(path: Path, limit: float) -> tuple[list[list[int]], float]:
    import vrplib
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    from shopscope.supply.routing.instances import _integer_matrix

    raw = vrplib.read_instance(str(path))
    dist = _integer_matrix(raw, "round")
    demand = [int(d) for d in raw["demand"]]
    k = int(re.match(r".*-k(\d+)", path.stem).group(1))  # type: ignore[union-attr]
    vehicles = k + max(2, k // 5)
    n = len(demand)
    manager = pywrapcp.RoutingIndexManager(n, vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)

    def cost(i: int, j: int) -> int:
        return int(dist[manager.IndexToNode(i), manager.IndexToNode(j)])

    transit = routing.RegisterTransitCallback(cost)
    routing.SetArcCostEvaluatorOfAllVehicles(transit)

    def load(i: int) -> int:
        return demand[manager.IndexToNode(i)]

    dem = routing.RegisterUnaryTransitCallback(load)
    routing.AddDimensionWithVehicleCapacity(dem, 0, [int(raw["capacity"])] * vehicles, True, "load")
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(limit * 1000))
    start = time.perf_counter()
    sol = routing.SolveWithParameters(params)
    seconds = time.perf_counter() - start
    routes: list[list[int]] = []
    if sol is None:
        return routes, seconds
    for v in range(vehicles):
        idx = routing.Start(v)
        route = []
        while not routing.IsEnd(idx):
            node = manager.IndexToNode(idx)
            if node != 0:
                route.append(node)
            idx = sol.Value(routing.NextVar(idx))
        if route:
            routes.append(route)
    return routes, seconds


def _args(argv: list[str]) -> tuple[bool, float | None, int | None]:
    quick = "--quick" in argv or os.environ.get("BENCH_ROUTING_QUICK") == "1"
    limit = instances = None
    for flag in ("--limit", "--instances"):
        if flag in argv:
            value = argv[argv.index(flag) + 1]
            if flag == "--limit":
                limit = float(value)
            else:
                instances = int(value)
    return quick, limit, instances


def main() -> None:
    from shopscope.supply.routing import check_routes, solve_instance
    from shopscope.supply.routing.instances import read_best_known

    quick, limit_arg, count_arg = _args(sys.argv[1:])
    paths = _instances()
    limit = limit_arg or (5.0 if quick else 30.0)
    if quick or count_arg:
        n = count_arg or 4
        step = max(1, len(paths) // n)
        paths = paths[::step][:n]
    print(
        f"routing benchmark: {len(paths)} X instances, {limit:g} s each per solver "
        f"({'quick' if quick else 'full'} run)",
        flush=True,
    )
    rows: list[Measurement] = []
    gaps: dict[str, dict[str, float | None]] = {}
    print(f"{'instance':<14}{'best':>10}{'pyvrp':>10}{'gap %':>8}{'ortools':>10}{'gap %':>8}")
    for path in paths:
        best = read_best_known(path)
        assert best is not None
        res = solve_instance(path, time_limit=limit, seed=1)
        assert res.feasible, (path.stem, res.check.violations)
        rows.append(
            Measurement("routing", path.stem, "shopscope-pyvrp", res.runtime, res.customers,
                        "customers")
        )  # fmt: skip
        routes, seconds = _ortools(path, limit)
        check = check_routes(path, routes)
        or_gap = 100 * (check.cost - best) / best if check.feasible else math.nan
        rows.append(
            Measurement("routing", path.stem, "ortools-routing", seconds, res.customers,
                        "customers")
        )  # fmt: skip
        gaps[path.stem] = {
            "best_known": best,
            "shopscope_cost": res.cost,
            "shopscope_gap_percent": res.gap_percent,
            "ortools_cost": check.cost if check.feasible else None,
            "ortools_gap_percent": None if math.isnan(or_gap) else or_gap,
        }
        print(
            f"{path.stem:<14}{best:>10.0f}{res.cost:>10.0f}{res.gap_percent or 0:>8.2f}"
            f"{check.cost:>10.0f}{or_gap:>8.2f}",
            flush=True,
        )
    ours = [g["shopscope_gap_percent"] for g in gaps.values()]
    peer = [g["ortools_gap_percent"] for g in gaps.values() if g["ortools_gap_percent"] is not None]
    mean_ours = statistics.mean(float(g) for g in ours if g is not None)
    mean_peer = statistics.mean(float(g) for g in peer) if peer else math.nan
    print(
        f"\nmean gap to best-known: shopscope {mean_ours:.2f} % (target <= 1.5 %), "
        f"OR-Tools {mean_peer:.2f} % over {len(peer)} feasible; "
        f"ratio OR-Tools/shopscope {mean_peer / mean_ours if mean_ours else math.inf:.2f}x"
    )
    extra = {
        "time_limit_s": limit,
        "quick": quick,
        "mean_gap_percent": {"shopscope-pyvrp": mean_ours, "ortools-routing": mean_peer},
        "instances": gaps,
    }
    print(f"results: {save('routing', rows, extra)}")


if __name__ == "__main__":
    main()
