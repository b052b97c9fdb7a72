"""Assessment history: each user's positioning assessments stored with their answers, so growth
is visible (``docs/methods/positioning.md``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopscope.appdb.models import Assessment, User, utcnow
from shopscope.cli.output import to_jsonable
from shopscope.team.positioning.assessment import PathStep, Position, assess

__all__ = ["assessment_history", "latest_positions", "position_from_json", "save_assessment"]


def save_assessment(s: Session, user: User, answers: Mapping[str, int]) -> Position:
    """Score ``answers`` and store them with the result (earlier assessments are kept)."""
    position = assess(answers)
    s.add(
        Assessment(
            user_id=user.id,
            answers=dict(answers),
            result=to_jsonable(position),
            created_at=utcnow(),
        )
    )
    s.flush()
    return position


def position_from_json(data: Mapping[str, Any]) -> Position:
    """The :class:`Position` stored as JSON by :func:`save_assessment`."""
    fields = dict(data)
    fields["strengths"] = tuple(fields.get("strengths", ()))
    fields["path"] = tuple(
        PathStep(**{**p, "modules": tuple(p.get("modules", ()))}) for p in fields.get("path", ())
    )
    return Position(**fields)


def assessment_history(s: Session, user: User) -> list[tuple[datetime, Position]]:
    """The user's assessments, oldest first."""
    q = select(Assessment).where(Assessment.user_id == user.id).order_by(Assessment.id)
    return [(a.created_at, position_from_json(a.result)) for a in s.scalars(q)]


def latest_positions(s: Session) -> dict[int, Position]:
    """Each user's latest assessment, by user id."""
    latest: dict[int, Assessment] = {}
    for a in s.scalars(select(Assessment).order_by(Assessment.id)):
        latest[a.user_id] = a
    return {uid: position_from_json(a.result) for uid, a in latest.items()}
