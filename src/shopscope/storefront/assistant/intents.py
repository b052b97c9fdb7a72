"""Intent detection: keyword rules in English and Chinese, plus evidence from retrieval.

Each intent has one regular expression per language (RE2-compatible, so the same patterns run
inside the warehouse for ticket topics, see :mod:`~shopscope.storefront.assistant.tickets`).
The score of an intent is

.. math::

    \\mathrm{score}(i) = \\mathrm{rule}(i)
        + w \\sum_{h \\in \\mathrm{hits}} \\mathrm{sim}(h)\\,[i \\in \\mathrm{tags}(h)]

where ``rule(i)`` is 1 when the intent's pattern matches the question (either language's
pattern: mixed-language questions are common) and the sum runs over the retrieved FAQ entries
tagged with the intent, weighted by their similarity (``w = 0.5``). The detected intent is the
highest score at or above 0.25; ties go to the earlier intent in :data:`INTENTS`, which lists
the intents that need a person first (complaint, human handoff), so a complaint is never
hidden behind a routine intent. ``other`` means no evidence.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from shopscope.storefront.assistant.retrieval import Hit

__all__ = ["ESCALATING_INTENTS", "INTENTS", "INTENT_PATTERNS", "IntentScore", "detect_intents"]

INTENTS = (
    "complaint",
    "human_handoff",
    "return_refund",
    "exchange",
    "payment",
    "order_status",
    "shipping_time",
    "product_question",
)
ESCALATING_INTENTS = frozenset({"complaint", "human_handoff"})
RETRIEVAL_WEIGHT = 0.5
MIN_SCORE = 0.25

# Patterns are applied to the NFKC-normalised, lower-cased question.
INTENT_PATTERNS: dict[str, tuple[str, str]] = {
    "complaint": (
        r"\b(complain\w*|disappointed|unacceptable|terrible|awful|worst|angry|furious|"
        r"ridiculous|not good enough|rude|scam|fraud|poor service|too slow)\b",
        r"投诉|差评|失望|太慢|太差|生气|愤怒|骗子|垃圾|态度差|不满意",
    ),
    "human_handoff": (
        r"\b(human|real person|agent|representative|speak to (someone|somebody|a person)|"
        r"talk to (someone|somebody|a person)|manager|call me)\b",
        r"人工|真人|转人工|客服经理|找人工|打电话给我",
    ),
    "return_refund": (
        r"\b(return\w*|refund\w*|money back|send (it|them) back|reimburse\w*)\b",
        r"退货|退款|退钱|退回|寄回|退掉",
    ),
    "exchange": (
        r"\b(exchange\w*|swap|wrong size|different (size|colou?r)|replace(ment)?)\b",
        r"换货|换一个|换个|调换|尺码不|换成|更换",
    ),
    "payment": (
        r"\b(pay|paid|payment\w*|charged?|card|paypal|invoice|billing|transaction)\b",
        r"付款|支付|扣款|扣费|发票|账单|付钱|花呗|信用卡",
    ),
    "order_status": (
        r"\b(where is my (order|package|parcel)|order status|status of my order|track\w*|"
        r"where('s| is) (it|my)|has my order|not (yet )?(arrived|received)|update on)\b",
        r"到哪|在哪|订单状态|什么状态|查询订单|查一下订单|没收到|还没到|到了吗",
    ),
    "shipping_time": (
        r"\b(how long|when will|deliver\w*|shipping|ship(ped)?|dispatch\w*|arriv\w*|"
        r"expedited|express)\b",
        r"发货|几天|多久|什么时候到|配送|快递|物流|送达|运费|到货",
    ),
    "product_question": (
        r"\b(made of|material|dimensions?|size guide|suitable|in stock|available|"
        r"colou?rs?|ingredients?|warranty|does it (come|have|fit)|gift wrap\w*)\b",
        r"材质|尺寸|多大|适合|有货|库存|颜色|成分|保修|礼品包装|规格|质量",
    ),
}

_COMPILED = {
    # ASCII \b and \w, as in RE2, so the warehouse and Python agree on mixed-script text
    intent: tuple(re.compile(p, re.ASCII) for p in patterns)
    for intent, patterns in INTENT_PATTERNS.items()
}


@dataclass(frozen=True)
class IntentScore:
    """One intent's score, split into the rule part and the retrieval part."""

    intent: str
    score: float
    rule: float
    retrieval: float


def detect_intents(text: str, hits: Sequence[Hit] = ()) -> list[IntentScore]:
    """Every intent with evidence for ``text``, best first (empty list: intent ``other``).

    Parameters
    ----------
    text:
        The question (NFKC-normalised and lower-cased here).
    hits:
        Retrieved FAQ entries whose tags may name intents.
    """
    lowered = unicodedata.normalize("NFKC", text).lower()
    scored = []
    for rank, intent in enumerate(INTENTS):
        rule = 1.0 if any(p.search(lowered) for p in _COMPILED[intent]) else 0.0
        retrieval = sum(h.similarity for h in hits if intent in h.entry.tags)
        score = rule + RETRIEVAL_WEIGHT * retrieval
        if score >= MIN_SCORE:
            scored.append((score, -rank, IntentScore(intent, score, rule, retrieval)))
    scored.sort(key=lambda s: (s[0], s[1]), reverse=True)
    return [s[2] for s in scored]
