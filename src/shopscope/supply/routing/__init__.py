"""Delivery routing with PyVRP: a day's orders or a benchmark instance into vehicle routes."""

from __future__ import annotations

from shopscope.supply.routing.chart import route_figure as route_figure
from shopscope.supply.routing.deliveries import DeliveryPlan as DeliveryPlan
from shopscope.supply.routing.deliveries import delivery_problem as delivery_problem
from shopscope.supply.routing.deliveries import demo_depots as demo_depots
from shopscope.supply.routing.deliveries import plan_deliveries as plan_deliveries
from shopscope.supply.routing.deliveries import solve_delivery as solve_delivery
from shopscope.supply.routing.inputs import DeliveryOptions as DeliveryOptions
from shopscope.supply.routing.inputs import DepotSpec as DepotSpec
from shopscope.supply.routing.instances import InstanceResult as InstanceResult
from shopscope.supply.routing.instances import RouteCheck as RouteCheck
from shopscope.supply.routing.instances import check_routes as check_routes
from shopscope.supply.routing.instances import read_instance as read_instance
from shopscope.supply.routing.instances import solve_instance as solve_instance
from shopscope.supply.routing.plan import RoutePlan as RoutePlan
from shopscope.supply.routing.plan import RouteStop as RouteStop
from shopscope.supply.routing.plan import VehicleRoute as VehicleRoute
from shopscope.supply.routing.plan import manifest_rows as manifest_rows
from shopscope.supply.routing.problem import Fleet as Fleet
from shopscope.supply.routing.problem import RoutingProblem as RoutingProblem
from shopscope.supply.routing.problem import haversine_matrix as haversine_matrix
from shopscope.supply.routing.solver import solve_routes as solve_routes

__all__ = [
    "DeliveryOptions",
    "DeliveryPlan",
    "DepotSpec",
    "Fleet",
    "InstanceResult",
    "RouteCheck",
    "RoutePlan",
    "RouteStop",
    "RoutingProblem",
    "VehicleRoute",
    "check_routes",
    "delivery_problem",
    "demo_depots",
    "haversine_matrix",
    "manifest_rows",
    "plan_deliveries",
    "read_instance",
    "route_figure",
    "solve_delivery",
    "solve_instance",
    "solve_routes",
]
