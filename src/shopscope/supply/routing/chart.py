"""A map-style Plotly chart of a route plan: stops and depots on lat/lon, one trace per route.

No map tiles or road network are fetched (self-hosted, offline): routes are straight lines
between stops on a plain scatter, longitude on x and latitude on y. Depots more than 800 km
apart (the regions of :mod:`.regions`) get a panel each, so a London and a Shanghai depot are
both readable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from shopscope.supply.routing.plan import RoutePlan
from shopscope.supply.routing.regions import depot_regions

if TYPE_CHECKING:
    from shopscope.supply.routing.problem import RoutingProblem

__all__ = ["route_figure"]


def route_figure(plan: RoutePlan, problem: RoutingProblem) -> go.Figure:
    """One line trace per vehicle (depot → stops → depot) and a marker trace for the depots.

    Parameters
    ----------
    plan
        The solved plan.
    problem
        The problem it solves (coordinates and depot names).

    Returns
    -------
    plotly.graph_objects.Figure
        Longitude (or x) on the horizontal axis, latitude (or y) on the vertical.
    """
    latlon = problem.coordinate_kind == "latlon"
    n_dep = problem.n_depots
    depot_index = {name: i for i, name in enumerate(problem.depot_names)}

    def xy(loc: int) -> tuple[float, float]:
        a, b = (float(v) for v in problem.coords[loc])
        return (b, a) if latlon else (a, b)

    region = depot_regions(problem)
    panels = sorted(set(region))
    col = {g: k + 1 for k, g in enumerate(panels)}
    titles = [
        ", ".join(problem.depot_names[i] for i in range(n_dep) if region[i] == g) for g in panels
    ]
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=titles)

    def panel(depot: int) -> dict[str, int]:
        return {"row": 1, "col": col[region[depot]]}

    for route in plan.routes:
        d = depot_index[route.depot]
        path = [d, *(n_dep + s.stop_index for s in route.stops), d]
        pts = [xy(p) for p in path]
        labels = [route.depot, *(s.stop_id for s in route.stops), route.depot]
        fig.add_trace(
            go.Scatter(
                x=[p[0] for p in pts],
                y=[p[1] for p in pts],
                mode="lines+markers",
                name=f"{route.vehicle} ({len(route.stops)} stops, {route.distance:,.1f}"
                f"{' ' + plan.distance_unit if plan.distance_unit else ''})",
                text=labels,
                hovertemplate="%{text}<extra>" + route.vehicle + "</extra>",
                marker={"size": 6},
            ),
            **panel(d),
        )
    late = set(plan.late_stops)
    served_by = {s.stop_index: depot_index[r.depot] for r in plan.routes for s in r.stops}
    shown_late = False
    for g in panels:
        idx = [
            j
            for j, sid in enumerate(problem.stop_ids)
            if sid in late and region[served_by.get(j, 0)] == g
        ]
        if idx:
            pts = [xy(n_dep + j) for j in idx]
            fig.add_trace(
                go.Scatter(
                    x=[p[0] for p in pts],
                    y=[p[1] for p in pts],
                    mode="markers",
                    name="late",
                    legendgroup="late",
                    showlegend=not shown_late,
                    marker={"symbol": "x", "size": 11, "color": "red"},
                    text=[problem.stop_ids[j] for j in idx],
                ),
                row=1,
                col=col[g],
            )
            shown_late = True
        members = [i for i in range(n_dep) if region[i] == g]
        dpts = [xy(i) for i in members]
        fig.add_trace(
            go.Scatter(
                x=[p[0] for p in dpts],
                y=[p[1] for p in dpts],
                mode="markers+text",
                name="depots",
                legendgroup="depots",
                showlegend=g == panels[0],
                text=[problem.depot_names[i] for i in members],
                textposition="top center",
                marker={"symbol": "square", "size": 13, "color": "black"},
            ),
            row=1,
            col=col[g],
        )
    unit = f" {plan.distance_unit}" if plan.distance_unit else ""
    fig.update_layout(
        title=f"Routes {plan.name}: {plan.vehicles_used} vehicles, "
        f"{plan.total_distance:,.1f}{unit}, on time {plan.on_time_share:.0%}",
        template="plotly_white",
    )
    fig.update_xaxes(title_text="longitude" if latlon else "x")
    fig.update_yaxes(title_text="latitude" if latlon else "y")
    for k in range(1, len(panels) + 1):
        axis = "x" if k == 1 else f"x{k}"
        fig.update_yaxes(scaleanchor=axis, scaleratio=1.0, row=1, col=k)
    return fig
