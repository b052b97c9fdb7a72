"""Positioning: where a person stands on business value, technology and mindset, and the path
to the next tier (``docs/methods/positioning.md``)."""

from shopscope.team.positioning.assessment import (
    DIMENSIONS,
    READINESS,
    READY,
    TIERS,
    PathStep,
    Position,
    Question,
    assess,
    questionnaire,
)
from shopscope.team.positioning.chart import radar_figure

__all__ = [
    "DIMENSIONS",
    "READINESS",
    "READY",
    "TIERS",
    "PathStep",
    "Position",
    "Question",
    "assess",
    "questionnaire",
    "radar_figure",
]
