"""Benchmark instances: read VRPLIB / Solomon files, solve, check, and compare to best-known.

Distance conventions follow the instances' own literature (see ``docs/methods/routing.md``):

``round``
    TSPLIB ``EUC_2D``: ``nint(sqrt(dx² + dy²))`` (sets A, B, E, F, M, P, X).
``dimacs``
    Solomon VRPTW: each arc truncated to one decimal, ``floor(10 d) / 10``; times and service
    durations are scaled by 10 the same way (the convention of the exact branch-and-price
    papers whose totals the ``.sol`` files give).
``exact``
    Real-valued Euclidean distances (CMT, Golden, Li, Taillard), solved at 1/1000 resolution.

:func:`check_routes` re-checks a solution independently of the solver, from the file's
coordinates: each client once, capacity, route length limits, and time windows.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import vrplib

from shopscope.errors import FileFormatError, InvalidInputError, NotFoundError
from shopscope.supply.routing.plan import RoutePlan
from shopscope.supply.routing.problem import Fleet, FloatArray, IntArray, RoutingProblem
from shopscope.supply.routing.solver import solve_routes

__all__ = [
    "BEST_KNOWN_OVERRIDES",
    "InstanceResult",
    "Rounding",
    "RouteCheck",
    "check_routes",
    "default_rounding",
    "read_best_known",
    "read_instance",
    "solve_instance",
]

Rounding = Literal["round", "dimacs", "exact"]

_SCALE: dict[str, int] = {"round": 1, "dimacs": 10, "exact": 1000}
_REAL_VALUED = re.compile(r"^(CMT|Golden|Li_|tai)", re.IGNORECASE)

BEST_KNOWN_OVERRIDES: dict[str, float] = {
    "X-n284-k15": 20215,
    "X-n384-k52": 65928,
    "X-n641-k35": 63682,
    "X-n801-k40": 73305,
}
"""CVRPLIB web-table values lower than the shipped ``.sol`` files (see the data's SOURCE.md)."""


@dataclass(frozen=True)
class RouteCheck:
    """An independent check of a solution against the instance file.

    Attributes
    ----------
    cost
        Total distance recomputed from coordinates under the instance's convention.
    violations
        Every broken rule, stated (empty when the solution is feasible).
    """

    cost: float
    violations: tuple[str, ...]

    @property
    def feasible(self) -> bool:
        """No rule is broken."""
        return not self.violations


@dataclass(frozen=True)
class InstanceResult:
    """A solved benchmark instance with its gap to the best-known value."""

    instance: str
    kind: str
    customers: int
    rounding: str
    cost: float
    best_known: float | None
    gap_percent: float | None
    vehicles_used: int
    feasible: bool
    check: RouteCheck
    runtime: float
    plan: RoutePlan


def _kind(path: Path) -> Literal["solomon", "vrplib"]:
    return "solomon" if path.suffix.lower() == ".txt" else "vrplib"


def default_rounding(path: Path) -> Rounding:
    """The distance convention of an instance file (see the module docstring)."""
    if _kind(path) == "solomon":
        return "dimacs"
    return "exact" if _REAL_VALUED.match(path.stem) else "round"


def _raw(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise NotFoundError(f"Instance file {path} does not exist.")
    try:
        return dict(vrplib.read_instance(str(path), instance_format=_kind(path)))
    except Exception as exc:  # vrplib raises bare ValueError/IndexError on malformed files
        raise FileFormatError(
            f"Could not read {path} as a {_kind(path)} instance ({type(exc).__name__}: {exc}). "
            "Give a VRPLIB .vrp file or a Solomon-format .txt file."
        ) from exc


def _euclid(coords: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    diff = coords[:, None, :] - coords[None, :, :]
    out: np.ndarray[Any, Any] = np.sqrt((diff**2).sum(axis=2))
    return out


def _integer_matrix(raw: dict[str, Any], rounding: Rounding) -> IntArray:
    out: IntArray
    if str(raw.get("edge_weight_type", "EUC_2D")).strip() == "EXPLICIT" or "node_coord" not in raw:
        weights: FloatArray = np.asarray(raw["edge_weight"], dtype=float)
        out = np.rint(weights * _SCALE[rounding]).astype(np.int64)
        return out
    d: FloatArray = _euclid(np.asarray(raw["node_coord"], dtype=float))
    if rounding == "round":
        out = np.floor(d + 0.5).astype(np.int64)
    elif rounding == "dimacs":
        out = np.floor(10 * d + 1e-9).astype(np.int64)
    else:
        out = np.rint(1000 * d).astype(np.int64)
    return out


def read_instance(path: str | Path, *, rounding: Rounding | None = None) -> RoutingProblem:
    """Read a VRPLIB (``.vrp``) or Solomon (``.txt``) file as a :class:`RoutingProblem`.

    Parameters
    ----------
    path
        The instance file.
    rounding
        Distance convention; default from the file (:func:`default_rounding`).

    Raises
    ------
    NotFoundError, FileFormatError
        Missing or unreadable file.
    InvalidInputError
        More than one depot, or a client heavier than the vehicle capacity.
    """
    path = Path(path)
    conv = rounding or default_rounding(path)
    if conv not in _SCALE:
        raise InvalidInputError(f"rounding {conv!r} is unknown; use one of {', '.join(_SCALE)}.")
    raw = _raw(path)
    scale = _SCALE[conv]
    dist = _integer_matrix(raw, conv)
    n = dist.shape[0]
    depots = np.asarray(raw.get("depot", [0])).ravel()
    if depots.size != 1 or int(depots[0]) != 0:
        raise InvalidInputError(
            f"{path.name}: only single-depot instances with the depot as node 1 are supported."
        )
    demand = np.asarray(raw["demand"], dtype=np.int64).ravel()
    coords = np.asarray(raw.get("node_coord", np.zeros((n, 2))), dtype=float)
    service_raw = raw.get("service_time", 0.0)
    service = np.broadcast_to(np.asarray(service_raw, dtype=float), (n,))
    service_i = np.rint(service * scale).astype(np.int64)
    if "time_window" in raw:
        tw = np.rint(np.asarray(raw["time_window"], dtype=float) * scale).astype(np.int64)
    else:
        tw = np.tile(np.array([0, 2**40], dtype=np.int64), (n, 1))
    vehicles = int(raw.get("vehicles", n - 1))
    shift_end = int(tw[0, 1])
    if raw.get("distance"):
        # Route-length limit (CMT, Golden): length plus service time, so a shift length when
        # travel time equals distance.
        shift_end = min(shift_end, int(tw[0, 0]) + math.floor(float(raw["distance"]) * scale))
    fleet = Fleet(0, vehicles, int(raw["capacity"]), shift_start=int(tw[0, 0]), shift_end=shift_end)
    # Travel time equals distance in these benchmarks; service time is added per client.
    return RoutingProblem(
        name=str(raw.get("name", path.stem)),
        depot_names=("depot",),
        stop_ids=tuple(str(i) for i in range(1, n)),
        coords=coords,
        demand=demand[1:],
        service=service_i[1:],
        tw_early=tw[1:, 0],
        tw_late=tw[1:, 1],
        fleets=(fleet,),
        distance=dist,
        duration=dist.copy(),
        distance_scale=float(scale),
        distance_unit="",
        coordinate_kind="xy",
        depot_windows=((int(tw[0, 0]), int(tw[0, 1])),),
    )


def read_best_known(path: str | Path) -> float | None:
    """Best-known cost: the override table, else the ``Cost`` of the ``.sol`` beside the file."""
    path = Path(path)
    if path.stem in BEST_KNOWN_OVERRIDES:
        return BEST_KNOWN_OVERRIDES[path.stem]
    sol = path.with_suffix(".sol")
    if not sol.exists():
        return None
    cost = vrplib.read_solution(str(sol)).get("cost")
    return None if cost is None else float(cost)


def check_routes(
    path: str | Path, routes: list[list[int]], *, rounding: Rounding | None = None
) -> RouteCheck:
    """Check ``routes`` (lists of node numbers 1..n-1) against the instance file.

    Independent of the solver: rereads the file with ``vrplib`` and recomputes every arc in
    integers under the convention (``dimacs`` arcs are tenths, times likewise).
    """
    path = Path(path)
    conv = rounding or default_rounding(path)
    raw = _raw(path)
    d = _integer_matrix(raw, conv)
    scale = _SCALE[conv]
    n = d.shape[0]
    demand = np.asarray(raw["demand"]).ravel()
    cap = float(raw["capacity"])
    limit = raw.get("distance")
    service = np.broadcast_to(np.asarray(raw.get("service_time", 0.0), dtype=float), (n,))
    tw = raw.get("time_window")
    violations: list[str] = []
    seen = [0] * n
    total = 0
    for k, route in enumerate(routes, start=1):
        length = 0
        t = 0 if tw is None else round(tw[0][0] * scale)
        prev = 0
        for node in route:
            if not 1 <= node < n:
                violations.append(f"route {k}: node {node} is not a client (1..{n - 1})")
                continue
            seen[node] += 1
            length += int(d[prev, node])
            if tw is not None:
                t = max(t + int(d[prev, node]), round(tw[node][0] * scale))
                if t > round(tw[node][1] * scale):
                    violations.append(f"route {k}: client {node} starts at {t / scale} > due")
                t += round(service[node] * scale)
            prev = node
        length += int(d[prev, 0])
        if tw is not None and t + int(d[prev, 0]) > round(tw[0][1] * scale):
            violations.append(f"route {k}: returns to the depot after it closes")
        load = float(sum(demand[v] for v in route if 1 <= v < n))
        if load > cap:
            violations.append(f"route {k}: load {load:g} > capacity {cap:g}")
        served = float(service[[v for v in route if 1 <= v < n]].sum())
        if limit and length / scale + served > float(limit) + 1e-6:
            violations.append(
                f"route {k}: length {length / scale} + service {served:g} over the limit {limit}"
            )
        total += length
    missing = [v for v in range(1, n) if seen[v] == 0]
    twice = [v for v in range(1, n) if seen[v] > 1]
    if missing:
        violations.append(f"clients never visited: {missing[:10]}")
    if twice:
        violations.append(f"clients visited more than once: {twice[:10]}")
    return RouteCheck(total / scale, tuple(violations))


def solve_instance(
    path: str | Path,
    *,
    time_limit: float = 10.0,
    seed: int = 0,
    rounding: Rounding | None = None,
    max_iterations: int | None = None,
) -> InstanceResult:
    """Solve an instance file, check the routes independently, and report the gap.

    ``max_iterations`` also stops the search (whichever comes first): with a generous time limit
    the result is the same on a fast or a busy machine.

    ``gap_percent = 100 (cost - best_known) / best_known``, with ``cost`` recomputed by
    :func:`check_routes` under the instance's convention.
    """
    path = Path(path)
    conv = rounding or default_rounding(path)
    problem = read_instance(path, rounding=conv)
    plan = solve_routes(problem, time_limit=time_limit, seed=seed, max_iterations=max_iterations)
    routes = [[int(s.stop_id) for s in r.stops] for r in plan.routes]
    check = check_routes(path, routes, rounding=conv)
    best = read_best_known(path)
    gap = None if best is None else 100.0 * (check.cost - best) / best
    return InstanceResult(
        instance=problem.name,
        kind=_kind(path),
        customers=problem.n_stops,
        rounding=conv,
        cost=check.cost,
        best_known=best,
        gap_percent=gap,
        vehicles_used=plan.vehicles_used,
        feasible=plan.feasible and check.feasible,
        check=check,
        runtime=plan.runtime,
        plan=plan,
    )
