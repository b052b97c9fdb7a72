"""BM25 retrieval: bm25s scores against an independent BM25 written here, similarity, search."""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import mannwhitneyu

from shopscope.storefront.assistant import KBEntry, KnowledgeBase
from shopscope.storefront.assistant.evaluation import auc, evaluate_pairs, evaluate_queries
from shopscope.storefront.assistant.retrieval import BM25Index

DOCS = [
    ["return", "policy", "day", "refund"],
    ["ship", "time", "day", "day"],
    ["refund", "card"],
    ["gift", "wrap", "fee", "gift", "card", "message"],
    [],
]


def _bm25(query, doc, docs, k1=1.5, b=0.75):
    """Lucene BM25 from its definition (Robertson & Zaragoza 2009; Kamphuis et al. 2020)."""
    n = len(docs)
    avgdl = sum(len(d) for d in docs) / n
    total = 0.0
    for t in set(query):
        df = sum(t in d for d in docs)
        if df == 0:
            continue
        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        tf = doc.count(t)
        total += idf * tf / (tf + k1 * (1 - b + b * len(doc) / avgdl))
    return total


def test_bm25s_scores_equal_the_textbook_formula():
    index = BM25Index(DOCS)
    for query in (["refund"], ["day", "refund", "card"], ["gift", "gift", "unknown"], ["zzz"]):
        expected = [_bm25(query, d, DOCS) for d in DOCS]
        np.testing.assert_allclose(index.scores(query), expected, rtol=1e-5, atol=1e-6)


def test_self_score_is_the_score_of_the_query_as_its_own_document():
    # a query equal to an indexed document (unique terms) scores that document exactly
    index = BM25Index(DOCS)
    query = DOCS[0]
    assert math.isclose(index.self_score(query), index.scores(query)[0], rel_tol=1e-5)
    # unseen terms carry the largest idf (df = 0) in the denominator
    assert index.self_score(["return", "unseen"]) > index.self_score(["return"])
    assert index.self_score([]) == 0.0


def _kb():
    return KnowledgeBase(
        [
            KBEntry("ship-en", "How long does shipping take?", "3-5 working days.", "en",
                    ("shipping_time",)),
            KBEntry("ship-zh", "多久发货？", "付款后48小时内发货。", "zh", ("shipping_time",)),
            KBEntry("ret-en", "Can I return an item?", "Yes, within 30 days.", "en",
                    ("return_refund",)),
            KBEntry("pay-en", "Which payment methods do you accept?", "Cards and PayPal.", "en",
                    ("payment",)),
        ]
    )  # fmt: skip


def test_search_ranks_prefers_language_and_bounds_similarity():
    kb = _kb()
    hits = kb.search("how long will shipping take", k=3, language="en")
    assert hits[0].entry.entry_id == "ship-en"
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert all(0 <= h.similarity <= 1 for h in hits)
    assert kb.search("发货要多久", language="zh")[0].entry.entry_id == "ship-zh"
    # no match in the asked language: other languages are searched
    assert kb.search("return item", language="zh")[0].entry.entry_id == "ret-en"
    assert kb.search("quantum chromodynamics") == []
    assert KnowledgeBase([]).search("anything") == []


def test_similarity_is_one_for_the_exact_question_and_falls_with_unknown_words():
    kb = _kb()
    exact = kb.search("Which payment methods do you accept?")[0]
    assert exact.entry.entry_id == "pay-en" and exact.similarity > 0.95
    vaguer = kb.search("Which payment methods do you accept for bitcoin wallets?")[0]
    assert vaguer.entry.entry_id == "pay-en" and vaguer.similarity < exact.similarity


def test_auc_equals_mann_whitney():
    rng = np.random.default_rng(3)
    scores = np.round(rng.normal(size=300), 1)  # with ties
    labels = (rng.random(300) < 0.3 + 0.2 * (scores > 0)).astype(np.int64)
    u = mannwhitneyu(scores[labels == 1], scores[labels == 0]).statistic
    assert math.isclose(auc(scores, labels), u / ((labels == 1).sum() * (labels == 0).sum()))


def test_pair_evaluation_separates_paraphrases_from_unrelated_pairs():
    pairs = [
        ("how long does shipping take", "how long does the shipping take", 1),
        ("can I return my item", "can I return the item I bought", 1),
        ("which cards do you accept", "do you accept credit cards", 1),
        ("how long does shipping take", "do you accept credit cards", 0),
        ("can I return my item", "what is gift wrapping", 0),
        ("where is the invoice", "how long does shipping take", 0),
    ]
    result = evaluate_pairs(pairs)
    assert result.auc == 1.0
    assert result.mean_similarity_positive > result.mean_similarity_negative
    assert (result.pairs, result.positives, result.majority_rate) == (6, 3, 0.5)


def test_query_evaluation_counts_top_k_and_equivalent_answers():
    kb = _kb()
    queries = [
        ("shipping time", frozenset({"ship-en"})),
        ("return", frozenset({"ret-en"})),
        ("paypal", frozenset({"pay-en"})),  # only in the answer text
        ("bitcoin", frozenset({"pay-en"})),  # no match at all
    ]
    result = evaluate_queries(kb, queries, min_confidence=0.0)
    assert (result.queries, result.top1, result.top3) == (4, 0.75, 0.75)
    assert result.misses == ("bitcoin",)
