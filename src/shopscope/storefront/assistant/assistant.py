"""The customer-service assistant: answer a question from live order data or the FAQ, or escalate.

Decision order (first that applies), documented in ``docs/methods/assistant.md``:

1. **Complaint or human handoff** among the detected intents → escalate to a person; the agent
   still gets the order facts and FAQ suggestions.
2. **Order question** (an order id in the text, or an order-status / shipping-time intent): look
   the order up (:func:`~shopscope.storefront.assistant.orders.lookup_order`; with a
   ``customer_id``, only that customer's orders). Found → its real status, date and items.
   An id that is not found → "not found" (the same words for someone else's order). No id →
   the customer's latest order when ``customer_id`` is known, else ask for the number.
3. **FAQ**: the best entry in the customer's language when its similarity reaches
   ``min_confidence``; below it → escalate ("low_confidence"). The assistant never writes an
   answer of its own: every reply is a FAQ answer, a template filled with warehouse facts, or a
   handoff message.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from shopscope.errors import InvalidInputError
from shopscope.storefront.assistant.entities import extract_order_ids
from shopscope.storefront.assistant.intents import ESCALATING_INTENTS, IntentScore, detect_intents
from shopscope.storefront.assistant.kbstore import read_kb
from shopscope.storefront.assistant.orders import OrderFacts, OrderLookup
from shopscope.storefront.assistant.replies import handoff_reply, not_found_reply, order_reply
from shopscope.storefront.assistant.retrieval import Hit, KnowledgeBase
from shopscope.storefront.assistant.text import detect_language, tokenize

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = ["Answer", "Assistant", "DenseRetriever", "Suggestion"]

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2_000
ORDER_INTENTS = frozenset({"order_status", "shipping_time"})
_ABOUT_AN_ORDER = ORDER_INTENTS | {"return_refund", "exchange", "payment", "complaint"}
_ORDER_WORD = re.compile(r"order|invoice|订单|单号", re.IGNORECASE)


class DenseRetriever(Protocol):
    """Extension point: an embedding retriever over the same entries (see ``embedding.py``)."""

    def search(self, question: str, *, k: int, language: str | None) -> list[Hit]:
        """Best entries with ``similarity`` = cosine similarity clipped to [0, 1]."""
        ...


@dataclass(frozen=True)
class Suggestion:
    """A reply an agent may send, with its confidence and where it comes from."""

    text: str
    confidence: float
    source: str
    kind: str  # "order", "faq" or "handoff"


@dataclass(frozen=True)
class Answer:
    """The assistant's answer to one question.

    ``reason`` is a code: ``order_found``, ``order_not_found``, ``need_order_id``,
    ``faq_match``, ``complaint``, ``human_handoff``, ``low_confidence`` or ``no_knowledge``.
    """

    question: str
    language: str
    mixed_language: bool
    intent: str
    intents: tuple[IntentScore, ...]
    order_ids: tuple[str, ...]
    order: OrderFacts | None
    reply: str
    confidence: float
    escalate: bool
    reason: str
    suggestions: tuple[Suggestion, ...]
    notes: tuple[str, ...] = ()


class Assistant:
    """Answers customer questions with the warehouse's orders and knowledge base.

    Parameters
    ----------
    wh:
        The warehouse (orders, order_items, products; ``kb_entries`` unless ``kb`` is given).
    kb:
        A knowledge base; default: the entries stored in the warehouse.
    min_confidence:
        Lowest FAQ similarity that is answered without a person (see the method doc).
    dense:
        Optional embedding retriever; its hits are merged with BM25's by best similarity.
    """

    def __init__(
        self,
        wh: Warehouse,
        *,
        kb: KnowledgeBase | None = None,
        min_confidence: float = 0.3,
        dense: DenseRetriever | None = None,
    ) -> None:
        if not 0 <= min_confidence <= 1:
            raise InvalidInputError(f"min_confidence={min_confidence}: use a value in [0, 1].")
        self.wh = wh
        self.kb = kb if kb is not None else KnowledgeBase(read_kb(wh))
        self.min_confidence = min_confidence
        self.dense = dense
        self.orders = OrderLookup(wh)
        self.orders.prepare()
        tokenize("预热")  # load jieba's dictionary now, not during the first Chinese question

    def _search(self, question: str, language: str) -> list[Hit]:
        hits = self.kb.search(question, k=3, language=language)
        if self.dense is not None:
            best: dict[str, Hit] = {h.entry.entry_id: h for h in hits}
            for h in self.dense.search(question, k=3, language=language):
                old = best.get(h.entry.entry_id)
                if old is None or h.similarity > old.similarity:
                    best[h.entry.entry_id] = h
            hits = sorted(best.values(), key=lambda h: -h.similarity)[:3]
        return hits

    def ask(
        self, question: str, *, customer_id: str | None = None, language: str | None = None
    ) -> Answer:
        """Answer ``question`` (see the module docstring for the decision order).

        Parameters
        ----------
        question:
            The customer's message, English, Chinese or mixed; the first 2,000 characters
            are read.
        customer_id:
            Who is asking, when known (self-service): restricts order lookups to their orders.
        language:
            ``en`` or ``zh`` to force the reply language (default: detected).
        """
        if not isinstance(question, str):
            raise InvalidInputError(f"The question must be text, not {type(question).__name__}.")
        text = " ".join(question.split())  # NFKC happens where matching needs it
        if not text:
            raise InvalidInputError(
                "The question is empty. Ask something, e.g. 'where is my order 536365'."
            )
        notes: list[str] = []
        if len(text) > MAX_QUESTION_CHARS:
            notes.append(f"question truncated to its first {MAX_QUESTION_CHARS:,} characters")
            text = text[:MAX_QUESTION_CHARS]
        guess = detect_language(text)
        if language not in (None, "en", "zh"):
            raise InvalidInputError(f"language={language!r}: use 'en', 'zh' or leave it empty.")
        lang = language or (guess.language if guess.language != "other" else "en")
        if guess.mixed:
            notes.append(f"mixed-language question; answering in {lang}")
        hits = self._search(text, lang)
        intents = detect_intents(text, hits)
        intent = intents[0].intent if intents else "other"
        ids = extract_order_ids(text)
        facts, missing = self._order(ids, intent, customer_id, text)
        suggestions: list[Suggestion] = []
        if facts is not None:
            suggestions.append(
                Suggestion(
                    order_reply(facts, lang), 1.0, f"warehouse:orders/{facts.order_id}", "order"
                )
            )
        suggestions += [
            Suggestion(h.entry.answer, round(h.similarity, 4), f"kb:{h.entry.entry_id}", "faq")
            for h in hits
        ]

        def answer(reply: str, confidence: float, escalate: bool, reason: str) -> Answer:
            log.debug("answer %s (intent %s, %s, escalate=%s)", reason, intent, lang, escalate)
            extra = [Suggestion(reply, confidence, "handoff", "handoff")] if escalate else []
            return Answer(
                question=text,
                language=lang,
                mixed_language=guess.mixed,
                intent=intent,
                intents=tuple(intents),
                order_ids=tuple(ids),
                order=facts,
                reply=reply,
                confidence=round(confidence, 4),
                escalate=escalate,
                reason=reason,
                suggestions=tuple(suggestions + extra),
                notes=tuple(notes),
            )

        escalating = [i.intent for i in intents if i.intent in ESCALATING_INTENTS]
        if escalating:
            reason = "complaint" if "complaint" in escalating else "human_handoff"
            return answer(handoff_reply(lang, reason=reason), 1.0, True, reason)
        # a FAQ answer in another language is only sent to a customer who mixes languages
        top = hits[0] if hits and (hits[0].entry.language == lang or guess.mixed) else None
        if facts is not None:
            reply = order_reply(facts, lang)
            if intent not in ORDER_INTENTS and top and top.similarity >= self.min_confidence:
                reply = f"{reply}\n\n{top.entry.answer}"
            return answer(reply, 1.0, False, "order_found")
        if missing is not None:
            return answer(not_found_reply(missing, lang), 1.0, False, "order_not_found")
        confident = top is not None and top.similarity >= self.min_confidence
        if intent == "order_status" or (intent == "shipping_time" and not confident):
            ask_id = (
                "请提供您的订单号，我来为您查询。"
                if lang == "zh"
                else "Please tell me your order number and I'll look it up."
            )
            return answer(ask_id, 1.0, False, "need_order_id")
        if top is not None and confident:
            return answer(top.entry.answer, top.similarity, False, "faq_match")
        reason = "low_confidence" if len(self.kb) else "no_knowledge"
        best = hits[0].similarity if hits else 0.0
        return answer(handoff_reply(lang, reason=reason), best, True, reason)

    def _order(
        self, ids: Sequence[str], intent: str, customer_id: str | None, text: str
    ) -> tuple[OrderFacts | None, str | None]:
        """The order the question is about, or the first id that was not found.

        An id that is not found is reported only when the question is about an order (an
        order-related intent or the word "order"), so a phone number or a product code in a
        product question is ignored.
        """
        for oid in ids:
            facts = self.orders.order(oid, customer_id=customer_id)
            if facts is not None:
                return facts, None
        if ids and (intent in _ABOUT_AN_ORDER or _ORDER_WORD.search(text)):
            return None, ids[0]
        if intent in ORDER_INTENTS and customer_id is not None:
            latest = self.orders.latest(customer_id)
            if latest is not None:
                return self.orders.order(latest, customer_id=customer_id), None
        return None, None
