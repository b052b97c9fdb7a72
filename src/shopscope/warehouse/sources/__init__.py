"""Source adapters: how each shop export becomes canonical rows, and how one is chosen.

Built-in adapters are registered in :data:`ADAPTERS` by their ``--source`` name.
:func:`get_adapter` builds one by name; :func:`detect_adapter` picks one from a file's columns
(and name) for ``--source auto``. The generic ``csv`` source (a TOML mapping file) is built by
:mod:`shopscope.warehouse.sources.mapping`, not from a bare name.
"""

from __future__ import annotations

import re
from pathlib import Path

from shopscope.errors import ConfigurationError, MissingColumnsError
from shopscope.warehouse.sources.base import SourceAdapter as SourceAdapter
from shopscope.warehouse.sources.base import SourcePlan as SourcePlan
from shopscope.warehouse.sources.base import TablePlan as TablePlan
from shopscope.warehouse.sources.cdnow import CDNOW_HEADER, Cdnow
from shopscope.warehouse.sources.olist import Olist
from shopscope.warehouse.sources.online_retail import OnlineRetail
from shopscope.warehouse.sources.shopify import Shopify

__all__ = [
    "ADAPTERS",
    "Cdnow",
    "Olist",
    "OnlineRetail",
    "Shopify",
    "SourceAdapter",
    "SourcePlan",
    "TablePlan",
    "detect_adapter",
    "get_adapter",
]

ADAPTERS: dict[str, type[SourceAdapter]] = {
    "online-retail": OnlineRetail,
    "cdnow": Cdnow,
    "olist": Olist,
    "shopify": Shopify,
    # "csv": the generic mapping adapter needs a mapping file; it is built by
    # shopscope.warehouse.sources.mapping (MappingAdapter.from_file), not by name.
}
"""Built-in adapters by ``--source`` name."""

# A CDNOW line as the CSV sniffer sees it (one column): ids, YYYYMMDD date, CDs, dollars.
_CDNOW_RECORD = re.compile(r"\s*\d+(\s+\d+)?\s+\d{8}\s+\d+\s+\d+(\.\d*)?\s*")


def get_adapter(name: str, *, path: Path | None = None) -> SourceAdapter:
    """The built-in adapter called ``name``.

    Parameters
    ----------
    name:
        A key of :data:`ADAPTERS`.
    path:
        The file about to be ingested, when known: adapters that read lookup files next to it
        (Olist's category translation and customers) use them.

    Raises
    ------
    ConfigurationError
        Unknown name; the message lists the known ones.
    """
    try:
        cls = ADAPTERS[name]
    except KeyError:
        raise ConfigurationError(
            f"Unknown source {name!r}. Known sources: {', '.join(ADAPTERS)}, or csv with "
            "--mapping FILE.toml for any other layout."
        ) from None
    if path is not None and cls is Olist:
        return Olist.for_path(path)
    return cls()


def _is_cdnow(columns: list[str], path: Path) -> bool:
    if columns == ["line"]:
        return True
    if len(columns) != 1:
        return False
    header = columns[0].split()
    # the sniffer takes the first line as header: lifetimes' header, or a headerless record
    return tuple(header) == CDNOW_HEADER or (
        _CDNOW_RECORD.fullmatch(columns[0]) is not None and "cdnow" in path.name.lower()
    )


def detect_adapter(columns: list[str], path: Path) -> SourceAdapter:
    """Choose a built-in adapter from a file's columns (and name), for ``--source auto``.

    Online Retail, Shopify and Olist are recognised by their column names; CDNOW by its
    whitespace-separated layout (the file is then re-read line by line).

    Raises
    ------
    MissingColumnsError
        No built-in layout matches; the message lists what each expects.
    """
    if OnlineRetail().accepts(columns):
        return OnlineRetail()
    if Shopify().accepts(columns):
        return Shopify()
    olist = Olist.for_path(path)
    if olist.accepts(columns):
        return olist
    if _is_cdnow(columns, path):
        return Cdnow()
    expected = {
        "online-retail": OnlineRetail().required_columns(),
        "shopify": Shopify().required_columns(),
        "olist": ["product_id, product_category_name | order_id, customer_id, ... (Kaggle)"],
        "cdnow": [" ".join(CDNOW_HEADER) + " (whitespace-separated)"],
    }
    raise MissingColumnsError(
        f"{path}: no built-in source recognises these columns: "
        f"{', '.join(columns) or '(none)'}. Expected one of: "
        + "; ".join(f"{name}: {', '.join(cols)}" for name, cols in expected.items())
        + ". Use --source NAME or --mapping FILE.toml (see docs/sources.md).",
        expected=[c for cols in expected.values() for c in cols],
        found=list(columns),
    )
