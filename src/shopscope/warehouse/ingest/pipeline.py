"""The ingest pipeline: stage, apply the adapter's plan, validate, load, all or nothing.

One file is one batch and one transaction. A file already ingested (same SHA-256) is skipped; a
different file whose rows are already present loads only what is new, because every table is
merged on its natural key. Any exception rolls the warehouse back to where it was.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

from shopscope.errors import FileFormatError, IngestError, ShopscopeError
from shopscope.warehouse.ingest import loader
from shopscope.warehouse.ingest.fingerprint import Fingerprint, fingerprint
from shopscope.warehouse.ingest.loader import QUARANTINE_LIST, TableCounts, scalar
from shopscope.warehouse.ingest.reader import ReadOptions, StagedFile, quote_ident, stage_file
from shopscope.warehouse.ingest.validate import sql_literal, typed_select
from shopscope.warehouse.schema import TABLES

if TYPE_CHECKING:
    import duckdb

    from shopscope.warehouse.connection import Warehouse
    from shopscope.warehouse.sources.base import SourceAdapter, SourcePlan

__all__ = ["IngestReport", "ingest_file", "ingest_path"]

log = logging.getLogger(__name__)
_STAGED = "_stg"
_SUPPORTED = (
    ".csv",
    ".csv.gz",
    ".tsv",
    ".txt",
    ".txt.gz",
    ".parquet",
    ".jsonl",
    ".ndjson",
    ".json",
    ".jsonl.gz",
    ".ndjson.gz",
)


@dataclass(frozen=True)
class IngestReport:
    """The outcome of ingesting one file."""

    batch_id: int
    path: str
    source: str
    status: str
    records: int
    loaded: int
    unchanged: int
    quarantined: int
    tables: tuple[TableCounts, ...] = ()
    reasons: dict[str, int] = field(default_factory=dict)
    encoding: str = ""
    file_hash: str = ""
    seconds: float = 0.0
    notes: tuple[str, ...] = ()
    skipped: int = 0
    """Lines that are not records (e.g. a header), per the adapter's ``SourcePlan.skip``."""


def ingest_path(
    wh: Warehouse,
    path: Path,
    adapter: SourceAdapter | Callable[[list[str], Path], SourceAdapter],
    *,
    force: bool = False,
    progress: Callable[[int, int, Path], None] | None = None,
) -> list[IngestReport]:
    """Ingest a file, or every supported file in a directory (sorted by name), one batch each."""
    files = _expand(path)
    reports = []
    for i, file in enumerate(files):
        if progress is not None:
            progress(i, len(files), file)
        reports.append(ingest_file(wh, file, adapter, force=force))
    if progress is not None and files:
        progress(len(files), len(files), files[-1])
    return reports


def _expand(path: Path) -> list[Path]:
    if not path.exists():
        raise FileFormatError(f"{path}: no such file or directory. Check the path.")
    if path.is_file():
        return [path]
    files = sorted(
        (p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(_SUPPORTED)),
        key=_load_rank,
    )
    if not files:
        raise FileFormatError(f"{path} holds no supported files ({', '.join(_SUPPORTED)}).")
    return files


_RANK = (("customer", 0), ("product", 1), ("item", 3), ("line", 3), ("order", 2))


def _load_rank(path: Path) -> tuple[int, str]:
    """Referenced tables first: customers, products, orders, then order lines, then the rest."""
    name = path.name.lower()
    return next((rank for word, rank in _RANK if word in name), 4), str(path)


def ingest_file(
    wh: Warehouse,
    path: Path,
    adapter: SourceAdapter | Callable[[list[str], Path], SourceAdapter],
    *,
    force: bool = False,
) -> IngestReport:
    """Ingest one file in one transaction.

    ``adapter`` is a source adapter, or a function choosing one from the file's columns.
    """
    started = time.perf_counter()
    started_at = datetime.now(UTC).replace(tzinfo=None)
    con = wh.duckdb
    with ThreadPoolExecutor(max_workers=1) as pool:
        fp_future = pool.submit(fingerprint, path)
        read_options = getattr(adapter, "read_options", None)
        staged = stage_file(con, path, _STAGED, read_options)
        fp = fp_future.result()
    if not fp.complete:
        raise FileFormatError(f"{path}: {fp.problem}. Nothing was loaded; re-export the file.")
    chosen = _choose(adapter, staged.columns, path)
    if chosen.read_options != (read_options or ReadOptions()):  # detected adapter reads otherwise
        staged = stage_file(con, path, _STAGED, chosen.read_options)
    _check_columns(chosen, staged)
    plan = chosen.plan(staged.columns)
    skipped = _skip(con, staged, plan)
    records = staged.records - skipped
    previous = _previous_batch(con, fp)
    if previous is not None and not force:
        log.info("%s was already ingested as batch %s; skipped", path, previous)
        return IngestReport(
            previous,
            str(path),
            chosen.name,
            "skipped",
            records,
            0,
            records,
            0,
            encoding=staged.encoding,
            file_hash=fp.sha256,
            seconds=time.perf_counter() - started,
            notes=(f"already ingested as batch {previous}",),
            skipped=skipped,
        )
    con.execute("BEGIN TRANSACTION")
    try:
        report = _load(con, staged, chosen.name, plan, fp, started_at, started, skipped)
        con.execute("COMMIT")
    except ShopscopeError:
        con.execute("ROLLBACK")
        raise
    except Exception as exc:
        con.execute("ROLLBACK")
        raise IngestError(
            f"Ingest of {path} failed and was rolled back; the warehouse is unchanged. Cause: {exc}"
        ) from exc
    return report


def _choose(
    adapter: SourceAdapter | Callable[[list[str], Path], SourceAdapter],
    columns: list[str],
    path: Path,
) -> SourceAdapter:
    """The adapter itself, or the one a chooser picks from the file's columns."""
    if hasattr(adapter, "plan"):
        return cast("SourceAdapter", adapter)
    assert callable(adapter)
    return adapter(columns, path)


def _check_columns(adapter: SourceAdapter, staged: StagedFile) -> None:
    from shopscope.errors import MissingColumnsError

    required = adapter.required_columns()
    missing = [c for c in required if c not in staged.columns]
    if missing:
        raise MissingColumnsError(
            f"{staged.path}: column(s) {', '.join(repr(c) for c in missing)} not found for source "
            f"{adapter.name!r}. Expected: {', '.join(required)}. Found: "
            f"{', '.join(staged.columns) or '(none)'}. Use another --source (see `shopscope "
            "ingest --help`) or map the columns with --mapping FILE.toml.",
            expected=required,
            found=list(staged.columns),
        )


def _skip(con: duckdb.DuckDBPyConnection, staged: StagedFile, plan: SourcePlan) -> int:
    """Drop the staged lines the plan marks as non-records; returns how many."""
    if not plan.skip:
        return 0
    skipped = scalar(con, f"SELECT count(*) FROM {staged.relation} WHERE {plan.skip}")
    if skipped:
        con.execute(f"DELETE FROM {staged.relation} WHERE {plan.skip}")
    return skipped


def _previous_batch(con: duckdb.DuckDBPyConnection, fp: Fingerprint) -> int | None:
    # literals, not parameters: the first prepared statement of a process costs ~0.25 s here
    row = con.execute(
        "SELECT max(batch_id) FROM ingest_log WHERE file_hash = "
        f"{sql_literal(fp.sha256)} AND status = 'loaded'"
    ).fetchone()
    return int(row[0]) if row and row[0] is not None else None


def _load(
    con: duckdb.DuckDBPyConnection,
    staged: StagedFile,
    source: str,
    plan: SourcePlan,
    fp: Fingerprint,
    started_at: datetime,
    started: float,
    skipped: int = 0,
) -> IngestReport:
    row = con.execute("SELECT coalesce(max(batch_id), 0) + 1 FROM ingest_log").fetchone()
    batch = int(row[0]) if row else 1
    loader.create_quarantine_list(con)
    if staged.rejects:
        con.executemany(
            f"INSERT INTO {QUARANTINE_LIST} VALUES (?, ?, 'unparseable_record', ?)",
            [
                [
                    plan.line_table,
                    r.line,
                    f"the record cannot be split into the file's columns: {r.reason}",
                ]
                for r in staged.rejects
            ],
        )
    src = staged.relation
    if plan.rules:
        con.execute(
            f"INSERT INTO {QUARANTINE_LIST} SELECT {sql_literal(plan.line_table)}, * FROM "
            f"({plan.rules.format(stg=staged.relation)})"
        )
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW _src AS SELECT * FROM {staged.relation} s WHERE NOT "
            f"EXISTS (SELECT 1 FROM {QUARANTINE_LIST} q WHERE q._line = s._line)"
        )
        src = "_src"
    counts = []
    for tp in plan.tables:
        table = TABLES[tp.table]
        select = tp.select.format(src=src)
        con.execute(f"CREATE OR REPLACE TEMP VIEW _plan AS {select}")
        present = {
            str(r[0]): str(r[1])
            for r in con.execute("DESCRIBE _plan").fetchall()
            if r[0] in table.column_index
        }
        typed = typed_select(
            table, "_plan", present, timezone=plan.timezone, timestamp_format=plan.timestamp_format
        )
        counts.append(loader.load_table(con, table, typed, derived=tp.derived))
    _write_quarantine(con, staged, batch, started_at)
    line = next(c for c in counts if c.table == plan.line_table)
    quarantined = scalar(
        con,
        f"SELECT count(DISTINCT _line) FROM {QUARANTINE_LIST} WHERE table_name = "
        f"{sql_literal(plan.line_table)}",
    )
    loaded, unchanged = line.loaded + line.updated, line.unchanged
    records = staged.records - skipped
    if loaded + unchanged + quarantined != records:
        raise IngestError(
            f"Accounting check failed for {staged.path}: read {records}, loaded {loaded}, "
            f"unchanged {unchanged}, quarantined {quarantined}. This is a bug; nothing was loaded."
        )
    reasons = dict(
        con.execute(
            f"SELECT reason_code, count(*) FROM {QUARANTINE_LIST} GROUP BY 1 ORDER BY 2 DESC"
        ).fetchall()
    )
    table_counts = {c.table: {k: v for k, v in c.__dict__.items() if k != "table"} for c in counts}
    finished_at = datetime.now(UTC).replace(tzinfo=None)
    values = [
        str(batch),
        sql_literal(source),
        sql_literal(str(staged.path)),
        sql_literal(fp.sha256),
        str(records),
        str(loaded),
        str(unchanged),
        str(quarantined),
        sql_literal(json.dumps(table_counts)),
        "'loaded'",
        f"TIMESTAMP '{started_at.isoformat()}'",
        f"TIMESTAMP '{finished_at.isoformat()}'",
    ]
    con.execute(f"INSERT INTO ingest_log VALUES ({', '.join(values)})")
    return IngestReport(
        batch,
        str(staged.path),
        source,
        "loaded",
        records,
        loaded,
        unchanged,
        quarantined,
        tuple(counts),
        reasons,
        staged.encoding,
        fp.sha256,
        time.perf_counter() - started,
        plan.notes,
        skipped,
    )


def _write_quarantine(
    con: duckdb.DuckDBPyConnection, staged: StagedFile, batch: int, at: datetime
) -> None:
    """Attach raw records to the batch's quarantine list and store it."""
    fields = ", ".join(f"{sql_literal(c)}, s.{quote_ident(c)}" for c in staged.columns)
    raw_row = f"CAST(json_object({fields}) AS VARCHAR)" if fields else "''"
    rejects = {r.line: r.raw for r in staged.rejects}
    con.execute("CREATE OR REPLACE TEMP TABLE _rej (_line BIGINT, raw VARCHAR)")
    if rejects:
        con.executemany("INSERT INTO _rej VALUES (?, ?)", list(rejects.items()))
    con.execute(
        f"INSERT INTO quarantine SELECT {batch}, {sql_literal(str(staged.path))}, q.table_name, "
        f"q._line, coalesce(r.raw, {raw_row}, ''), q.reason_code, q.reason, "
        f"TIMESTAMP '{at.isoformat()}' FROM {QUARANTINE_LIST} q "
        f"LEFT JOIN {staged.relation} s ON s._line = q._line LEFT JOIN _rej r ON r._line = q._line"
    )
