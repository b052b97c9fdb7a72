"""The knowledge base: FAQ entries (question, answer, language, tags) from CSV, Markdown, JSON.

File formats
------------
CSV (UTF-8, header row)
    Columns ``question`` and ``answer`` are required; ``language`` (``en`` or ``zh``; detected
    from the question when absent or empty), ``tags`` (separated by ``;``, ``|`` or ``,``) and
    ``id`` are optional. Extra columns are ignored.
Markdown
    Each entry is a level-2 heading holding the question, optional metadata lines right below
    it (``language: zh``, ``tags: return_refund; shipping``, ``id: ret-1``), then the answer
    up to the next level-2 heading. A level-1 title and blank lines before the first entry
    are allowed.

    .. code-block:: markdown

        ## How long does shipping take?
        tags: shipping_time
        Standard delivery takes 3-5 working days.

JSON
    A list of objects with the CSV's keys, or ``{"questions": [...]}`` of such objects (the
    layout of the public "Ecommerce FAQ Chatbot Dataset").

Tags name intents (see :mod:`~shopscope.storefront.assistant.intents`) or free topics; intent
tags let retrieval count as evidence for an intent. Entry ids default to a stable hash of the
language and question, so reloading a file does not duplicate entries.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shopscope.errors import FileFormatError, InvalidInputError, MissingColumnsError
from shopscope.storefront.assistant.text import detect_language, normalize

__all__ = ["KBEntry", "entry_id", "parse_kb", "read_kb_file"]

KB_LANGUAGES = ("en", "zh")
MAX_FIELD_CHARS = 20_000
_TAG_SPLIT = re.compile(r"[;|,，；]")
_META = re.compile(r"^(language|lang|tags|id)\s*[:：]\s*(.*)$", re.IGNORECASE)


@dataclass(frozen=True)
class KBEntry:
    """One FAQ entry. ``source`` says where it came from (file and line)."""

    entry_id: str
    question: str
    answer: str
    language: str
    tags: tuple[str, ...] = ()
    source: str = ""

    def __post_init__(self) -> None:
        if not self.question.strip() or not self.answer.strip():
            raise InvalidInputError(
                f"Knowledge-base entry {self.entry_id!r} ({self.source}) has an empty question "
                "or answer; every entry needs both."
            )
        if self.language not in KB_LANGUAGES:
            raise InvalidInputError(
                f"Knowledge-base entry {self.entry_id!r} ({self.source}): language "
                f"{self.language!r} is not supported. Use one of {', '.join(KB_LANGUAGES)}."
            )


def entry_id(language: str, question: str) -> str:
    """The default id of an entry: ``kb-`` and 12 hex digits of a hash of language and question."""
    digest = hashlib.sha1(f"{language}\n{normalize(question)}".encode()).hexdigest()
    return f"kb-{digest[:12]}"


def _entry(fields: dict[str, Any], where: str) -> KBEntry:
    question = " ".join(str(fields.get("question") or "").split())
    answer = str(fields.get("answer") or "").strip()
    if not question:
        raise InvalidInputError(f"{where}: the question is empty. Every entry needs a question.")
    if not answer:
        raise InvalidInputError(
            f"{where}: the answer to {question[:60]!r} is empty. Every entry needs an answer."
        )
    for name, value in (("question", question), ("answer", answer)):
        if len(value) > MAX_FIELD_CHARS:
            raise InvalidInputError(
                f"{where}: the {name} has {len(value):,} characters; at most {MAX_FIELD_CHARS:,} "
                "are allowed. Split it into several entries."
            )
    raw_lang = str(fields.get("language") or "").strip().lower()
    if raw_lang in ("", "auto"):
        guess = detect_language(question).language
        language = guess if guess in KB_LANGUAGES else "en"
    elif raw_lang in ("zh", "zh-cn", "zh-hans", "cn", "chinese", "中文"):
        language = "zh"
    elif raw_lang in ("en", "en-us", "en-gb", "english"):
        language = "en"
    else:
        raise InvalidInputError(
            f"{where}: language {raw_lang!r} is not supported. Use en or zh (or leave it empty "
            "to detect it from the question)."
        )
    raw_tags = fields.get("tags") or ""
    if isinstance(raw_tags, list):
        tags = tuple(str(t).strip() for t in raw_tags if str(t).strip())
    else:
        tags = tuple(t.strip() for t in _TAG_SPLIT.split(str(raw_tags)) if t.strip())
    ident = str(fields.get("id") or "").strip() or entry_id(language, question)
    return KBEntry(ident, question, answer, language, tags, where)


def _decode(data: bytes, name: str) -> str:
    if not data.strip():
        raise FileFormatError(f"Knowledge-base file {name} is empty. Give it at least one entry.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileFormatError(
            f"Knowledge-base file {name} is not UTF-8 (byte {exc.start}: {exc.reason}). Save it "
            "as UTF-8 (Excel: 'CSV UTF-8') and load it again."
        ) from exc


def _parse_csv(text: str, name: str) -> list[KBEntry]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    found = [c.strip().lower() for c in (reader.fieldnames or [])]
    missing = [c for c in ("question", "answer") if c not in found]
    if missing:
        raise MissingColumnsError(
            f"Knowledge-base CSV {name} lacks column(s) {', '.join(missing)}. Found: "
            f"{', '.join(found) or '(no header)'}. Required: question, answer; optional: "
            "language, tags, id.",
            expected=["question", "answer"],
            found=found,
        )
    reader.fieldnames = found
    entries = []
    for row in reader:
        where = f"{name}:{reader.line_num}"
        if None in row:
            raise FileFormatError(
                f"{where}: the row has more fields than the header ({len(found)}). Quote fields "
                'that contain commas ("like, this").'
            )
        if not any((v or "").strip() for v in row.values()):
            continue
        entries.append(_entry(row, where))
    return entries


def _parse_markdown(text: str, name: str) -> list[KBEntry]:
    entries: list[KBEntry] = []
    current: dict[str, Any] | None = None
    body: list[str] = []
    in_meta = False

    def flush() -> None:
        if current is not None:
            current["answer"] = "\n".join(body).strip()
            entries.append(_entry(current, f"{name}:{current['line']}"))

    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("## "):
            flush()
            current, body, in_meta = {"question": line[3:].strip(), "line": number}, [], True
            continue
        if current is None:
            if line.strip() and not line.startswith("# "):
                raise FileFormatError(
                    f"{name}:{number}: text before the first question. Start each entry with a "
                    "'## question' heading; only a '# title' may come before the first one."
                )
            continue
        meta = _META.match(line.strip()) if in_meta else None
        if meta:
            key = meta.group(1).lower()
            current["language" if key in ("lang", "language") else key] = meta.group(2)
            continue
        if line.strip():
            in_meta = False  # metadata lines only come right after the heading
        body.append(line)
    flush()
    if not entries:
        raise FileFormatError(
            f"Knowledge-base Markdown {name} has no '## question' heading. Write each entry as "
            "a level-2 heading with the question, then the answer."
        )
    return entries


def _parse_json(text: str, name: str) -> list[KBEntry]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileFormatError(
            f"Knowledge-base JSON {name} is not valid JSON (line {exc.lineno}, column "
            f"{exc.colno}: {exc.msg})."
        ) from exc
    items = doc.get("questions") if isinstance(doc, dict) else doc
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise FileFormatError(
            f"Knowledge-base JSON {name} must be a list of objects with question and answer "
            'keys, or {"questions": [...]} of them.'
        )
    return [_entry(item, f"{name}[{i}]") for i, item in enumerate(items)]


def parse_kb(text: str, *, fmt: str, name: str = "<text>") -> list[KBEntry]:
    """Parse knowledge-base ``text`` in ``fmt`` (``csv``, ``md`` or ``json``).

    Raises
    ------
    FileFormatError, MissingColumnsError, InvalidInputError
        With the file, line and what to fix.
    """
    parsers = {"csv": _parse_csv, "md": _parse_markdown, "json": _parse_json}
    if fmt not in parsers:
        raise FileFormatError(
            f"Knowledge-base format {fmt!r} of {name} is not supported. Use a .csv, .md or "
            ".json file."
        )
    entries = parsers[fmt](text, name)
    if not entries:
        raise FileFormatError(f"Knowledge-base file {name} has no entries.")
    _check_unique(entries)
    return entries


def _check_unique(entries: Sequence[KBEntry]) -> None:
    seen: dict[str, KBEntry] = {}
    for e in entries:
        if e.entry_id in seen:
            first = seen[e.entry_id]
            raise InvalidInputError(
                f"Duplicate knowledge-base entry {e.entry_id!r} at {e.source} (first at "
                f"{first.source}): the same id, or the same question in the same language. "
                "Merge the two entries or give them distinct ids."
            )
        seen[e.entry_id] = e


def read_kb_file(path: str | Path) -> list[KBEntry]:
    """Read a knowledge-base file; the format follows the suffix (.csv, .md/.markdown, .json)."""
    p = Path(path)
    if not p.is_file():
        raise FileFormatError(f"Knowledge-base file {p} does not exist or is not a file.")
    suffix = p.suffix.lower().lstrip(".")
    fmt = {"markdown": "md", "txt": "md"}.get(suffix, suffix)
    return parse_kb(_decode(p.read_bytes(), str(p)), fmt=fmt, name=str(p))
