"""The bilingual customer-service assistant: FAQ retrieval, intents, live order answers, tickets.

See ``docs/methods/assistant.md`` for the method and its validation.
"""

from __future__ import annotations

from shopscope.storefront.assistant.assistant import Answer as Answer
from shopscope.storefront.assistant.assistant import Assistant as Assistant
from shopscope.storefront.assistant.assistant import Suggestion as Suggestion
from shopscope.storefront.assistant.entities import extract_order_ids as extract_order_ids
from shopscope.storefront.assistant.evaluation import evaluate_pairs as evaluate_pairs
from shopscope.storefront.assistant.evaluation import evaluate_queries as evaluate_queries
from shopscope.storefront.assistant.intents import INTENTS as INTENTS
from shopscope.storefront.assistant.intents import detect_intents as detect_intents
from shopscope.storefront.assistant.kbstore import read_kb as read_kb
from shopscope.storefront.assistant.kbstore import store_kb as store_kb
from shopscope.storefront.assistant.knowledge import KBEntry as KBEntry
from shopscope.storefront.assistant.knowledge import parse_kb as parse_kb
from shopscope.storefront.assistant.knowledge import read_kb_file as read_kb_file
from shopscope.storefront.assistant.orders import OrderFacts as OrderFacts
from shopscope.storefront.assistant.orders import lookup_order as lookup_order
from shopscope.storefront.assistant.retrieval import KnowledgeBase as KnowledgeBase
from shopscope.storefront.assistant.text import detect_language as detect_language
from shopscope.storefront.assistant.tickets import TicketStats as TicketStats
from shopscope.storefront.assistant.tickets import ticket_stats as ticket_stats

__all__ = [
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
