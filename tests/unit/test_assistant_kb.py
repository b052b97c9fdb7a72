"""Knowledge-base files (CSV, Markdown, JSON), their errors, and storage in the warehouse."""

from __future__ import annotations

import pytest

from shopscope.errors import FileFormatError, InvalidInputError, MissingColumnsError
from shopscope.storefront.assistant import KBEntry, parse_kb, read_kb, read_kb_file, store_kb
from shopscope.storefront.assistant.knowledge import entry_id

CSV = """question,answer,language,tags
How long does shipping take?,Standard delivery takes 3-5 working days.,en,shipping_time
多久发货？,付款后48小时内发货。,zh,shipping_time;物流
"Can I return an item, if I changed my mind?",Yes within 30 days.,,return_refund
"""

MARKDOWN = """# Shop FAQ

## How long does shipping take?
tags: shipping_time
Standard delivery takes 3-5 working days.

It may take longer at Christmas.

## 可以退货吗？
language: zh
tags: return_refund; 退货
收到商品7天内可以无理由退货。
"""


def test_csv_entries():
    entries = parse_kb(CSV, fmt="csv", name="faq.csv")
    assert [e.language for e in entries] == ["en", "zh", "en"]  # the last one detected
    assert entries[1].tags == ("shipping_time", "物流")
    assert entries[2].question == "Can I return an item, if I changed my mind?"
    assert entries[0].source == "faq.csv:2"
    assert entries[0].entry_id == entry_id("en", "How long does shipping take?")


def test_markdown_entries():
    entries = parse_kb(MARKDOWN, fmt="md", name="faq.md")
    assert len(entries) == 2
    first, second = entries
    assert first.tags == ("shipping_time",)
    assert first.answer == (
        "Standard delivery takes 3-5 working days.\n\nIt may take longer at Christmas."
    )
    assert (second.language, second.tags) == ("zh", ("return_refund", "退货"))
    assert second.answer == "收到商品7天内可以无理由退货。"
    assert first.source == "faq.md:3"


def test_json_entries_both_layouts():
    a = parse_kb('{"questions": [{"question": "Q?", "answer": "A."}]}', fmt="json")
    b = parse_kb('[{"question": "Q?", "answer": "A.", "tags": ["x", "y"]}]', fmt="json")
    assert a[0].question == b[0].question == "Q?"
    assert b[0].tags == ("x", "y")


@pytest.mark.parametrize(
    ("text", "fmt", "error", "match"),
    [
        ("foo,bar\n1,2\n", "csv", MissingColumnsError, r"lacks column\(s\) question, answer"),
        ("question,answer\nQ?,\n", "csv", InvalidInputError, r":2: the answer to 'Q\?' is empty"),
        ("question,answer\n,A\n", "csv", InvalidInputError, r":2: the question is empty"),
        ("question,answer,language\nQ?,A,fr\n", "csv", InvalidInputError, r"language 'fr'"),
        ("question,answer\nQ?,A,extra\n", "csv", FileFormatError, "more fields than the header"),
        ("question,answer\nQ?,A\nQ?,B\n", "csv", InvalidInputError, "Duplicate"),
        ("Some text\n## Q?\nA\n", "md", FileFormatError, r":1: text before the first question"),
        ("## Q?\n\n## R?\nB\n", "md", InvalidInputError, r":1: the answer to 'Q\?' is empty"),
        ("no headings here\n", "md", FileFormatError, "text before the first question"),
        ("# title only\n", "md", FileFormatError, "no '## question' heading"),
        ('{"questions": [', "json", FileFormatError, "not valid JSON"),
        ('{"q": 1}', "json", FileFormatError, "must be a list of objects"),
        ("question,answer\n", "csv", FileFormatError, "has no entries"),
        ("x", "xlsx", FileFormatError, "Use a .csv, .md or .json file"),
    ],
)
def test_malformed_knowledge_base(text, fmt, error, match):
    with pytest.raises(error, match=match):
        parse_kb(text, fmt=fmt, name="kb")


def test_file_errors(tmp_path):
    with pytest.raises(FileFormatError, match="does not exist"):
        read_kb_file(tmp_path / "missing.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("  \n", encoding="utf-8")
    with pytest.raises(FileFormatError, match="is empty"):
        read_kb_file(empty)
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("question,answer\nCafé?,Oui\n".encode("latin-1"))
    with pytest.raises(FileFormatError, match="not UTF-8"):
        read_kb_file(latin1)
    too_long = tmp_path / "long.csv"
    too_long.write_text("question,answer\nQ?," + "a" * 20_001 + "\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="at most 20,000"):
        read_kb_file(too_long)


def test_entry_validates_itself():
    with pytest.raises(InvalidInputError, match="not supported"):
        KBEntry("x", "Q?", "A", "de")


def test_store_replace_upsert_and_failed_load_keeps_the_table(wh, tmp_path):
    path = tmp_path / "faq.csv"
    path.write_text(CSV, encoding="utf-8")
    result = store_kb(wh, read_kb_file(path))
    assert (result.loaded, result.total, result.languages) == (3, 3, {"en": 2, "zh": 1})
    stored = read_kb(wh)
    assert sorted(stored, key=lambda e: e.entry_id) == sorted(
        read_kb_file(path), key=lambda e: e.entry_id
    )
    md = parse_kb(MARKDOWN, fmt="md", name="faq.md")
    result = store_kb(wh, md, mode="upsert")
    # "How long does shipping take?" (en) is in both files: updated, not duplicated
    assert result.total == 4
    by_question = {e.question: e for e in read_kb(wh)}
    assert by_question["How long does shipping take?"].source == "faq.md:3"
    before = read_kb(wh)
    bad = tmp_path / "bad.csv"
    bad.write_text("question,answer\nQ?,A\nQ?,B\n", encoding="utf-8")
    with pytest.raises(InvalidInputError):
        store_kb(wh, read_kb_file(bad))
    assert read_kb(wh) == before
    store_kb(wh, md)
    assert len(read_kb(wh)) == 2


def test_read_kb_without_table_is_empty(wh):
    assert read_kb(wh) == []


def test_package_exports_are_exact():
    import shopscope.storefront.assistant as assistant

    assert sorted(assistant.__all__) == sorted(
        [
            "INTENTS",
            "Answer",
            "Assistant",
            "KBEntry",
            "KnowledgeBase",
            "OrderFacts",
            "Suggestion",
            "TicketStats",
            "detect_intents",
            "detect_language",
            "evaluate_pairs",
            "evaluate_queries",
            "extract_order_ids",
            "lookup_order",
            "parse_kb",
            "read_kb",
            "read_kb_file",
            "store_kb",
            "ticket_stats",
        ]
    )
