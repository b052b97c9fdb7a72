"""The registry of parity queries and the check that runs one on two warehouses."""

from __future__ import annotations

import importlib
import importlib.util
import logging
import math
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import ibis.expr.types as ir

from shopscope.warehouse.connection import Warehouse
from shopscope.warehouse.parity.compare import DEFAULT_TOLERANCE, compare_results

__all__ = [
    "DEFAULT_TOLERANCE",
    "PARITY_QUERIES",
    "ParityQuery",
    "check_parity",
    "discover_parity_queries",
    "parity_query",
    "register_parity_query",
]

log = logging.getLogger(__name__)

QueryBuilder = Callable[[Warehouse], ir.Table]


@dataclass(frozen=True)
class ParityQuery:
    """One query of the parity suite.

    Parameters
    ----------
    name
        Unique name (snake_case), used in test ids and messages.
    build
        Builds the Ibis expression from a warehouse's tables; must be plain Ibis.
    sort_by
        Columns that identify a result row; both results are sorted by them and rows are
        matched on them. Empty: sort by every column.
    tolerance
        Relative tolerance for float columns; other types compare exactly.
    description
        What the query computes (shown in docs and failure messages).
    """

    name: str
    build: QueryBuilder
    sort_by: tuple[str, ...]
    tolerance: float = DEFAULT_TOLERANCE
    description: str = ""

    def __post_init__(self) -> None:
        if not self.name or not self.name.replace("_", "").isalnum():
            raise ValueError(
                f"parity query name {self.name!r} is not snake_case; use letters, digits and _."
            )
        if not (self.tolerance >= 0 and math.isfinite(self.tolerance)):
            raise ValueError(
                f"parity query {self.name}: tolerance must be a finite number >= 0, "
                f"got {self.tolerance!r}."
            )
        object.__setattr__(self, "sort_by", tuple(self.sort_by))


PARITY_QUERIES: list[ParityQuery] = []
"""Every registered query, in registration order (seed queries first)."""


def register_parity_query(
    name: str,
    build: QueryBuilder,
    *,
    sort_by: Sequence[str] = (),
    tolerance: float = DEFAULT_TOLERANCE,
    description: str = "",
) -> ParityQuery:
    """Add a query to :data:`PARITY_QUERIES`.

    Parameters
    ----------
    name, build, sort_by, tolerance, description
        See :class:`ParityQuery`.

    Returns
    -------
    ParityQuery
        The registered query.

    Raises
    ------
    ValueError
        ``name`` is already registered (names are test ids, so they must be unique).
    """
    query = ParityQuery(name, build, tuple(sort_by), tolerance, description)
    taken = [q.name for q in PARITY_QUERIES]
    if name in taken:
        raise ValueError(
            f"parity query {name!r} is already registered; choose another name "
            f"(registered: {', '.join(taken)})."
        )
    PARITY_QUERIES.append(query)
    return query


def parity_query(
    name: str,
    *,
    sort_by: Sequence[str] = (),
    tolerance: float = DEFAULT_TOLERANCE,
    description: str = "",
) -> Callable[[QueryBuilder], QueryBuilder]:
    """Decorator form of :func:`register_parity_query`; returns the function unchanged.

    Parameters
    ----------
    name, sort_by, tolerance, description
        See :class:`ParityQuery`. ``description`` defaults to the function's docstring.
    """

    def register(build: QueryBuilder) -> QueryBuilder:
        text = description or (build.__doc__ or "").strip().split("\n")[0]
        register_parity_query(name, build, sort_by=sort_by, tolerance=tolerance, description=text)
        return build

    return register


def discover_parity_queries() -> list[ParityQuery]:
    """Import ``shopscope.<package>.parity`` for every subpackage that has one.

    Returns
    -------
    list of ParityQuery
        :data:`PARITY_QUERIES` after the imports (seed queries plus the domains').
    """
    import shopscope

    for info in pkgutil.iter_modules(shopscope.__path__):
        if not info.ispkg or info.name == "warehouse":
            continue
        module = f"shopscope.{info.name}.parity"
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)
            log.debug("loaded parity queries from %s", module)
    return PARITY_QUERIES


def check_parity(query: ParityQuery, left: Warehouse, right: Warehouse) -> list[str]:
    """Run ``query`` on two warehouses and compare the results.

    Returns
    -------
    list of str
        Differences, each prefixed with the query name and the two backends; empty when equal.
    """
    a = query.build(left).to_pyarrow()
    b = query.build(right).to_pyarrow()
    prefix = f"{query.name} ({left.backend_name} vs {right.backend_name}): "
    return [prefix + d for d in compare_results(a, b, sort_by=query.sort_by, rtol=query.tolerance)]
