"""Rendering results for the terminal: table, JSON, CSV or HTML, data to stdout."""

from __future__ import annotations

import csv
import dataclasses
import html
import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.table import Table

__all__ = ["Format", "console", "emit", "to_jsonable"]

console = Console(stderr=True)


class Format(StrEnum):
    """Output formats every analysis command accepts."""

    table = "table"
    json = "json"
    csv = "csv"
    html = "html"


def to_jsonable(value: Any) -> Any:
    """Dataclasses, dates and containers as plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, float) and value != value:  # NaN
        return None
    if hasattr(value, "to_pylist") and hasattr(value, "column_names"):  # Arrow table
        return to_jsonable(value.to_pylist())
    if hasattr(value, "tolist") and hasattr(value, "dtype"):  # NumPy array or scalar
        return to_jsonable(value.tolist())
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, datetime | date):
        if isinstance(value, datetime):
            return value.isoformat(sep=" ", timespec="seconds")
        return value.isoformat()
    return str(value)


def emit(
    rows: Sequence[dict[str, Any]],
    fmt: Format,
    *,
    title: str | None = None,
    document: Any = None,
) -> None:
    """Write ``rows`` to stdout in ``fmt``. JSON writes ``document`` when given, else the rows."""
    out = sys.stdout
    if fmt is Format.json:
        json.dump(to_jsonable(document if document is not None else list(rows)), out, indent=2)
        out.write("\n")
        return
    columns = list(rows[0]) if rows else []
    if fmt is Format.csv:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row[c] is None else to_jsonable(row[c]) for c in columns])
        return
    if fmt is Format.html:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(_cell(r[c]))}</td>" for c in columns) + "</tr>"
            for r in rows
        )
        caption = f"<caption>{html.escape(title)}</caption>" if title else ""
        out.write(f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>\n")
        return
    table = Table(title=title, title_justify="left")
    for c in columns:
        table.add_column(c, overflow="fold")
    for r in rows:
        table.add_row(*(_cell(r[c]) for c in columns))
    Console().print(table)
