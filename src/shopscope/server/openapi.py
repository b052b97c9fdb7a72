"""OpenAPI additions: each operation's declared permission as ``x-permission``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi.routing import APIRoute, APIRouter

from shopscope.server.auth import permission_of

__all__ = ["add_permissions", "route_permissions"]


def route_permissions(
    routers: Sequence[tuple[str, APIRouter]],
) -> dict[tuple[str, str], str | None]:
    """(METHOD, full path) → the permission each API route declares (None: any signed-in user).

    ``routers`` are ``(prefix, router)`` pairs as mounted: the ``server/api`` routers under the
    API prefix and routers built elsewhere (event ingestion) with their full paths.
    """
    out: dict[tuple[str, str], str | None] = {}
    for prefix, router in routers:
        for route in router.routes:
            if not isinstance(route, APIRoute):
                continue
            declared = permission_of([d.call for d in route.dependant.dependencies])
            for method in route.methods or ():
                out[(method, prefix + route.path)] = declared if declared else None
    return out


def add_permissions(
    schema: dict[str, Any], routers: Sequence[tuple[str, APIRouter]]
) -> dict[str, Any]:
    """Record each operation's permission as ``x-permission`` (and in its description)."""
    table = route_permissions(routers)
    for path, ops in schema.get("paths", {}).items():
        for method, op in ops.items():
            key = (method.upper(), path)
            if key not in table:
                continue
            perm = table[key]
            op["x-permission"] = perm or "signed-in"
            note = f"Permission: `{perm}`." if perm else "Any signed-in user."
            op["description"] = (op.get("description", "") + "\n\n" + note).strip()
    return schema
