"""The team map for the director: coverage of tiers × business dimensions, gaps, single points
of failure and the mix of technology capability.

A member covers a (tier, dimension) cell when their role sits in that tier and serves that
dimension (a strategic role serves all four), or, from their latest assessment, when their
business score in that dimension reaches :data:`~shopscope.team.positioning.READY` at a tier
their readiness reaches. Gaps are dimensions nobody covers at the tactical tier or above (the
tier that turns strategy into growth); a single point of failure is a cell exactly one person
covers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from shopscope.errors import InvalidInputError
from shopscope.team.positioning import DIMENSIONS, READY, TIERS, Position
from shopscope.team.roles import RoleModel, role_model

__all__ = ["Member", "TeamMap", "team_map"]


@dataclass(frozen=True)
class Member:
    """A person on the team: name, role key and (optionally) their latest assessment."""

    name: str
    role: str
    position: Position | None = None


@dataclass(frozen=True)
class TeamMap:
    """Who covers what.

    ``coverage[tier][dimension]`` lists member names; ``gaps`` are dimensions with nobody at the
    tactical tier or above; ``single_points`` are (tier, dimension, name) cells with one person;
    ``technology_mix`` counts members per technology level (``unassessed`` without an assessment).
    """

    members: int
    coverage: dict[str, dict[str, list[str]]]
    gaps: tuple[str, ...]
    single_points: tuple[tuple[str, str, str], ...]
    technology_mix: dict[str, int]


def team_map(members: Sequence[Member], model: RoleModel | None = None) -> TeamMap:
    """Coverage, gaps, single points of failure and technology mix of ``members``."""
    model = model or role_model()
    names = [m.name for m in members]
    dupes = sorted(n for n, c in Counter(names).items() if c > 1)
    if dupes:
        raise InvalidInputError(f"Team members must have distinct names; repeated: {dupes}.")
    coverage: dict[str, dict[str, list[str]]] = {t: {d: [] for d in DIMENSIONS} for t in TIERS}
    for member in members:
        role = model.role(member.role)  # NotFoundError names the known roles
        dims = DIMENSIONS if role.tier == "strategic" else role.dimensions
        cells = {(role.tier, d) for d in dims if d in DIMENSIONS}
        if member.position is not None:
            for tier in TIERS:
                if member.position.readiness[tier] < READY:
                    continue
                cells |= {(tier, d) for d in DIMENSIONS if member.position.business[d] >= READY}
        for tier, dim in sorted(cells):
            coverage[tier][dim].append(member.name)
    upper = ("tactical", "strategic")
    gaps = tuple(d for d in DIMENSIONS if not any(coverage[t][d] for t in upper))
    single = tuple(
        (t, d, coverage[t][d][0]) for t in TIERS for d in DIMENSIONS if len(coverage[t][d]) == 1
    )
    mix = Counter(
        m.position.technology_level if m.position is not None else "unassessed" for m in members
    )
    levels = ("user", "applier", "collaborator_driver", "unassessed")
    return TeamMap(
        members=len(members),
        coverage=coverage,
        gaps=gaps,
        single_points=single,
        technology_mix={k: mix.get(k, 0) for k in levels},
    )
