"""The radar chart of a position: four business dimensions, technology and two mindsets."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from shopscope.team.positioning.assessment import DIMENSIONS, Position

__all__ = ["AXIS_LABELS", "radar_figure"]

AXIS_LABELS: dict[str, tuple[str, str]] = {
    "acquisition": ("Acquisition", "获客"),
    "conversion": ("Conversion", "转化"),
    "retention": ("Retention", "留存"),
    "supply": ("Product & supply", "商品与供应链"),
    "technology": ("Technology", "技术能力"),
    "data_driven": ("Data-driven", "数据驱动"),
    "user_centric": ("User-centric", "用户中心"),
}


def radar_figure(position: Position, lang: str = "en", *, title: str | None = None) -> Any:
    """A Plotly figure (``go.Figure``) of ``position`` on 0..100 axes, labels in ``lang``."""
    keys = [*DIMENSIONS, "technology", "data_driven", "user_centric"]
    values = [
        *(position.business[d] for d in DIMENSIONS),
        position.technology,
        position.mindset["data_driven"],
        position.mindset["user_centric"],
    ]
    labels = [AXIS_LABELS[k][1 if lang == "zh" else 0] for k in keys]
    fig = go.Figure(
        go.Scatterpolar(r=[*values, values[0]], theta=[*labels, labels[0]], fill="toself")
    )
    fig.update_layout(
        polar={"radialaxis": {"range": [0, 100], "visible": True}},
        showlegend=False,
        title=title,
        margin={"l": 40, "r": 40, "t": 40 if title else 20, "b": 20},
    )
    return fig
