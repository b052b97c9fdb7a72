"""Plotly figures for the pages, as plain JSON the page script hands to ``Plotly.newPlot``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

__all__ = ["bar_chart", "figure_json", "line_chart"]

_LAYOUT: dict[str, Any] = {
    "margin": {"l": 50, "r": 10, "t": 30, "b": 40},
    "height": 300,
    "legend": {"orientation": "h"},
    "template": "plotly_white",
}


def figure_json(fig: go.Figure) -> Any:
    """The figure as JSON-able data (``data`` and ``layout``)."""
    fig.update_layout(**_LAYOUT)
    return json.loads(fig.to_json())


def line_chart(x: Sequence[Any], series: dict[str, Sequence[Any]], *, title: str = "") -> Any:
    """One line per named series."""
    fig = go.Figure(
        [go.Scatter(x=list(x), y=list(y), mode="lines", name=n) for n, y in series.items()]
    )
    fig.update_layout(title={"text": title, "font": {"size": 14}})
    return figure_json(fig)


def bar_chart(
    x: Sequence[Any], y: Sequence[Any], *, title: str = "", horizontal: bool = False
) -> Any:
    """A bar chart (horizontal bars for long labels)."""
    bar = (
        go.Bar(y=list(x), x=list(y), orientation="h")
        if horizontal
        else go.Bar(x=list(x), y=list(y))
    )
    fig = go.Figure([bar])
    fig.update_layout(title={"text": title, "font": {"size": 14}})
    return figure_json(fig)
