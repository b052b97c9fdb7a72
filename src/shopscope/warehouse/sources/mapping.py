"""The generic ``csv`` source: any shop export, described by a TOML mapping file.

Example (``orders.toml``)::

    [read]                       # optional: how to read the file
    delimiter = ";"
    encoding = "cp1252"

    [source]                     # optional
    timezone = "Europe/Berlin"   # zone of timestamps without an offset (default UTC)
    timestamp_format = "%d.%m.%Y %H:%M"
    line_table = "order_items"   # table with one row per record (default: the last listed)

    [tables.orders]
    aggregate = true             # several records per order: first non-empty value wins
    columns = { order_id = "Order No", ordered_at = "Date", customer_id = "Customer" }
    constants = { currency = "EUR" }
    values.status = { "Shipped" = "completed", "Storniert" = "cancelled" }

    [tables.order_items.columns] # canonical column = source column
    order_id = "Order No"
    line_no = "Pos"
    sku = "Article"
    quantity = "Qty"
    unit_price = "Price"

Tables load in schema order (customers, products, orders, order_items, ...), so references
resolve within one file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from shopscope.errors import ConfigurationError
from shopscope.warehouse.ingest.reader import ReadOptions, quote_ident
from shopscope.warehouse.ingest.validate import sql_literal
from shopscope.warehouse.schema import CANONICAL_TABLES, TABLES
from shopscope.warehouse.sources.base import SourcePlan, TablePlan

__all__ = ["Mapping", "MappingAdapter", "TableMapping", "load_mapping"]

_ORDER = [t.name for t in CANONICAL_TABLES]


class TableMapping(BaseModel):
    """How one canonical table is filled: source columns, constants and value maps."""

    model_config = ConfigDict(extra="forbid")

    columns: dict[str, str] = Field(default_factory=dict)
    constants: dict[str, str | int | float | bool] = Field(default_factory=dict)
    values: dict[str, dict[str, str]] = Field(default_factory=dict)
    aggregate: bool = False


class ReadSection(BaseModel):
    """Dialect overrides for reading the file."""

    model_config = ConfigDict(extra="forbid")

    delimiter: str | None = None
    header: bool | None = None
    encoding: str | None = None


class SourceSection(BaseModel):
    """Interpretation of values in the file."""

    model_config = ConfigDict(extra="forbid")

    timezone: str = "UTC"
    timestamp_format: str | None = None
    line_table: str | None = None


class Mapping(BaseModel):
    """A whole mapping file."""

    model_config = ConfigDict(extra="forbid")

    read: ReadSection = Field(default_factory=ReadSection)
    source: SourceSection = Field(default_factory=SourceSection)
    tables: dict[str, TableMapping]

    @field_validator("tables")
    @classmethod
    def _known_tables(cls, tables: dict[str, TableMapping]) -> dict[str, TableMapping]:
        if not tables:
            raise ValueError("map at least one table, e.g. [tables.orders]")
        for name, spec in tables.items():
            if name not in _ORDER:
                raise ValueError(f"unknown table {name!r}; tables: {', '.join(_ORDER)}")
            table = TABLES[name]
            named = [*spec.columns, *spec.constants, *spec.values]
            unknown = [c for c in named if c not in table.column_index]
            if unknown:
                raise ValueError(
                    f"table {name}: unknown column(s) {', '.join(unknown)}; "
                    f"columns: {', '.join(table.column_names)}"
                )
        return tables


def load_mapping(path: Path) -> Mapping:
    """Read and check a mapping file; errors name the file and the offending entry."""
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(f"Mapping file {path} not found.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"Mapping file {path} is not valid TOML: {exc}.") from exc
    try:
        mapping = Mapping.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigurationError(
            f"Mapping file {path} is invalid: {problems}. See docs/sources.md (generic csv)."
        ) from exc
    line_table = mapping.source.line_table
    if line_table is not None and line_table not in mapping.tables:
        raise ConfigurationError(
            f"Mapping file {path}: line_table {line_table!r} is not one of the mapped tables "
            f"({', '.join(mapping.tables)})."
        )
    return mapping


def _value_expr(column: str, spec: TableMapping, canonical: str) -> str:
    expr = quote_ident(column)
    cases = spec.values.get(canonical)
    if cases:
        whens = " ".join(f"WHEN {sql_literal(k)} THEN {sql_literal(v)}" for k, v in cases.items())
        expr = f"CASE trim({expr}) {whens} ELSE {expr} END"
    return expr


def _constant(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    return sql_literal(value)


@dataclass
class MappingAdapter:
    """Source adapter built from a :class:`Mapping`."""

    mapping: Mapping
    name: str = "csv"
    description: str = "any CSV/Parquet/JSONL export with a TOML column mapping"
    read_options: ReadOptions = field(init=False)

    def __post_init__(self) -> None:
        r = self.mapping.read
        self.read_options = ReadOptions(delimiter=r.delimiter, header=r.header, encoding=r.encoding)

    @classmethod
    def from_file(cls, path: Path) -> MappingAdapter:
        """Adapter for the mapping file at ``path``."""
        return cls(load_mapping(path))

    def required_columns(self) -> list[str]:
        seen: dict[str, None] = {}
        for spec in self.mapping.tables.values():
            seen.update(dict.fromkeys(spec.columns.values()))
        return list(seen)

    def plan(self, columns: list[str]) -> SourcePlan:
        tables = sorted(self.mapping.tables, key=_ORDER.index)
        plans = []
        for name in tables:
            spec = self.mapping.tables[name]
            exprs = {c: _value_expr(src, spec, c) for c, src in spec.columns.items()}
            exprs.update({c: _constant(v) for c, v in spec.constants.items()})
            if spec.aggregate:
                keys = [k for k in TABLES[name].primary_key if k in exprs]
                if len(keys) != len(TABLES[name].primary_key):
                    raise ConfigurationError(
                        f"tables.{name}: aggregate needs the key column(s) "
                        f"{', '.join(TABLES[name].primary_key)} mapped."
                    )
                parts = [f"{exprs[k]} AS {quote_ident(k)}" for k in keys] + [
                    f"arg_min({e}, _line) FILTER (WHERE {e} IS NOT NULL) AS {quote_ident(c)}"
                    for c, e in exprs.items()
                    if c not in keys
                ]
                group = ", ".join(exprs[k] for k in keys)
                select = (
                    f"SELECT {', '.join(parts)}, min(_line) AS _line FROM {{src}} GROUP BY {group}"
                )
            else:
                parts = [f"{e} AS {quote_ident(c)}" for c, e in exprs.items()]
                select = f"SELECT {', '.join(parts)}, _line FROM {{src}}"
            plans.append(TablePlan(name, select, derived=spec.aggregate))
        line_table = self.mapping.source.line_table or tables[-1]
        if self.mapping.tables[line_table].aggregate:
            raise ConfigurationError(
                f"tables.{line_table} is the line table (one row per record) and cannot be "
                "aggregated; set aggregate = false or choose another [source] line_table."
            )
        return SourcePlan(
            tables=tuple(plans),
            line_table=line_table,
            timezone=self.mapping.source.timezone,
            timestamp_format=self.mapping.source.timestamp_format,
        )
