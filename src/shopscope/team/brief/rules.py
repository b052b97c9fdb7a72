"""Loading and checking the brief's declarative rules (``rules.toml``, or a shop's own file)."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, cast

from shopscope.errors import ConfigurationError
from shopscope.team.brief.model import Priority, Rule
from shopscope.team.brief.providers import PROVIDERS
from shopscope.team.roles import RoleModel, role_model

__all__ = ["default_rules", "load_rules", "parse_rules"]

_FIELDS = ("id", "provider", "role", "priority", "due_days", "title_en", "title_zh")
_PRIORITIES = ("high", "medium", "low")


def parse_rules(data: Mapping[str, Any], roles: RoleModel | None = None) -> tuple[Rule, ...]:
    """Build the rules of parsed TOML, checking providers, roles and priorities."""
    roles = roles or role_model()
    out: list[Rule] = []
    seen: set[str] = set()
    for i, r in enumerate(data.get("rules", []), start=1):
        missing = [f for f in _FIELDS if f not in r]
        where = f"rule {r.get('id', i)!r}"
        if missing:
            raise ConfigurationError(f"{where} lacks {', '.join(missing)}.")
        if r["id"] in seen:
            raise ConfigurationError(f"{where} is defined twice; rule ids must be unique.")
        seen.add(r["id"])
        if r["provider"] not in PROVIDERS:
            raise ConfigurationError(
                f"{where} uses provider {r['provider']!r}; known: {', '.join(sorted(PROVIDERS))}."
            )
        role = roles.role(r["role"])  # NotFoundError lists the roles
        if r["priority"] not in _PRIORITIES:
            raise ConfigurationError(f"{where}: priority must be one of {', '.join(_PRIORITIES)}.")
        if not isinstance(r["due_days"], int) or r["due_days"] < 0:
            raise ConfigurationError(f"{where}: due_days must be an integer >= 0.")
        tier = r.get("tier", role.tier)
        if tier not in roles.tiers or roles.tiers[tier].rank > roles.tiers[role.tier].rank:
            raise ConfigurationError(
                f"{where}: tier {tier!r} must be the role's tier ({role.tier}) or one below it "
                "(the workspace where the role carries out the item)."
            )
        out.append(
            Rule(
                id=r["id"],
                provider=r["provider"],
                tier=tier,
                role=role.key,
                priority=cast("Priority", r["priority"]),
                due_days=r["due_days"],
                title_en=r["title_en"],
                title_zh=r["title_zh"],
                link=r.get("link", ""),
                params=dict(r.get("params", {})),
            )
        )
    if not out:
        raise ConfigurationError("The rules file defines no [[rules]].")
    return tuple(out)


def load_rules(path: Path, roles: RoleModel | None = None) -> tuple[Rule, ...]:
    """Rules from a TOML file."""
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"Cannot read brief rules {path}: {exc}") from exc
    return parse_rules(data, roles)


def default_rules() -> tuple[Rule, ...]:
    """The packaged ``rules.toml``."""
    text = resources.files(__package__).joinpath("rules.toml").read_text("utf-8")
    return parse_rules(tomllib.loads(text))
