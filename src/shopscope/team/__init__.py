"""Teams: tiers, roles, business dimensions and permissions (the role model as data)."""

from __future__ import annotations

from shopscope.team.roles import Permission as Permission
from shopscope.team.roles import Role as Role
from shopscope.team.roles import RoleModel as RoleModel
from shopscope.team.roles import Tier as Tier
from shopscope.team.roles import role_model as role_model

__all__ = ["Permission", "Role", "RoleModel", "Tier", "role_model"]
