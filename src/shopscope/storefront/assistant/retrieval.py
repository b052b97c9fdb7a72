"""BM25 retrieval over knowledge-base entries (bm25s), with a similarity in [0, 1].

Scoring
-------
bm25s scores a query ``q`` against a document ``d`` with Lucene's BM25 [1]_ [2]_:

.. math::

    s(q, d) = \\sum_{t \\in q} \\mathrm{idf}(t)\\,
              \\frac{f_{t,d}}{f_{t,d} + k_1 (1 - b + b\\,|d| / \\mathrm{avgdl})},\\qquad
    \\mathrm{idf}(t) = \\ln\\Bigl(1 + \\frac{N - n_t + 0.5}{n_t + 0.5}\\Bigr)

with ``k1 = 1.5``, ``b = 0.75``; query terms are counted once. A raw BM25 score has no fixed
scale, so the assistant turns it into a **similarity**: the score divided by the score the
query would get against itself as a document of the same collection (every query term once,
length ``|q|``),

.. math:: \\mathrm{sim}(q, d) = \\min\\bigl(1,\\; s(q, d) / s(q, q)\\bigr).

It is 1 when the entry contains every query term (in a document no longer than the query), and
falls with the idf mass of the query terms the entry lacks. Query terms absent from the whole
collection count with ``n_t = 0`` (the largest idf): a question about something the knowledge
base never mentions gets a low similarity, which is what escalation needs.

Entries are indexed on their question (and tags) and, separately, their answer; the entry score
is ``s_question + answer_weight * s_answer``, and its similarity is that score over the query's
self-score in the question index (clipped to 1): answer matches help, but an entry whose
question is the query reaches 1 whatever its answer says.

References
----------
.. [1] Robertson, S. & Zaragoza, H. (2009). The Probabilistic Relevance Framework: BM25 and
   Beyond. *Foundations and Trends in Information Retrieval* 3(4), 333-389.
.. [2] Lù, X. H. (2024). BM25S: Orders of magnitude faster lexical search via eager sparse
   scoring. arXiv:2407.03618.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from shopscope.storefront.assistant.knowledge import KBEntry
from shopscope.storefront.assistant.text import tokenize

__all__ = ["BM25Index", "Hit", "KnowledgeBase"]

FloatArray = npt.NDArray[np.float64]


class BM25Index:
    """A bm25s index over token lists, plus the statistics for :meth:`self_score`.

    Parameters
    ----------
    documents:
        Token lists, one per document (may be empty lists).
    k1, b:
        BM25 parameters.
    """

    def __init__(self, documents: Sequence[Sequence[str]], *, k1: float = 1.5, b: float = 0.75):
        import bm25s

        # bm25s sets its own logger to DEBUG on import, which would reach the CLI's stderr
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        self.k1 = k1
        self.b = b
        self.n_docs = len(documents)
        self._df: Counter[str] = Counter()
        for doc in documents:
            self._df.update(set(doc))
        lengths = [len(d) for d in documents]
        self.avgdl = float(np.mean(lengths)) if lengths else 0.0
        self._bm25 = bm25s.BM25(k1=k1, b=b, method="lucene")
        self._empty = self.n_docs == 0 or not self._df
        if not self._empty:
            self._bm25.index([list(d) for d in documents], show_progress=False)

    def idf(self, token: str) -> float:
        """Lucene idf of ``token`` (``n_t = 0`` for a token the collection lacks)."""
        df = self._df.get(token, 0)
        return math.log(1 + (self.n_docs - df + 0.5) / (df + 0.5))

    def scores(self, tokens: Sequence[str]) -> FloatArray:
        """BM25 score of every document for the query ``tokens`` (each term counted once)."""
        known = [t for t in dict.fromkeys(tokens) if t in self._df]
        if self._empty or not known:
            return np.zeros(self.n_docs)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float64)

    def self_score(self, tokens: Sequence[str]) -> float:
        """The score of the query against itself as a document: the similarity's denominator."""
        unique = list(dict.fromkeys(tokens))
        if not unique or self.avgdl == 0:
            return 0.0
        norm = self.k1 * (1 - self.b + self.b * len(unique) / self.avgdl)
        return sum(self.idf(t) for t in unique) / (1 + norm)


@dataclass(frozen=True)
class Hit:
    """One retrieved entry: its raw score, its similarity in [0, 1] and its rank from 1."""

    entry: KBEntry
    score: float
    similarity: float
    rank: int


class KnowledgeBase:
    """Entries and their BM25 indexes; :meth:`search` returns the best entries for a question.

    Parameters
    ----------
    entries:
        The FAQ entries.
    answer_weight:
        Weight of the answer-text score next to the question score (0 indexes questions only).
    """

    def __init__(self, entries: Sequence[KBEntry], *, answer_weight: float = 0.3) -> None:
        self.entries = tuple(entries)
        self.answer_weight = answer_weight
        self._questions = BM25Index([tokenize(f"{e.question} {' '.join(e.tags)}") for e in entries])
        self._answers = BM25Index([tokenize(e.answer) for e in entries])
        self._language = np.array([e.language for e in entries], dtype=object)

    def __len__(self) -> int:
        return len(self.entries)

    def score_all(self, tokens: Sequence[str]) -> tuple[FloatArray, FloatArray]:
        """Raw scores and similarities of every entry for query ``tokens``."""
        w = self.answer_weight
        raw = self._questions.scores(tokens)
        denom = self._questions.self_score(tokens)
        if w:
            # answer matches add to the score but not to the ceiling: an entry whose question
            # is the query reaches similarity 1 whatever its answer says
            raw = raw + w * self._answers.scores(tokens)
        sim = np.minimum(1.0, raw / denom) if denom > 0 else np.zeros_like(raw)
        return raw, sim

    def search(self, question: str, *, k: int = 3, language: str | None = None) -> list[Hit]:
        """The ``k`` best entries for ``question`` (best first; entries with a zero score left out).

        With ``language``, entries in that language are preferred: others are returned only
        when no entry in it matches at all.
        """
        if not self.entries:
            return []
        raw, sim = self.score_all(tokenize(question))
        if language is not None:
            same = self._language == language
            if (raw[same] > 0).any():
                raw = np.where(same, raw, 0.0)
        order = np.argsort(-raw, kind="stable")[:k]
        return [
            Hit(self.entries[i], float(raw[i]), float(sim[i]), rank)
            for rank, i in enumerate(order, start=1)
            if raw[i] > 0
        ]
