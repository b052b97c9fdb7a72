"""Choosing the adapter for an ingest from ``--source`` and ``--mapping``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from shopscope.errors import ConfigurationError
from shopscope.warehouse.sources.base import SourceAdapter
from shopscope.warehouse.sources.mapping import MappingAdapter

__all__ = ["resolve_adapter"]


def resolve_adapter(
    source: str, mapping: Path | None
) -> SourceAdapter | Callable[[list[str], Path], SourceAdapter]:
    """An adapter, or (for ``auto``) a function that picks one from each file's columns."""
    from shopscope.warehouse.sources import detect_adapter, get_adapter

    if mapping is not None:
        if source not in ("auto", "csv"):
            raise ConfigurationError(
                f"--mapping goes with --source csv, not --source {source}; drop one of them."
            )
        return MappingAdapter.from_file(mapping)
    if source == "csv":
        raise ConfigurationError(
            "--source csv needs --mapping FILE.toml describing the columns (see docs/sources.md)."
        )
    if source == "auto":
        return detect_adapter
    get_adapter(source)  # fail fast on an unknown name, before any file is read

    def named(columns: list[str], path: Path) -> SourceAdapter:
        return get_adapter(source, path=path)  # adapters may look beside the file (Olist)

    return named
