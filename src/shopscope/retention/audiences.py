"""Named audiences: save any customer selection in the warehouse and export it as CSV.

An audience is a name, a description, where it came from (``source``: ``rfm``, ``churn``,
``clv`` or ``custom``), the definition that produced it (JSON, for reproducibility) and its
members. Two warehouse tables hold them, created on first save through the warehouse
connection (they are not canonical tables): ``audiences`` (one row per audience) and
``audience_members`` (``audience, customer_id, score, rank``). Exports join the members with
``customers`` so e-mail and ads tools get the opt-in flag and location.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from shopscope.errors import InvalidInputError, NotFoundError
from shopscope.retention.rfm import Bins, load_segment_rules, rfm_table

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = [
    "AUDIENCES_TABLE",
    "MEMBERS_TABLE",
    "Audience",
    "audience_members",
    "delete_audience",
    "export_audience",
    "list_audiences",
    "rfm_segment_members",
    "save_audience",
]

AUDIENCES_TABLE = "audiences"
MEMBERS_TABLE = "audience_members"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.\-]{0,63}$")

_AUDIENCES_SCHEMA = pa.schema(
    [
        ("name", pa.string()),
        ("description", pa.string()),
        ("source", pa.string()),
        ("definition", pa.string()),
        ("customers", pa.int64()),
        ("created_at", pa.timestamp("us")),
    ]
)
_MEMBERS_SCHEMA = pa.schema(
    [
        ("audience", pa.string()),
        ("customer_id", pa.string()),
        ("score", pa.float64()),
        ("rank", pa.int64()),
    ]
)


@dataclass(frozen=True)
class Audience:
    """A saved audience (without its members; see :func:`audience_members`)."""

    name: str
    description: str
    source: str
    definition: dict[str, Any]
    customers: int
    created_at: dt.datetime


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidInputError(
            f"Audience name {name!r} is not allowed: use 1-64 letters, digits, spaces, '_', "
            "'-' or '.', starting with a letter or digit (e.g. 'at-risk-2026-06')."
        )
    return name


def _ensure_tables(wh: Warehouse) -> None:
    for name, schema in ((AUDIENCES_TABLE, _AUDIENCES_SCHEMA), (MEMBERS_TABLE, _MEMBERS_SCHEMA)):
        if wh.has_table(name):
            continue
        if wh.backend_name == "duckdb":
            wh.ibis.create_table(name, schema=ibis.schema(schema))
        else:
            wh.write_arrow(name, schema.empty_table(), mode="overwrite")


def _members_arrow(members: pa.Table | ir.Table | Sequence[str]) -> pa.Table:
    if isinstance(members, ir.Table):
        members = members.to_pyarrow()
    if not isinstance(members, pa.Table):
        ids = list(members)
        if not all(isinstance(c, str) and c for c in ids):
            raise InvalidInputError("Customer ids must be non-empty strings.")
        members = pa.table({"customer_id": pa.array(ids, pa.string())})
    if "customer_id" not in members.column_names:
        raise InvalidInputError(
            f"The selection has no customer_id column; found {members.column_names}."
        )
    ids = members.column("customer_id").cast(pa.string())
    if ids.null_count:
        raise InvalidInputError(f"The selection has {ids.null_count} null customer_id(s).")
    score = (
        members.column("score").cast(pa.float64())
        if "score" in members.column_names
        else pa.nulls(members.num_rows, pa.float64())
    )
    out = pa.table({"customer_id": ids, "score": score})
    if pc.count_distinct(ids).as_py() != out.num_rows:
        raise InvalidInputError("The selection lists some customers twice; deduplicate it.")
    # rank: by score (highest first) when scored, else by customer id
    order = [("score", "descending"), ("customer_id", "ascending")]
    out = out.sort_by(order if score.null_count < out.num_rows else order[1:])
    return out.append_column("rank", pa.array(range(1, out.num_rows + 1), pa.int64()))


def _delete(wh: Warehouse, name: str) -> None:
    if wh.backend_name == "duckdb":
        con = wh.duckdb
        con.execute(f"DELETE FROM {MEMBERS_TABLE} WHERE audience = ?", [name])
        con.execute(f"DELETE FROM {AUDIENCES_TABLE} WHERE name = ?", [name])
        return
    for table, column in ((MEMBERS_TABLE, "audience"), (AUDIENCES_TABLE, "name")):
        t = wh.table(table)
        kept = t.filter(t[column] != name).to_pyarrow()
        wh.write_arrow(table, kept, mode="overwrite")


def save_audience(
    wh: Warehouse,
    name: str,
    members: pa.Table | ir.Table | Sequence[str],
    *,
    description: str = "",
    source: str = "custom",
    definition: Mapping[str, Any] | None = None,
    replace: bool = False,
) -> Audience:
    """Save ``members`` (ids, or a table with ``customer_id`` and optional ``score``) as ``name``.

    Raises
    ------
    InvalidInputError
        Bad name, empty or duplicated selection, or ``name`` exists and ``replace`` is false.
    """
    _check_name(name)
    rows = _members_arrow(members)
    if rows.num_rows == 0:
        raise InvalidInputError(
            f"Audience {name!r} would be empty: the selection matched no customer. Loosen it."
        )
    _ensure_tables(wh)
    exists = _find(wh, name) is not None
    if exists and not replace:
        raise InvalidInputError(
            f"Audience {name!r} exists; pass replace=True (CLI: --replace) or pick a new name."
        )
    audience = Audience(
        name=name,
        description=description,
        source=source,
        definition=dict(definition or {}),
        customers=rows.num_rows,
        created_at=dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0),
    )
    head = pa.Table.from_pylist(
        [
            {
                "name": name,
                "description": description,
                "source": source,
                "definition": json.dumps(audience.definition, sort_keys=True, default=str),
                "customers": rows.num_rows,
                "created_at": audience.created_at,
            }
        ],
        schema=_AUDIENCES_SCHEMA,
    )
    body = rows.add_column(0, "audience", pa.array([name] * rows.num_rows, pa.string()))
    if wh.backend_name == "duckdb":
        con = wh.duckdb
        con.execute("BEGIN TRANSACTION")
        try:
            _delete(wh, name)
            wh.write_arrow(MEMBERS_TABLE, body.select(_MEMBERS_SCHEMA.names))
            wh.write_arrow(AUDIENCES_TABLE, head)
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
    else:
        if exists:
            _delete(wh, name)
        wh.write_arrow(MEMBERS_TABLE, body.select(_MEMBERS_SCHEMA.names))
        wh.write_arrow(AUDIENCES_TABLE, head)
    return audience


def _to_audience(row: Mapping[str, Any]) -> Audience:
    return Audience(
        name=row["name"],
        description=row["description"] or "",
        source=row["source"] or "",
        definition=json.loads(row["definition"] or "{}"),
        customers=int(row["customers"]),
        created_at=row["created_at"],
    )


def _find(wh: Warehouse, name: str) -> Audience | None:
    if not wh.has_table(AUDIENCES_TABLE):
        return None
    t = wh.table(AUDIENCES_TABLE)
    rows = t.filter(t.name == name).to_pyarrow().to_pylist()
    return _to_audience(rows[0]) if rows else None


def list_audiences(wh: Warehouse) -> list[Audience]:
    """Every saved audience, by name (empty when none was ever saved)."""
    if not wh.has_table(AUDIENCES_TABLE):
        return []
    rows = wh.table(AUDIENCES_TABLE).order_by("name").to_pyarrow().to_pylist()
    return [_to_audience(r) for r in rows]


def _require(wh: Warehouse, name: str) -> Audience:
    found = _find(wh, name)
    if found is None:
        known = ", ".join(a.name for a in list_audiences(wh)) or "(none)"
        raise NotFoundError(f"No audience {name!r}. Saved audiences: {known}.")
    return found


def audience_members(wh: Warehouse, name: str) -> ir.Table:
    """Members of ``name`` with ``email_opt_in``, ``country``, ``city`` (an Ibis expression).

    Raises
    ------
    NotFoundError
        No such audience (the message lists the saved ones).
    """
    _require(wh, name)
    m = wh.table(MEMBERS_TABLE)
    m = m.filter(m.audience == name)
    c = wh.table("customers")
    j = m.left_join(c, m.customer_id == c.customer_id)
    return j.select(
        m.customer_id,
        m["rank"],
        m.score,
        email_opt_in=c.email_opt_in,
        country=c.country,
        city=c.city,
    ).order_by("rank")


def export_audience(
    wh: Warehouse,
    name: str,
    path: Path | None = None,
    *,
    opt_in_only: bool = False,
) -> pa.Table:
    """The members of ``name`` as a table; written as CSV to ``path`` when given.

    ``opt_in_only`` keeps customers who agreed to marketing e-mail (required before uploading
    to an e-mail tool in most jurisdictions).
    """
    expr = audience_members(wh, name)
    if opt_in_only:
        expr = expr.filter(expr.email_opt_in.fill_null(False))
    table = expr.to_pyarrow()
    if path is not None:
        _write_csv(table, path)
    return table


def _write_csv(table: pa.Table, path: Path) -> None:
    """Plain CSV as e-mail and ads tools import it: quotes only where needed, booleans as
    ``true``/``false``, nulls empty."""

    def cell(value: Any) -> Any:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        return value

    with Path(path).open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(table.column_names)
        for batch in table.to_batches(max_chunksize=50_000):
            for row in batch.to_pylist():
                writer.writerow([cell(v) for v in row.values()])


def delete_audience(wh: Warehouse, name: str) -> None:
    """Remove ``name`` and its members (``NotFoundError`` when absent)."""
    _require(wh, name)
    _delete(wh, name)


def rfm_segment_members(
    wh: Warehouse,
    segments: Sequence[str],
    *,
    as_of: dt.date | None = None,
    bins: Bins = 5,
) -> ir.Table:
    """Customers in any of ``segments`` (RFM, :func:`rfm_table`) with ``score`` = monetary.

    Raises
    ------
    InvalidInputError
        No segment given, or an unknown segment (the message lists the known ones).
    """
    names = [r.name for r in load_segment_rules(bins=bins)]
    unknown = [s for s in segments if s not in names]
    if not segments or unknown:
        raise InvalidInputError(
            f"Unknown or missing RFM segment(s) {unknown or '(none)'}; segments: "
            f"{', '.join(names)}."
        )
    t = rfm_table(wh, as_of=as_of, bins=bins)
    t = t.filter(t.segment.isin(list(segments)))
    return t.select("customer_id", score=t.monetary.cast("float64"))
