"""Reading one input file into a DuckDB staging table, every record accounted for.

A staged file is a temporary table whose columns are the file's own columns as text, plus
``_line``: the record's line in the file (header = line 1; for Parquet, the row's ordinal + 1).
Records the CSV parser cannot split (too many or too few fields, bad quoting) are not lost: they
come back as :class:`Reject` items with their line and raw text, for the quarantine.
"""

from __future__ import annotations

import codecs
import gzip
import logging
import os
import re
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from shopscope.errors import FileFormatError

if TYPE_CHECKING:
    import duckdb

__all__ = ["ReadOptions", "Reject", "StagedFile", "detect_format", "quote_ident", "stage_file"]

log = logging.getLogger(__name__)

FileKind = Literal["csv", "parquet", "jsonl", "lines"]
_GZIP_MAGIC = b"\x1f\x8b"
_PARQUET_MAGIC = b"PAR1"
_SNIFF_BYTES = 1 << 20
_UNICODE_ERROR = re.compile(r"unicode|utf-?8|invalid byte|encoding", re.IGNORECASE)


@dataclass(frozen=True)
class ReadOptions:
    """How to read a file.

    Attributes
    ----------
    kind:
        ``None`` detects from name and content; ``"lines"`` reads each line as one text column
        ``line`` (for whitespace-separated logs such as CDNOW).
    delimiter, header:
        CSV dialect; ``None`` lets DuckDB's sniffer decide.
    encoding:
        ``None`` = UTF-8 with a fallback to Windows-1252 when the file is not valid UTF-8.
    """

    kind: FileKind | None = None
    delimiter: str | None = None
    header: bool | None = None
    encoding: str | None = None


@dataclass(frozen=True)
class Reject:
    """A record the parser could not split into the file's columns."""

    line: int
    raw: str
    reason: str


@dataclass(frozen=True)
class StagedFile:
    """A file staged into DuckDB: temp table ``relation`` with text columns and ``_line``."""

    relation: str
    path: Path
    kind: FileKind
    encoding: str
    columns: list[str]
    rows: int
    rejects: list[Reject] = field(default_factory=list)

    @property
    def records(self) -> int:
        """Records read: staged rows plus rejected records."""
        return self.rows + len(self.rejects)


def quote_ident(name: str) -> str:
    """Quote an SQL identifier for DuckDB."""
    return '"' + name.replace('"', '""') + '"'


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _head(path: Path, size: int = 65536) -> bytes:
    with path.open("rb") as fh:
        start = fh.read(size)
    if start[:2] == _GZIP_MAGIC:
        try:
            return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(start, size)
        except zlib.error as exc:
            raise FileFormatError(
                f"{path}: not a readable gzip file ({exc}). Re-export or re-download it."
            ) from exc
    return start


def detect_format(path: Path) -> FileKind:
    """Decide how to read ``path`` from its name and first bytes.

    Raises
    ------
    FileFormatError
        Missing, empty, binary, or of an unsupported type.
    """
    if not path.exists():
        raise FileFormatError(f"{path}: no such file. Check the path.")
    if path.is_dir():
        raise FileFormatError(f"{path} is a directory; pass a file (ingest expands directories).")
    if path.stat().st_size == 0:
        raise FileFormatError(f"{path} is empty (0 bytes). Export the data again.")
    head = _head(path)
    if head.startswith(_PARQUET_MAGIC):
        return "parquet"
    if not head.strip():
        raise FileFormatError(f"{path} is empty (no data after decompression).")
    if b"\x00" in head:
        raise FileFormatError(
            f"{path} is not a text file (it contains NUL bytes). Supported: CSV, CSV.gz, "
            "Parquet and JSON Lines. If it is UTF-16, re-save it as UTF-8."
        )
    name = path.name.lower().removesuffix(".gz")
    if name.endswith((".jsonl", ".ndjson", ".json")) or head.lstrip()[:1] == b"{":
        return "jsonl"
    return "csv"


def stage_file(
    con: duckdb.DuckDBPyConnection, path: Path, relation: str, options: ReadOptions | None = None
) -> StagedFile:
    """Stage ``path`` into the temporary table ``relation``.

    The file is read once by DuckDB (in parallel where the format allows). A file that is not
    valid UTF-8 is transcoded from Windows-1252 (a superset of Latin-1 for text) unless an
    encoding was given.
    """
    options = options or ReadOptions()
    kind = options.kind or detect_format(path)
    if kind == "parquet":
        return _stage_parquet(con, path, relation)
    encoding = (options.encoding or "utf-8").lower()
    source = path
    if encoding not in ("utf-8", "utf8"):
        source = _transcode(path, encoding)
    try:
        staged = _stage_text(con, path, source, relation, kind, options, encoding)
    except FileFormatError as exc:
        if options.encoding is None and exc.args and _UNICODE_ERROR.search(str(exc.args[0])):
            return _stage_cp1252(con, path, relation, kind, options)
        raise
    if options.encoding is None and any("INVALID ENCODING" in r.reason for r in staged.rejects):
        return _stage_cp1252(con, path, relation, kind, options)
    return staged


def _stage_cp1252(
    con: duckdb.DuckDBPyConnection, path: Path, relation: str, kind: FileKind, options: ReadOptions
) -> StagedFile:
    log.info("%s is not valid UTF-8; reading it as Windows-1252", path)
    transcoded = _transcode(path, "cp1252")
    try:
        return _stage_text(con, path, transcoded, relation, kind, options, "cp1252")
    finally:
        transcoded.unlink(missing_ok=True)


def _transcode(path: Path, encoding: str) -> Path:
    """Copy ``path`` to a temporary UTF-8 file, decoding it as ``encoding`` (streamed)."""
    try:
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    except LookupError as exc:
        raise FileFormatError(
            f"Unknown encoding {encoding!r}. Use e.g. utf-8, cp1252, latin-1."
        ) from exc
    out = Path(tempfile.mkstemp(prefix="shopscope-", suffix=".utf8.csv")[1])
    with path.open("rb") as probe:
        is_gzip = probe.read(2) == _GZIP_MAGIC
    try:
        with (
            gzip.open(path, "rb") if is_gzip else path.open("rb") as src,
            out.open("w", encoding="utf-8", newline="") as dst,
        ):
            while chunk := src.read(1 << 22):
                dst.write(decoder.decode(chunk))
            dst.write(decoder.decode(b"", final=True))
    except UnicodeDecodeError as exc:
        if encoding == "cp1252":  # bytes cp1252 leaves undefined (0x81, 0x8D, ...) are Latin-1
            out.unlink(missing_ok=True)
            return _transcode(path, "latin-1")
        raise FileFormatError(f"{path} is not valid {encoding}: {exc}. Pass --encoding.") from exc
    except (OSError, EOFError, zlib.error) as exc:
        out.unlink(missing_ok=True)
        raise FileFormatError(f"{path}: cannot read it ({exc}). Is the file truncated?") from exc
    return out


def _stage_parquet(con: duckdb.DuckDBPyConnection, path: Path, relation: str) -> StagedFile:
    try:
        cols = [
            r[0]
            for r in con.execute(
                f"DESCRIBE SELECT * FROM read_parquet({_sql_str(str(path))})"
            ).fetchall()
        ]
        casts = ", ".join(f"CAST({quote_ident(c)} AS VARCHAR) AS {quote_ident(c)}" for c in cols)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {relation} AS SELECT {casts}, "
            f"file_row_number + 1 AS _line FROM read_parquet({_sql_str(str(path))}, "
            "file_row_number = true)"
        )
    except Exception as exc:  # duckdb.Error subclasses vary by version
        raise FileFormatError(f"{path}: not a readable Parquet file ({_first_line(exc)}).") from exc
    rows = _count(con, relation)
    return StagedFile(relation, path, "parquet", "binary", cols, rows)


def _stage_text(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    source: Path,
    relation: str,
    kind: FileKind,
    options: ReadOptions,
    encoding: str,
) -> StagedFile:
    if kind in ("lines", "jsonl"):
        return _stage_lines(con, path, source, relation, kind, encoding)
    delimiter, header = _sniff(con, path, source, options)
    args = [
        "all_varchar = true",
        f"delim = {_sql_str(delimiter)}",
        f"header = {str(header).lower()}",
    ]
    raw = f"{relation}_raw"
    rejects: list[Reject] = []
    # Fast path: a strict read. Only a file with malformed records pays for DuckDB's rejects
    # bookkeeping (about +50 % read time), on a second read that keeps them.
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {raw} AS SELECT * FROM "
            f"read_csv({_sql_str(str(source))}, {', '.join(args)})"
        )
        header_lines = int(header)
    except Exception as strict_error:
        if "Invalid unicode" in str(strict_error):
            raise FileFormatError(_csv_error(path, strict_error)) from strict_error
        args += [
            "store_rejects = true",
            "rejects_table = 'shopscope_rejects'",
            "rejects_scan = 'shopscope_reject_scans'",
        ]
        try:
            con.execute("DROP TABLE IF EXISTS shopscope_rejects")
            con.execute("DROP TABLE IF EXISTS shopscope_reject_scans")
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {raw} AS SELECT * FROM "
                f"read_csv({_sql_str(str(source))}, {', '.join(args)})"
            )
        except Exception as exc:
            raise FileFormatError(_csv_error(path, exc)) from exc
        header_lines = int(header)
        rejects = _rejects(con)
    cols = [r[0] for r in con.execute(f"DESCRIBE {raw}").fetchall()]
    _assign_lines(con, relation, raw, header_lines, [r.line for r in rejects])
    rows = _count(con, raw)
    return StagedFile(relation, path, "csv", encoding, cols, rows, rejects)


def _sniff(
    con: duckdb.DuckDBPyConnection, path: Path, source: Path, options: ReadOptions
) -> tuple[str, bool]:
    """Delimiter and header, from the options or DuckDB's sniffer.

    The sniffer runs tolerant of bad records, so a few malformed lines do not make it fall back
    to reading the whole file as one column.
    """
    if options.delimiter is not None and options.header is not None:
        return options.delimiter, options.header
    # Sniff a plain-text sample of the head: sniffing a gzip file itself costs ~0.3 s here.
    head = _head(source, _SNIFF_BYTES)
    if len(head) == _SNIFF_BYTES and b"\n" in head:
        head = head[: head.rindex(b"\n") + 1]
    fd, name = tempfile.mkstemp(prefix="shopscope-sniff-", suffix=".csv")
    sample = Path(name)
    try:
        os.close(fd)
        sample.write_bytes(head)
        row = con.execute(
            f"SELECT Delimiter, HasHeader FROM sniff_csv({_sql_str(str(sample))}, "
            "ignore_errors = true)"
        ).fetchone()
    except Exception as exc:
        raise FileFormatError(_csv_error(path, exc)) from exc
    finally:
        sample.unlink(missing_ok=True)
    delimiter = options.delimiter or (str(row[0]) if row else ",")
    header = options.header if options.header is not None else bool(row[1]) if row else True
    return delimiter, header


def _stage_lines(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    source: Path,
    relation: str,
    kind: FileKind,
    encoding: str,
) -> StagedFile:
    """One text column per physical line; for JSON Lines the keys become columns."""
    reader = (
        f"read_csv({_sql_str(str(source))}, columns = {{'line': 'VARCHAR'}}, header = false, "
        "delim = '\\0', quote = '', escape = '')"
    )
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _lines AS SELECT row_number() OVER () AS _line, "
            f"rtrim(line, chr(13)) AS line FROM {reader}"
        )
    except Exception as exc:
        raise FileFormatError(_csv_error(path, exc)) from exc
    con.execute("DELETE FROM _lines WHERE line IS NULL OR trim(line) = ''")
    if kind == "lines":
        con.execute(f"CREATE OR REPLACE TEMP TABLE {relation} AS SELECT line, _line FROM _lines")
        return StagedFile(relation, path, "lines", encoding, ["line"], _count(con, relation))
    bad = con.execute(
        "SELECT _line, line FROM _lines WHERE NOT coalesce(json_valid(line), false) "
        "OR json_type(line) <> 'OBJECT' ORDER BY _line"
    ).fetchall()
    rejects = [Reject(int(n), str(raw), "not a JSON object") for n, raw in bad]
    keys = [
        r[0]
        for r in con.execute(
            "SELECT k FROM (SELECT unnest(json_keys(line)) AS k, _line FROM _lines "
            "WHERE json_valid(line) AND json_type(line) = 'OBJECT') GROUP BY k ORDER BY min(_line)"
        ).fetchall()
    ]
    fields = ", ".join(
        f"CASE WHEN json_type(line, {_sql_str('$.' + _json_key(k))}) IN ('OBJECT', 'ARRAY') "
        f"THEN json_extract(line, {_sql_str('$.' + _json_key(k))})::VARCHAR "
        f"ELSE json_extract_string(line, {_sql_str('$.' + _json_key(k))}) END AS {quote_ident(k)}"
        for k in keys
    )
    select = f"SELECT {fields + ', ' if fields else ''}_line FROM _lines"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {relation} AS {select} WHERE json_valid(line) "
        "AND json_type(line) = 'OBJECT'"
    )
    return StagedFile(relation, path, "jsonl", encoding, keys, _count(con, relation), rejects)


def _json_key(key: str) -> str:
    return '"' + key.replace('"', '\\"') + '"'


def _rejects(con: duckdb.DuckDBPyConnection) -> list[Reject]:
    rows = con.execute(
        "SELECT line, any_value(csv_line), string_agg(DISTINCT error_type || ': ' || "
        "error_message, '; ') FROM shopscope_rejects GROUP BY line ORDER BY line"
    ).fetchall()
    return [Reject(int(line), str(raw or ""), str(msg)) for line, raw, msg in rows]


def _assign_lines(
    con: duckdb.DuckDBPyConnection, relation: str, raw: str, header_lines: int, rejected: list[int]
) -> None:
    """Expose ``raw`` as the view ``relation`` with ``_line``, the record's line in the file.

    A CTAS from read_csv keeps file order (DuckDB preserves insertion order), so ``rowid`` is the
    record ordinal from 0. The k-th good record (from 1) sits after every rejected line r_i (i-th
    smallest, from 1) with r_i - header_lines - i < k, so its line is k + header_lines + that
    count.
    """
    ordinal = "(rowid + 1)"
    line = f"{ordinal} + {header_lines}"
    if rejected:
        gaps = ", ".join(f"({ln - header_lines - i})" for i, ln in enumerate(rejected, start=1))
        con.execute(f"CREATE OR REPLACE TEMP TABLE _gaps AS SELECT * FROM (VALUES {gaps}) g(gap)")
        line += f" + (SELECT count(*) FROM _gaps WHERE gap < {ordinal})"
    con.execute(f"CREATE OR REPLACE TEMP VIEW {relation} AS SELECT *, {line} AS _line FROM {raw}")


def _count(con: duckdb.DuckDBPyConnection, relation: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {relation}").fetchone()
    return int(row[0]) if row else 0


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _csv_error(path: Path, exc: BaseException) -> str:
    text = str(exc)
    if _UNICODE_ERROR.search(text):
        return f"{path}: invalid UTF-8 ({_first_line(exc)})"
    if "gzip" in text.lower() or "zlib" in text.lower() or "compress" in text.lower():
        return (
            f"{path}: the gzip stream is truncated or corrupt ({_first_line(exc)}). "
            "Re-export or re-download the file."
        )
    return (
        f"{path}: cannot be read as CSV ({_first_line(exc)}). Supported: CSV, CSV.gz, Parquet, "
        "JSON Lines; set --delimiter if the sniffer guessed wrong."
    )
