"""The assistant's answers on the demo store, checked against the warehouse in both languages."""

from __future__ import annotations

import re

import pytest

from shopscope.errors import InvalidInputError
from shopscope.storefront.assistant import Assistant, KBEntry, KnowledgeBase

HAN = re.compile(r"[\u4e00-\u9fff]")

KB = KnowledgeBase(
    [
        KBEntry("ship-en", "How long does shipping take?", "Standard delivery takes 3-5 working "
                "days.", "en", ("shipping_time",)),
        KBEntry("ship-zh", "发货要多久？", "付款后48小时内发货。", "zh", ("shipping_time",)),
        KBEntry("ret-en", "What is your return policy?", "You can return items within 30 days.",
                "en", ("return_refund",)),
        KBEntry("ret-zh", "退货政策是什么？", "收到商品30天内可以退货。", "zh", ("return_refund",)),
        KBEntry("pay-en", "Which payment methods do you accept?", "Cards and PayPal.", "en",
                ("payment",)),
    ]
)  # fmt: skip


@pytest.fixture(scope="module")
def assistant(demo_wh):
    return Assistant(demo_wh, kb=KB)


def _orders(demo_wh, status, n=2):
    sql = (
        "SELECT order_id, customer_id, status, CAST(ordered_at AS DATE) FROM orders "
        "WHERE status = ? AND customer_id IS NOT NULL ORDER BY order_id LIMIT ?"
    )
    return demo_wh.duckdb.execute(sql, [status, n]).fetchall()


def _lines(demo_wh, order_id):
    sql = (
        "SELECT i.quantity, coalesce(p.title, i.sku) FROM order_items i LEFT JOIN products p "
        "USING (sku) WHERE i.order_id = ? ORDER BY i.line_no"
    )
    return demo_wh.duckdb.execute(sql, [order_id]).fetchall()


@pytest.mark.parametrize("status", ["completed", "shipped", "paid", "returned", "cancelled"])
@pytest.mark.parametrize(
    ("template", "language"),
    [("where is my order {}", "en"), ("我的订单{}到哪了", "zh")],
)
def test_order_status_answer_matches_the_warehouse(demo_wh, assistant, status, template, language):
    for order_id, customer_id, true_status, day in _orders(demo_wh, status):
        answer = assistant.ask(template.format(order_id), customer_id=customer_id)
        assert (answer.reason, answer.escalate, answer.language) == ("order_found", False, language)
        assert answer.order is not None
        assert answer.order.order_id == order_id
        assert answer.order.status == true_status
        assert answer.order.ordered_at.date() == day
        lines = _lines(demo_wh, order_id)
        assert answer.order.line_count == len(lines)
        assert order_id in answer.reply and day.isoformat() in answer.reply
        for _quantity, title in [line for line in lines if line[0] > 0][:3]:
            assert title in answer.reply
        assert bool(HAN.search(answer.reply)) is (language == "zh")
        assert answer.suggestions[0].source == f"warehouse:orders/{order_id}"


def test_another_customers_order_is_never_disclosed(demo_wh, assistant):
    (order_id, owner, _, _), = _orders(demo_wh, "shipped", 1)  # fmt: skip
    other = demo_wh.duckdb.execute(
        "SELECT min(customer_id) FROM customers WHERE customer_id <> ?", [owner]
    ).fetchone()[0]
    titles = [t for _, t in _lines(demo_wh, order_id)]
    for question, language in ((f"where is my order {order_id}", "en"),
                               (f"我的订单{order_id}到哪了", "zh")):  # fmt: skip
        leaked = assistant.ask(question, customer_id=other)
        missing = assistant.ask(question.replace(order_id, "O999999-999999"), customer_id=other)
        assert leaked.reason == missing.reason == "order_not_found"
        assert leaked.order is None
        # the same words as for an order that does not exist, apart from the id itself
        assert leaked.reply.replace(order_id, "#") == missing.reply.replace("O999999-999999", "#")
        text = leaked.reply + " ".join(s.text + s.source for s in leaked.suggestions)
        assert not any(t in text for t in titles)
        assert "shipped" not in text and "已发货" not in text
        assert bool(HAN.search(leaked.reply)) is (language == "zh")
    # the agent (no customer) may read it
    assert assistant.ask(f"where is order {order_id}").reason == "order_found"


def test_guest_order_is_not_found_for_a_signed_in_customer(demo_wh, assistant):
    row = demo_wh.duckdb.execute(
        "SELECT order_id FROM orders WHERE customer_id IS NULL LIMIT 1"
    ).fetchone()
    if row is None:
        pytest.skip("the demo store has no guest orders")
    answer = assistant.ask(f"where is my order {row[0]}", customer_id="C00000001")
    assert answer.reason == "order_not_found"


def test_latest_order_when_no_id_is_given(demo_wh, assistant):
    customer, latest = demo_wh.duckdb.execute(
        "SELECT customer_id, arg_max(order_id, (ordered_at, order_id)) FROM orders "
        "WHERE customer_id IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
    ).fetchone()
    answer = assistant.ask("where is my order?", customer_id=customer)
    assert answer.reason == "order_found" and answer.order.order_id == latest
    assert assistant.ask("where is my order?").reason == "need_order_id"
    assert assistant.ask("我的订单到哪了").reply == "请提供您的订单号，我来为您查询。"


def test_unknown_order_id(assistant):
    for q in ("where is my order 999999", "订单999999到哪了"):
        answer = assistant.ask(q)
        assert (answer.reason, answer.order, answer.escalate) == ("order_not_found", None, False)
        assert "999999" in answer.reply


def test_faq_answers_in_the_customers_language(assistant):
    en = assistant.ask("How long does the shipping take?")
    assert (en.reason, en.reply) == ("faq_match", "Standard delivery takes 3-5 working days.")
    zh = assistant.ask("请问退货政策是怎样的？")
    assert (zh.reason, zh.reply) == ("faq_match", "收到商品30天内可以退货。")
    assert zh.suggestions[0].source == "kb:ret-zh" and 0 < zh.confidence <= 1


def test_complaint_and_handoff_escalate_with_suggestions_for_the_agent(demo_wh, assistant):
    (order_id, customer, _, _), = _orders(demo_wh, "completed", 1)  # fmt: skip
    answer = assistant.ask(
        f"This is unacceptable, order {order_id} arrived late. I want a refund!",
        customer_id=customer,
    )
    assert (answer.escalate, answer.reason) == (True, "complaint")
    # the FAQ's evidence may make the refund the main intent; the complaint still escalates
    assert {"complaint", "return_refund"} <= {i.intent for i in answer.intents}
    kinds = [s.kind for s in answer.suggestions]
    assert kinds[0] == "order" and "handoff" in kinds
    assert order_id not in answer.reply  # the customer gets the handoff message only
    handoff = assistant.ask("我要转人工")
    assert (handoff.escalate, handoff.reason) == (True, "human_handoff")
    assert HAN.search(handoff.reply)


def test_low_confidence_escalates_and_invents_nothing(assistant):
    answer = assistant.ask("Do you sell quantum computers with a lifetime warranty?")
    assert answer.escalate and answer.reason == "low_confidence"
    assert answer.reply not in {e.answer for e in KB.entries}


def test_empty_knowledge_base_escalates(demo_wh):
    empty = Assistant(demo_wh, kb=KnowledgeBase([]))
    answer = empty.ask("Do you offer gift wrapping?")
    assert (answer.escalate, answer.reason, answer.suggestions[-1].kind) == (
        True,
        "no_knowledge",
        "handoff",
    )


@pytest.mark.parametrize("question", ["", "   ", "\n\t", "\u3000"])
def test_empty_question_is_an_error(assistant, question):
    with pytest.raises(InvalidInputError, match="The question is empty"):
        assistant.ask(question)


def test_bad_arguments(assistant):
    with pytest.raises(InvalidInputError, match="must be text"):
        assistant.ask(None)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="use 'en', 'zh'"):
        assistant.ask("hello", language="fr")


def test_very_long_question_is_read_up_to_the_limit(demo_wh, assistant):
    (order_id, customer, _, _), = _orders(demo_wh, "shipped", 1)  # fmt: skip
    question = f"where is my order {order_id}? " + "blah " * 20_000
    answer = assistant.ask(question, customer_id=customer)
    assert answer.reason == "order_found"
    assert len(answer.question) == 2_000
    assert any("truncated" in n for n in answer.notes)


def test_mixed_language_question(demo_wh, assistant):
    (order_id, customer, _, _), = _orders(demo_wh, "shipped", 1)  # fmt: skip
    answer = assistant.ask(f"我的order {order_id} 什么时候ship到?", customer_id=customer)
    assert answer.mixed_language and answer.language == "zh"
    assert answer.reason == "order_found" and HAN.search(answer.reply)
    forced = assistant.ask(f"我的order {order_id} 什么时候ship到?", language="en")
    assert forced.language == "en" and forced.reply.startswith("Your order")


def test_order_indexes_are_idempotent_and_change_no_answer():
    from datetime import date

    from shopscope.storefront.assistant.orders import OrderLookup, ensure_order_indexes
    from shopscope.warehouse.connection import connect
    from shopscope.warehouse.demo import generate_demo

    wh = connect("duckdb://:memory:")
    generate_demo(wh, size=1_500, seed=4, end_date=date(2026, 6, 30))
    ids = [r[0] for r in wh.duckdb.execute("SELECT order_id FROM orders LIMIT 5").fetchall()]
    before = [OrderLookup(wh).order(i) for i in ids]
    assert sorted(ensure_order_indexes(wh)) == [
        "assist_order_items_order_id",
        "assist_orders_order_id",
    ]
    assert ensure_order_indexes(wh) == []
    assert [OrderLookup(wh).order(i) for i in ids] == before
    wh.close()


def test_a_number_in_a_product_question_is_not_an_order(assistant):
    answer = assistant.ask("Is item 12345678 available in other colours?")
    assert answer.intent == "product_question"
    assert answer.reason != "order_not_found" and answer.order is None
