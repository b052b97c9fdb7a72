"""Routing on CVRPLIB instances: the checker reproduces the published costs, and solved routes
are feasible with their gap to the best-known value reported.

Best-known values: the ``.sol`` files of CVRPLIB (Uchoa et al. 2017 for set X; Solomon 1987
VRPTW totals with one-decimal truncated arcs), as listed in ``../shared/data/cvrplib/SOURCE.md``.
"""

from __future__ import annotations

import pytest
import vrplib

from shopscope.supply.routing import check_routes, solve_instance

__all__: list[str] = []

pytestmark = pytest.mark.shared_data

# instance file, published cost of its .sol (SOURCE.md tables)
PUBLISHED = [
    ("A-n32-k5.vrp", 784.0),
    ("E-n13-k4.vrp", 247.0),
    ("X-n101-k25.vrp", 27591.0),
    ("Vrp-Set-Solomon/C101.txt", 827.3),
    ("Vrp-Set-Solomon/R101.txt", 1637.7),
    ("Vrp-Set-Solomon/RC105.txt", 1513.7),
]


@pytest.mark.parametrize(("name", "cost"), PUBLISHED)
def test_checker_reproduces_published_solution_costs(shared_data, name, cost):
    """Independent check: the best-known routes are feasible and cost what CVRPLIB states."""
    path = shared_data / "cvrplib" / name
    sol = vrplib.read_solution(str(path.with_suffix(".sol")))
    check = check_routes(path, sol["routes"])
    assert check.feasible, check.violations
    assert check.cost == pytest.approx(cost, abs=1e-6)


def test_checker_catches_broken_routes(shared_data):
    path = shared_data / "cvrplib" / "Vrp-Set-Solomon" / "C101.txt"
    routes = vrplib.read_solution(str(path.with_suffix(".sol")))["routes"]
    merged = [routes[0] + routes[1], *routes[2:-1]]  # over capacity, late, and clients missing
    check = check_routes(path, merged)
    text = " ".join(check.violations)
    assert "capacity" in text and "never visited" in text and "> due" in text


@pytest.mark.parametrize(
    ("name", "iterations", "max_gap"),
    [
        ("A-n32-k5.vrp", 2000, 2.0),
        ("Vrp-Set-Solomon/C101.txt", 2000, 2.0),
        ("X-n101-k25.vrp", 3000, 5.0),
    ],
)
def test_solved_routes_are_feasible_with_gap_reported(shared_data, name, iterations, max_gap):
    """Short runs: feasible (capacity, each client once, windows), gap to best-known small.

    The search stops on iterations (about a second each here), so a busy machine gets the same
    routes as an idle one; the time limit is only a guard.
    """
    path = shared_data / "cvrplib" / name
    result = solve_instance(path, time_limit=300, seed=1, max_iterations=iterations)
    assert result.feasible, result.check.violations
    assert result.best_known is not None and result.gap_percent is not None
    assert result.gap_percent >= -1e-9  # nothing beats the proven optimum
    assert result.gap_percent <= max_gap
    assert result.cost == pytest.approx(result.plan.total_distance, rel=1e-9)
