"""What a source adapter is: how to read a file and how its records become canonical rows.

An adapter turns the staged file (text columns plus ``_line``) into one SQL ``SELECT`` per target
table. Each select yields canonical column names (any subset; the rest are null) as text or typed
values, plus ``_line``: the source line the row came from. Validation, keys, references and the
transactional load are the same for every adapter (see :mod:`shopscope.warehouse.ingest`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from shopscope.warehouse.ingest.reader import ReadOptions

__all__ = ["SourceAdapter", "SourcePlan", "TablePlan", "order_lines_plan"]


@dataclass(frozen=True)
class TablePlan:
    """How one canonical table is filled from the staged file.

    Attributes
    ----------
    table:
        Canonical table name.
    select:
        SQL over ``{src}`` (the staged rows that passed the adapter's own rules). It must return
        ``_line`` and canonical column names.
    derived:
        Rows summarise several records (orders from invoice lines, products from order lines):
        existing rows are kept, not compared, and conflicts are resolved by the adapter's select.
    """

    table: str
    select: str
    derived: bool = False


@dataclass(frozen=True)
class SourcePlan:
    """Everything the pipeline needs to load one staged file.

    Attributes
    ----------
    tables:
        Table plans in load order (referenced tables first).
    line_table:
        The table whose rows correspond one-to-one to source records; record accounting
        (loaded + unchanged + quarantined = read) is done on it.
    rules:
        SQL over ``{stg}`` returning ``_line, reason_code, reason`` for records the adapter
        itself refuses (e.g. stock adjustments in Online Retail). They are quarantined and
        excluded from ``{src}``.
    timezone:
        IANA zone of naive timestamps in the file (converted to UTC).
    timestamp_format:
        strptime format for timestamps that are not ISO 8601.
    skip:
        SQL boolean expression over a staged row's columns marking lines that are not records
        (e.g. a header line in a file read with ``kind="lines"``). Such lines are dropped before
        accounting and reported as skipped, neither loaded nor quarantined.
    """

    tables: tuple[TablePlan, ...]
    line_table: str
    rules: str | None = None
    timezone: str = "UTC"
    timestamp_format: str | None = None
    skip: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


def order_lines_plan(
    *,
    products: str,
    customers: str,
    orders: str,
    items: str,
    rules: str | None = None,
    timezone: str = "UTC",
    skip: str | None = None,
) -> SourcePlan:
    """The plan of an order-line export: one record per line; products, customers and orders
    are derived from the lines (in reference order), and ``order_items`` is the line table."""
    return SourcePlan(
        tables=(
            TablePlan("products", products, derived=True),
            TablePlan("customers", customers, derived=True),
            TablePlan("orders", orders, derived=True),
            TablePlan("order_items", items),
        ),
        line_table="order_items",
        rules=rules,
        timezone=timezone,
        skip=skip,
    )


@runtime_checkable
class SourceAdapter(Protocol):
    """A built-in or mapping-defined source layout."""

    name: str
    description: str
    read_options: ReadOptions

    def required_columns(self) -> list[str]:
        """Columns the staged file must have (exact names)."""
        ...

    def plan(self, columns: list[str]) -> SourcePlan:
        """The load plan for a staged file with these columns."""
        ...
