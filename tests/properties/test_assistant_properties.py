"""Properties of the assistant: total functions, bounded similarities, round-trips, no leaks."""

from __future__ import annotations

import csv
import io
import unicodedata
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shopscope.errors import InvalidInputError
from shopscope.storefront.assistant import Assistant, KBEntry, KnowledgeBase, parse_kb
from shopscope.storefront.assistant.entities import extract_order_ids
from shopscope.storefront.assistant.text import detect_language, tokenize
from shopscope.warehouse.connection import connect
from shopscope.warehouse.demo import generate_demo

# Text drawn from English and Chinese words, digits, punctuation and arbitrary characters.
WORDS = ["where", "is", "my", "order", "refund", "退货", "订单", "到哪了", "发货", "human",
         "投诉", "536365", "O240701-000001", "?", "？", "，", " ", "ship", "付款"]  # fmt: skip
TEXT = st.one_of(
    st.lists(st.sampled_from(WORDS), max_size=12).map(" ".join),
    st.text(max_size=60),
)
KB = KnowledgeBase(
    [
        KBEntry("a", "How long does shipping take?", "3-5 days.", "en", ("shipping_time",)),
        KBEntry("b", "多久发货？", "48小时内。", "zh", ("shipping_time",)),
        KBEntry("c", "Can I return an item?", "Within 30 days.", "en", ("return_refund",)),
        KBEntry("d", "怎么退款", "原路退回。", "zh", ("return_refund",)),
    ]
)


@given(TEXT)
def test_text_functions_are_total(text):
    assert detect_language(text).language in ("en", "zh", "other")
    assert all(t and t == t.strip() for t in tokenize(text))
    ids = extract_order_ids(text)
    assert len(ids) <= 5 and len(set(ids)) == len(ids)
    norm = unicodedata.normalize("NFKC", text)
    assert all(i in norm and sum(c.isdigit() for c in i) >= 5 for i in ids)


@given(TEXT)
def test_similarity_is_in_unit_interval_and_ranked(text):
    hits = KB.search(text, k=4)
    assert all(0.0 <= h.similarity <= 1.0 and h.score > 0 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


SAFE_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip() and not s.strip().startswith("#"))


@given(
    st.lists(
        st.tuples(SAFE_TEXT, SAFE_TEXT, st.sampled_from(["en", "zh"]),
                  st.lists(st.from_regex(r"[a-z_]{1,10}", fullmatch=True), max_size=3)),
        min_size=1,
        max_size=5,
        unique_by=lambda e: (e[2], " ".join(e[0].split())),
    )
)  # fmt: skip
def test_csv_round_trip(rows):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["question", "answer", "language", "tags"])
    for q, a, lang, tags in rows:
        writer.writerow([q, a, lang, ";".join(tags)])
    entries = parse_kb(out.getvalue(), fmt="csv")
    assert [(e.question, e.answer, e.language, e.tags) for e in entries] == [
        (" ".join(q.split()), a.strip(), lang, tuple(tags)) for q, a, lang, tags in rows
    ]


REASONS = {
    "order_found",
    "order_not_found",
    "need_order_id",
    "faq_match",
    "complaint",
    "human_handoff",
    "low_confidence",
    "no_knowledge",
}


@pytest.fixture(scope="module")
def shop():
    wh = connect("duckdb://:memory:")
    generate_demo(wh, size=1_500, seed=9, end_date=date(2026, 6, 30))
    orders = wh.duckdb.execute("SELECT order_id FROM orders ORDER BY order_id LIMIT 40").fetchall()
    customers = wh.duckdb.execute(
        "SELECT customer_id FROM customers ORDER BY customer_id LIMIT 40"
    ).fetchall()
    yield Assistant(wh, kb=KB), [o for (o,) in orders], [c for (c,) in customers]
    wh.close()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_answers_never_leak_and_never_crash(shop, data):
    assistant, orders, customers = shop
    order = data.draw(st.sampled_from(orders))
    customer = data.draw(st.one_of(st.none(), st.sampled_from(customers)))
    template = data.draw(
        st.sampled_from(["where is my order {}", "我的订单{}到哪了", "{}", "{} refund"])
    )
    noise = data.draw(TEXT)
    question = template.format(order) + " " + noise
    answer = assistant.ask(question, customer_id=customer)
    assert answer.reply and 0.0 <= answer.confidence <= 1.0
    assert answer.language in ("en", "zh")
    if answer.order is not None and customer is not None:
        assert answer.order.customer_id == customer
    if answer.escalate:
        assert answer.suggestions[-1].kind == "handoff"
    if customer is not None:
        foreign = [s for s in answer.suggestions if s.kind == "order"]
        assert all(answer.order and answer.order.customer_id == customer for _ in foreign)


@given(TEXT)
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_text_is_answered_or_rejected_as_empty(shop, text):
    assistant, _, _ = shop
    if not text.split():
        with pytest.raises(InvalidInputError):
            assistant.ask(text)
        return
    answer = assistant.ask(text)
    assert answer.reason in REASONS
