"""The role model as data: tiers, business dimensions, permissions and roles (``roles.toml``).

A role holds a permission when its tier ranks at least the permission's tier and, when the
permission belongs to a business dimension, the role serves that dimension; ``extra`` grants
exceptions. The server asks :meth:`RoleModel.permissions` and answers 403 otherwise.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from shopscope.errors import ConfigurationError, NotFoundError

__all__ = ["Dimension", "Permission", "Role", "RoleModel", "Tier", "parse_role_model", "role_model"]


@dataclass(frozen=True)
class Tier:
    """A layer of operations work; higher ``rank`` can do what lower ranks can."""

    key: str
    rank: int
    workspace: str
    name_en: str
    name_zh: str
    description_en: str
    description_zh: str


@dataclass(frozen=True)
class Dimension:
    """A business value a role serves (acquisition, conversion, retention, supply)."""

    key: str
    name_en: str
    name_zh: str


@dataclass(frozen=True)
class Permission:
    """What an endpoint or page needs: the lowest tier and, optionally, a dimension."""

    key: str
    tier: str
    dimension: str | None
    en: str
    zh: str


@dataclass(frozen=True)
class Role:
    """A concrete role: its tier, dimensions and names."""

    key: str
    tier: str
    dimensions: tuple[str, ...]
    name_en: str
    name_zh: str
    description_en: str
    description_zh: str
    hybrid: bool = False
    extra: tuple[str, ...] = ()
    workspace: str = ""
    """The page the role lands on; empty: its tier's workspace."""

    def name(self, lang: str) -> str:
        """The role's name in ``lang`` (``en`` or ``zh``)."""
        return self.name_zh if lang == "zh" else self.name_en


@dataclass(frozen=True)
class RoleModel:
    """Tiers, dimensions, permissions and roles, validated against each other."""

    tiers: dict[str, Tier]
    dimensions: dict[str, Dimension]
    permissions: dict[str, Permission]
    roles: dict[str, Role]

    def role(self, key: str) -> Role:
        """The role ``key``; :class:`NotFoundError` listing the roles otherwise."""
        if key not in self.roles:
            raise NotFoundError(f"Unknown role {key!r}. Roles: {', '.join(self.roles)}.")
        return self.roles[key]

    def rank(self, role_key: str) -> int:
        """Rank of the role's tier (1 execution … 3 strategic)."""
        return self.tiers[self.role(role_key).tier].rank

    def grants(self, role_key: str) -> frozenset[str]:
        """Every permission the role holds."""
        role = self.role(role_key)
        rank = self.tiers[role.tier].rank
        dims = set(self.dimensions) if role.tier == "strategic" else set(role.dimensions)
        held = {
            p.key
            for p in self.permissions.values()
            if self.tiers[p.tier].rank <= rank and (p.dimension is None or p.dimension in dims)
        }
        return frozenset(held | set(role.extra))

    def workspace(self, role_key: str) -> str:
        """The default workspace of the role (its own, else its tier's)."""
        role = self.role(role_key)
        return role.workspace or self.tiers[role.tier].workspace

    def role_tiers(self) -> dict[str, str]:
        """Role key → tier key (mirrored into the application database)."""
        return {k: r.tier for k, r in self.roles.items()}


def _get(entry: dict[str, Any], key: str, where: str) -> Any:
    if key not in entry:
        raise ConfigurationError(f"{where} lacks {key!r} in roles.toml.")
    return entry[key]


def parse_role_model(data: dict[str, Any]) -> RoleModel:
    """Build and cross-check a :class:`RoleModel` from parsed TOML."""
    tiers = {
        k: Tier(
            k,
            int(_get(v, "rank", f"tier {k}")),
            str(_get(v, "workspace", f"tier {k}")),
            v["name_en"],
            v["name_zh"],
            v["description_en"],
            v["description_zh"],
        )
        for k, v in data.get("tiers", {}).items()
    }
    dims = {
        k: Dimension(k, v["name_en"], v["name_zh"]) for k, v in data.get("dimensions", {}).items()
    }
    perms: dict[str, Permission] = {}
    for k, v in data.get("permissions", {}).items():
        tier = str(_get(v, "tier", f"permission {k}"))
        dim = v.get("dimension")
        if tier not in tiers or (dim is not None and dim not in dims):
            raise ConfigurationError(f"Permission {k!r} names an unknown tier or dimension.")
        perms[k] = Permission(k, tier, dim, v["en"], v["zh"])
    roles: dict[str, Role] = {}
    for k, v in data.get("roles", {}).items():
        role = Role(
            k,
            str(_get(v, "tier", f"role {k}")),
            tuple(v.get("dimensions", ())),
            v["name_en"],
            v["name_zh"],
            v["description_en"],
            v["description_zh"],
            bool(v.get("hybrid", False)),
            tuple(v.get("extra", ())),
            str(v.get("workspace", "")),
        )
        bad = [d for d in role.dimensions if d not in dims] + [
            p for p in role.extra if p not in perms
        ]
        if role.tier not in tiers or bad:
            raise ConfigurationError(
                f"Role {k!r}: unknown tier {role.tier!r} or names {bad}; tiers: "
                f"{', '.join(tiers)}; dimensions: {', '.join(dims)}."
            )
        roles[k] = role
    return RoleModel(tiers, dims, perms, roles)


@cache
def role_model() -> RoleModel:
    """The packaged role model (``shopscope/team/roles.toml``), parsed once."""
    text = resources.files("shopscope.team").joinpath("roles.toml").read_text(encoding="utf-8")
    return parse_role_model(tomllib.loads(text))
