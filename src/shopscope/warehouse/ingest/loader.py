"""Loading validated rows into a canonical table: keys, references and conflicts.

Runs inside the caller's transaction. Every row a table plan produces ends in exactly one of:
inserted, updated (dimensions only), unchanged (already present, identical), or the batch's
quarantine list ``_q`` (with a reason code and message).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from shopscope.warehouse.ingest.reader import quote_ident
from shopscope.warehouse.ingest.validate import sql_literal
from shopscope.warehouse.schema import TABLES, ForeignKey, Table

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "QUARANTINE_LIST",
    "TableCounts",
    "create_quarantine_list",
    "load_table",
    "scalar",
]

QUARANTINE_LIST = "_q"

# Columns a placeholder row gets besides its key, keyed by (referenced table, referencing table).
_PLACEHOLDER_COLUMNS: dict[tuple[str, str], dict[str, str]] = {
    ("customers", "orders"): {"first_seen_at": "min(c.ordered_at)"},
    ("customers", "tickets"): {"first_seen_at": "min(c.created_at)"},
    ("customers", "events"): {"first_seen_at": "min(c.occurred_at)"},
    ("products", "order_items"): {"item_kind": "'product'"},
    ("products", "inventory"): {"item_kind": "'product'"},
}


@dataclass(frozen=True)
class TableCounts:
    """What happened to one table's rows in one batch."""

    table: str
    read: int
    loaded: int
    updated: int
    unchanged: int
    quarantined: int
    placeholders: int = 0


def create_quarantine_list(con: duckdb.DuckDBPyConnection) -> None:
    """The batch's quarantine entries, before raw records are attached."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {QUARANTINE_LIST} (table_name VARCHAR, _line BIGINT, "
        "reason_code VARCHAR, reason VARCHAR)"
    )


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    """The first column of the first row as an int (0 when empty or null)."""
    row = con.execute(sql).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _quarantine(con: duckdb.DuckDBPyConnection, table: str, select: str) -> int:
    """Add ``select``'s rows (``_line, reason_code, reason``) to the list; returns the count."""
    before = scalar(con, f"SELECT count(*) FROM {QUARANTINE_LIST}")
    con.execute(f"INSERT INTO {QUARANTINE_LIST} SELECT {sql_literal(table)}, * FROM ({select})")
    return scalar(con, f"SELECT count(*) FROM {QUARANTINE_LIST}") - before


def load_table(
    con: duckdb.DuckDBPyConnection, table: Table, typed_sql: str, *, derived: bool
) -> TableCounts:
    """Validate, de-duplicate, check references and insert one table plan's rows.

    ``typed_sql`` is :func:`~shopscope.warehouse.ingest.validate.typed_select` output.
    """
    name = table.name
    work = f"_in_{name}"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {work} AS {typed_sql}")
    read = scalar(con, f"SELECT count(*) FROM {work}")
    quarantined = _quarantine(
        con, name, f"SELECT _line, _code, _reason FROM {work} WHERE _code IS NOT NULL"
    )
    con.execute(f"DELETE FROM {work} WHERE _code IS NOT NULL")
    for fk in table.foreign_keys:
        if fk.enforced:
            quarantined += _check_reference(con, table, work, fk)
    if not derived:
        quarantined += _dedupe_batch(con, table, work)
    loaded, updated, unchanged, conflicts = _merge(con, table, work, derived=derived)
    quarantined += conflicts
    placeholders = sum(
        _placeholders(con, table, work, fk) for fk in table.foreign_keys if not fk.enforced
    )
    return TableCounts(name, read, loaded, updated, unchanged, quarantined, placeholders)


def _key_match(table: Table, left: str, right: str) -> str:
    return " AND ".join(
        f"{left}.{quote_ident(k)} = {right}.{quote_ident(k)}" for k in table.primary_key
    )


def _key_text(table: Table, alias: str) -> str:
    parts = [f"CAST({alias}.{quote_ident(k)} AS VARCHAR)" for k in table.primary_key]
    return parts[0] if len(parts) == 1 else "concat_ws('/', " + ", ".join(parts) + ")"


def _check_reference(
    con: duckdb.DuckDBPyConnection, table: Table, work: str, fk: ForeignKey
) -> int:
    col, ref = quote_ident(fk.column), quote_ident(fk.ref_column)
    # An explicit ANTI JOIN: inside the load transaction DuckDB plans NOT EXISTS as a much
    # slower mark join.
    orphans = (
        f"SELECT w._line, w.{col} AS missing_key FROM {work} w "
        f"ANTI JOIN {fk.table} r ON r.{ref} = w.{col} WHERE w.{col} IS NOT NULL"
    )
    reason = (
        f"'{fk.column}: ''' || o.missing_key || ''' does not exist in {fk.table}; load it "
        f"first (if it is in this file, its own row was quarantined: see the {fk.table} entries)'"
    )
    count = _quarantine(
        con, table.name, f"SELECT o._line, 'unknown_reference', {reason} FROM ({orphans}) o"
    )
    if count:
        con.execute(
            f"DELETE FROM {work} WHERE _line IN (SELECT _line FROM {QUARANTINE_LIST} "
            f"WHERE table_name = {sql_literal(table.name)} AND reason_code = 'unknown_reference')"
        )
    return count


def _content_columns(table: Table) -> list[str]:
    return [c for c in table.column_names if c not in table.primary_key] or table.column_names


def _dedupe_batch(con: duckdb.DuckDBPyConnection, table: Table, work: str) -> int:
    """Quarantine repeated keys: identical repeats as duplicates, others as conflicts."""
    keys = ", ".join(quote_ident(k) for k in table.primary_key)
    # Cheap test first: most batches repeat no key. Counting distinct 64-bit hashes is faster
    # than grouping the key columns; a collision only sends us to the exact check below.
    if not scalar(con, f"SELECT count(*) - count(DISTINCT hash({keys})) FROM {work}"):
        return 0
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _dupkeys AS SELECT {keys} FROM {work} "
        f"GROUP BY {keys} HAVING count(*) > 1"
    )
    if not scalar(con, "SELECT count(*) FROM _dupkeys"):
        return 0
    content = "hash(" + ", ".join(f"w.{quote_ident(c)}" for c in _content_columns(table)) + ")"
    wkeys = ", ".join(f"w.{quote_ident(k)}" for k in table.primary_key)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _dups AS SELECT {wkeys}, count(*) AS n, "
        f"count(DISTINCT {content}) AS versions, min(w._line) AS first_line, "
        f"string_agg(CAST(w._line AS VARCHAR), ', ' ORDER BY w._line) AS lines "
        f"FROM {work} w SEMI JOIN _dupkeys d ON {_key_match(table, 'w', 'd')} GROUP BY {wkeys} "
        "HAVING count(*) > 1"
    )
    key_text = _key_text(table, "w")
    count = _quarantine(
        con,
        table.name,
        f"SELECT w._line, CASE WHEN d.versions > 1 THEN 'key_conflict' ELSE 'duplicate_row' END, "
        f"CASE WHEN d.versions > 1 THEN '{table.name} key ' || {key_text} || ' appears on lines ' "
        f"|| d.lines || ' with different content; keep one version in the source and re-ingest' "
        f"ELSE 'identical to line ' || d.first_line || ', which was loaded once' END "
        f"FROM {work} w JOIN _dups d ON {_key_match(table, 'w', 'd')} "
        f"WHERE d.versions > 1 OR w._line <> d.first_line",
    )
    con.execute(
        f"DELETE FROM {work} w USING _dups d WHERE {_key_match(table, 'w', 'd')} "
        f"AND (d.versions > 1 OR w._line <> d.first_line)"
    )
    return count


def _merge(
    con: duckdb.DuckDBPyConnection, table: Table, work: str, *, derived: bool
) -> tuple[int, int, int, int]:
    """Insert new keys; compare existing ones. Returns (loaded, updated, unchanged, conflicts)."""
    name = table.name
    cols = ", ".join(quote_ident(c) for c in table.column_names)
    if not scalar(con, f"SELECT count(*) FROM (SELECT 1 FROM {name} LIMIT 1)"):
        loaded = scalar(con, f"SELECT count(*) FROM {work}")
        con.execute(_insert_sql(name, cols, work))
        return loaded, 0, 0, 0
    same = " AND ".join(
        f"w.{quote_ident(c)} IS NOT DISTINCT FROM t.{quote_ident(c)}" for c in table.column_names
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _existing AS SELECT w.*, ({same}) AS _same "
        f"FROM {work} w JOIN {name} t ON {_key_match(table, 'w', 't')}"
    )
    unchanged = scalar(con, "SELECT count(*) FROM _existing WHERE _same")
    changed = scalar(con, "SELECT count(*) FROM _existing WHERE NOT _same")
    updated = conflicts = 0
    if changed and derived:
        unchanged += changed  # summaries of earlier batches win; the new rows are consistent
    elif changed and table.kind == "dimension":
        sets = ", ".join(
            f"{quote_ident(c)} = COALESCE(e.{quote_ident(c)}, t.{quote_ident(c)})"
            for c in _content_columns(table)
        )
        con.execute(
            f"UPDATE {name} t SET {sets} FROM _existing e WHERE NOT e._same AND "
            f"{_key_match(table, 't', 'e')}"
        )
        updated = changed
    elif changed:
        conflicts = _quarantine(
            con,
            name,
            f"SELECT _line, 'conflicts_with_existing', '{name} key ' || {_key_text(table, 'e')} || "
            f"' is already in the warehouse with different content; facts are not overwritten' "
            f"FROM _existing e WHERE NOT _same",
        )
    con.execute(f"DELETE FROM {work} w USING _existing e WHERE {_key_match(table, 'w', 'e')}")
    loaded = scalar(con, f"SELECT count(*) FROM {work}")
    con.execute(_insert_sql(name, cols, work))
    return loaded, updated, unchanged, conflicts


def _insert_sql(name: str, cols: str, work: str) -> str:
    """Append ``work`` to ``name`` in source-line order.

    The order keeps a table's rows in file order (zone maps stay useful for date filters), and
    DuckDB writes an ordered stream faster than the parallel scan of a work table: 3.7 s
    instead of 5.0 s for 4.6M orders, 3.6 s instead of 4.8 s for 10M order lines.
    """
    return f"INSERT INTO {name} ({cols}) SELECT {cols} FROM {work} ORDER BY _line"


def _placeholders(con: duckdb.DuckDBPyConnection, table: Table, work: str, fk: ForeignKey) -> int:
    """Create placeholder rows for soft references to keys the referenced table lacks."""
    extra = _PLACEHOLDER_COLUMNS.get((fk.table, table.name), {})
    ref = TABLES[fk.table]
    cols = [quote_ident(fk.ref_column), *(quote_ident(c) for c in extra)]
    exprs = [f"c.{quote_ident(fk.column)}", *extra.values()]
    key = quote_ident(fk.ref_column)
    grouped = (
        f"SELECT {', '.join(f'{e} AS {c}' for e, c in zip(exprs, cols, strict=True))} "
        f"FROM {work} c "
        f"WHERE c.{quote_ident(fk.column)} IS NOT NULL GROUP BY c.{quote_ident(fk.column)}"
    )
    before = scalar(con, f"SELECT count(*) FROM {ref.name}")
    con.execute(
        f"INSERT INTO {ref.name} ({', '.join(cols)}) SELECT * FROM ({grouped}) g "
        f"ANTI JOIN {ref.name} r ON r.{key} = g.{key}"
    )
    return scalar(con, f"SELECT count(*) FROM {ref.name}") - before
