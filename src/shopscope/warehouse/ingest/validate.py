"""Row validation against the canonical schema, in SQL.

For one table plan, :func:`typed_select` builds a query that casts every canonical column to its
type and computes ``_code``/``_reason``: null when the row is valid, otherwise the first failed
rule (required value missing, unreadable value, value not allowed, out of range) with the column,
the offending text and what is allowed.
"""

from __future__ import annotations

from shopscope.warehouse.ingest.reader import quote_ident
from shopscope.warehouse.schema import Column, Table

__all__ = ["sql_literal", "typed_select"]


def sql_literal(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def _text(name: str) -> str:
    return f"NULLIF(trim(CAST(s.{quote_ident(name)} AS VARCHAR)), '')"


def _cast(col: Column, text: str, timezone: str, ts_format: str | None) -> str:
    kind = col.type
    if kind == "string":
        return text
    if kind == "timestamp":
        if ts_format:
            naive = f"try_strptime({text}, {sql_literal(ts_format)})"
            return f"CAST(timezone('UTC', timezone({sql_literal(timezone)}, {naive})) AS TIMESTAMP)"
        # A zone in the text ("Z", "+02:00", "-0500", " UTC", " Europe/Berlin") wins; naive
        # text is in the source's zone. TRY_CAST to TIMESTAMP would silently drop an offset,
        # and TIMESTAMPTZ parsing is ~6x slower, so naive text takes the fast cast.
        tail = f"substr({text}, 11)"
        naive_text = (
            f"NOT (contains({tail}, '+') OR contains({tail}, '-') "
            f"OR regexp_matches({tail}, '[A-SU-Za-su-z]'))"
        )
        # DuckDB reads "10:00:00-0500" but not "10:00:00 -0500" (Shopify's form)
        joined = f"regexp_replace({text}, ' ([+-][0-9][0-9]:?[0-9][0-9])$', '\\1')"
        zoned = f"CAST(TRY_CAST({joined} AS TIMESTAMPTZ) AS TIMESTAMP)"
        naive = f"TRY_CAST({text} AS TIMESTAMP)"
        if timezone != "UTC":
            naive = (
                f"CAST(timezone('UTC', timezone({sql_literal(timezone)}, {naive})) AS TIMESTAMP)"
            )
        return f"CASE WHEN {naive_text} THEN {naive} ELSE {zoned} END"
    if kind == "int":
        # accept "3.0" (exports that went through a float) but not "3.5"
        as_float = f"TRY_CAST({text} AS DOUBLE)"
        return (
            f"COALESCE(TRY_CAST({text} AS BIGINT), CASE WHEN {as_float} = round({as_float}) "
            f"THEN TRY_CAST({as_float} AS BIGINT) END)"
        )
    if kind == "float":  # money and measures: "inf" and "nan" are not values
        as_float = f"TRY_CAST({text} AS DOUBLE)"
        return f"CASE WHEN isfinite({as_float}) THEN {as_float} END"
    if kind == "json":
        return f"CASE WHEN json_valid({text}) THEN {text} END"
    return f"TRY_CAST({text} AS {col.sql_type})"


def _checks(
    col: Column, text: str, value: str, *, parsed: bool = True
) -> list[tuple[str, str, str]]:
    """(condition, code, reason expression) triples, in the order they are reported."""
    name = col.name
    shown = f"left(CAST({text} AS VARCHAR), 80)"
    checks: list[tuple[str, str, str]] = []
    if not col.nullable:
        checks.append(
            (
                f"{text} IS NULL",
                "missing_value",
                sql_literal(f"{name}: a value is required but the field is empty"),
            )
        )
    if parsed:
        checks.append(
            (
                f"{text} IS NOT NULL AND {value} IS NULL",
                "bad_value",
                f"'{name}: cannot read ''' || {shown} || ''' as {col.type}"
                + (
                    " (expected ISO 8601 like 2024-05-31 14:05:00, or set a timestamp format)"
                    if col.type == "timestamp"
                    else ""
                )
                + "'",
            )
        )
    if col.allowed is not None:
        allowed = ", ".join(sql_literal(a) for a in col.allowed)
        checks.append(
            (
                f"{value} IS NOT NULL AND {value} NOT IN ({allowed})",
                "not_allowed",
                f"'{name}: ''' || {shown} || ''' is not allowed; "
                f"allowed: {', '.join(col.allowed)}'",
            )
        )
    if col.minimum is not None:
        checks.append(
            (
                f"{value} < {col.minimum!r}",
                "out_of_range",
                f"'{name}: ' || CAST({value} AS VARCHAR) || "
                f"' is below the minimum {col.minimum:g}'",
            )
        )
    if col.maximum is not None:
        checks.append(
            (
                f"{value} > {col.maximum!r}",
                "out_of_range",
                f"'{name}: ' || CAST({value} AS VARCHAR) || "
                f"' is above the maximum {col.maximum:g}'",
            )
        )
    return checks


def typed_select(
    table: Table,
    source: str,
    present: dict[str, str],
    *,
    timezone: str = "UTC",
    timestamp_format: str | None = None,
) -> str:
    """SQL selecting typed canonical columns, ``_line``, ``_code`` and ``_reason`` from ``source``.

    ``present`` maps the canonical columns ``source`` provides to their DuckDB types; the
    others are null. Columns that already have the target type are only checked, not re-parsed.
    """
    casts: dict[str, str] = {}
    checks: list[tuple[str, str, str]] = []
    for col in table.columns:
        if col.name in present and present[col.name].upper() == col.sql_type:
            value = f"s.{quote_ident(col.name)}"  # already typed by the adapter: check only
            casts[col.name] = value
            checks += _checks(col, value, value, parsed=False)
        elif col.name in present:
            text = _text(col.name)
            casts[col.name] = _cast(col, text, timezone, timestamp_format)
            checks += _checks(col, text, casts[col.name])
        else:
            casts[col.name] = f"CAST(NULL AS {col.sql_type})"
            if not col.nullable:
                checks.append(
                    (
                        "TRUE",
                        "missing_value",
                        sql_literal(f"{col.name}: required but not provided by the source"),
                    )
                )
    code = "CASE " + " ".join(f"WHEN {c} THEN {sql_literal(k)}" for c, k, _ in checks) + " END"
    reason = "CASE " + " ".join(f"WHEN {c} THEN {r}" for c, _, r in checks) + " END"
    if not checks:
        code = reason = "CAST(NULL AS VARCHAR)"
    cols = ", ".join(f"{expr} AS {quote_ident(name)}" for name, expr in casts.items())
    return f"SELECT {cols}, s._line AS _line, {code} AS _code, {reason} AS _reason FROM {source} s"
