"""REST API ``/api/v1``: one module per domain, each exposing ``router`` (found automatically).

A domain adds ``server/api/<domain>.py`` with ``router = APIRouter(tags=[...])``; every route
declares its permission with ``Depends(require("<permission>"))``.
"""

from __future__ import annotations

import importlib
import pkgutil

from fastapi import APIRouter

__all__ = ["API_PREFIX", "api_routers"]

API_PREFIX = "/api/v1"
_NOT_ROUTERS = frozenset({"common"})


def api_routers() -> list[tuple[str, APIRouter]]:
    """``(module name, router)`` of every API module in this package, by name."""
    found: list[tuple[str, APIRouter]] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name in _NOT_ROUTERS or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        router = getattr(module, "router", None)
        if isinstance(router, APIRouter):
            found.append((info.name, router))
    return found
