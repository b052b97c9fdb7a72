"""Server-rendered web pages: one module per workspace or domain, each exposing ``router`` and
``NAV`` (its navigation entries); modules are found automatically.

A domain adds ``server/pages/<domain>.py`` (routes declaring permissions with
``Depends(require(...))``), ``templates/<domain>/*.html`` and ``i18n/<domain>.{en,zh}.toml``.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter

__all__ = ["NavItem", "nav_items", "page_routers"]

_NOT_PAGES = frozenset({"render", "charts"})


@dataclass(frozen=True)
class NavItem:
    """A navigation entry: message key of its label, path, the permission it needs, order."""

    label: str
    path: str
    permission: str
    order: int = 50


def _modules() -> list[Any]:
    out: list[Any] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name in _NOT_PAGES or info.name.startswith("_"):
            continue
        out.append(importlib.import_module(f"{__name__}.{info.name}"))
    return out


def page_routers() -> list[tuple[str, APIRouter]]:
    """``(module name, router)`` of every page module."""
    return [
        (m.__name__.rsplit(".", 1)[-1], m.router)
        for m in _modules()
        if isinstance(getattr(m, "router", None), APIRouter)
    ]


def nav_items() -> list[NavItem]:
    """Every page module's navigation entries, in display order."""
    items: list[NavItem] = []
    for m in _modules():
        items.extend(getattr(m, "NAV", ()))
    return sorted(items, key=lambda i: (i.order, i.path))
