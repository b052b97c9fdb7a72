"""Delivery findings: the routes to dispatch from each depot the next morning."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shopscope.team.brief.model import Finding
from shopscope.team.brief.providers.registry import BriefContext, param, provider

__all__ = ["delivery_routes"]


@provider("delivery_routes")
def delivery_routes(ctx: BriefContext, params: dict[str, Any]) -> list[Finding]:
    """The brief day's orders as vehicle routes per depot, dispatched the next day.

    ``supply.routing.plan_deliveries`` with the warehouse's depots (``demo_truth``), ``vehicles``
    per depot of ``capacity`` units and a solver budget of ``time_limit`` seconds. One finding
    per depot with routes: vehicles, stops, kilometres and load against capacity.
    """
    from shopscope.supply.routing import plan_deliveries
    from shopscope.supply.routing.deliveries import demo_depots

    time_limit = param(params, "time_limit", 1.0, float)
    vehicles = param(params, "vehicles", 5, int)
    capacity = param(params, "capacity", 100, int)
    depots = demo_depots(ctx.wh, vehicles=vehicles, capacity=capacity)
    result = plan_deliveries(ctx.wh, ctx.as_of, depots=depots, time_limit=time_limit, seed=0)
    plan = result.plan
    per_depot: dict[str, list[Any]] = {}
    for route in plan.routes:
        per_depot.setdefault(route.depot, []).append(route)
    dispatch = ctx.as_of + timedelta(days=1)
    out: list[Finding] = []
    for depot, routes in sorted(per_depot.items()):
        stops = sum(len(r.stops) for r in routes)
        km = sum(r.distance for r in routes)
        load = sum(r.load for r in routes)
        cap = sum(r.capacity for r in routes)
        late = sum(1 for r in routes for s in r.stops if s.late_by > 0)
        out.append(
            Finding(
                key=f"routes:{depot}:{ctx.as_of.isoformat()}",
                values={
                    "depot": depot,
                    "day": ctx.as_of.isoformat(),
                    "dispatch": dispatch.isoformat(),
                    "vehicles": len(routes),
                    "stops": stops,
                    "km": f"{km:,.0f}",
                    "load": load,
                    "capacity": cap,
                    "late": late,
                },
                evidence={
                    "vehicles": len(routes),
                    "stops": stops,
                    "distance_km": round(km, 3),
                    "load": load,
                    "capacity": cap,
                    "late_stops": late,
                    "feasible": plan.feasible,
                    "missing_coordinates": len(result.missing_coordinates),
                },
                link=f"/execution/routes?day={ctx.as_of.isoformat()}",
            )
        )
    return out
