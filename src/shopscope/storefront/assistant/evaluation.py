"""Retrieval quality: paraphrase pairs (AUC, accuracy) and labelled queries (top-1, top-3).

Pairs (e.g. AFQMC)
    Every distinct sentence becomes a document of one BM25 index. The similarity of a pair is
    the mean of the two directions' similarities (:mod:`retrieval`), so it is symmetric. AUC is
    the Mann-Whitney statistic with average ranks for ties. Accuracy uses a threshold chosen
    on the other half of the pairs (two folds by position, each fold's threshold maximising
    accuracy on the other), so it is not fitted on the pairs it is scored on; the majority-class
    rate is given beside it.
Queries
    Each query has a set of correct entry ids (entries with identical answers are equivalent).
    top-k = share of queries with a correct entry among the first k; MRR over the first 10;
    ``answered`` / ``answered_correct`` = share with top-1 similarity at or above the
    assistant's ``min_confidence`` and, among those, the share that are correct.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy.stats import rankdata

from shopscope.errors import FileFormatError, MissingColumnsError
from shopscope.storefront.assistant.retrieval import BM25Index, KnowledgeBase
from shopscope.storefront.assistant.text import tokenize

__all__ = [
    "PairEvaluation",
    "RetrievalEvaluation",
    "auc",
    "evaluate_pairs",
    "evaluate_queries",
    "pair_similarities",
    "read_pairs",
    "read_queries",
    "summarize_pairs",
]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class PairEvaluation:
    """Paraphrase-pair results."""

    pairs: int
    positives: int
    auc: float
    accuracy: float
    majority_rate: float
    thresholds: tuple[float, float]
    mean_similarity_positive: float
    mean_similarity_negative: float


@dataclass(frozen=True)
class RetrievalEvaluation:
    """Labelled-query results."""

    queries: int
    top1: float
    top3: float
    mrr: float
    min_confidence: float
    answered: float
    answered_correct: float
    misses: tuple[str, ...]


def auc(scores: FloatArray, labels: npt.NDArray[np.int64]) -> float:
    """Area under the ROC curve (Mann-Whitney U / (n1 n0), ties as half)."""
    pos = labels == 1
    n1, n0 = int(pos.sum()), int((~pos).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = rankdata(scores)
    return float((ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def pair_similarities(pairs: Sequence[tuple[str, str]]) -> FloatArray:
    """Symmetric BM25 similarity of each pair, with every distinct sentence indexed once."""
    sentences = sorted({s for p in pairs for s in p})
    position = {s: i for i, s in enumerate(sentences)}
    tokens = [tokenize(s) for s in sentences]
    index = BM25Index(tokens)
    out = np.zeros(len(pairs))
    for n, (a, b) in enumerate(pairs):
        ia, ib = position[a], position[b]
        sims = []
        for q, d in ((ia, ib), (ib, ia)):
            denom = index.self_score(tokens[q])
            sims.append(min(1.0, index.scores(tokens[q])[d] / denom) if denom > 0 else 0.0)
        out[n] = (sims[0] + sims[1]) / 2
    return out


def _best_threshold(sims: FloatArray, labels: npt.NDArray[np.int64]) -> float:
    candidates = np.unique(sims)
    accuracy = [((sims >= t) == (labels == 1)).mean() for t in candidates]
    return float(candidates[int(np.argmax(accuracy))])


def evaluate_pairs(pairs: Sequence[tuple[str, str, int]]) -> PairEvaluation:
    """AUC and cross-validated accuracy of the BM25 similarity against paraphrase labels."""
    sims = pair_similarities([(a, b) for a, b, _ in pairs])
    return summarize_pairs(sims, np.array([int(y) for _, _, y in pairs], dtype=np.int64))


def summarize_pairs(sims: FloatArray, labels: npt.NDArray[np.int64]) -> PairEvaluation:
    """:class:`PairEvaluation` of given similarities and 0/1 labels (see the module docstring)."""
    fold = np.arange(len(sims)) % 2
    correct = 0
    thresholds = []
    for f in (0, 1):
        t = _best_threshold(sims[fold != f], labels[fold != f])
        thresholds.append(t)
        correct += int(((sims[fold == f] >= t) == (labels[fold == f] == 1)).sum())
    positive = labels == 1
    return PairEvaluation(
        pairs=len(sims),
        positives=int(positive.sum()),
        auc=auc(sims, labels),
        accuracy=correct / len(sims),
        majority_rate=float(max(positive.mean(), 1 - positive.mean())),
        thresholds=(thresholds[0], thresholds[1]),
        mean_similarity_positive=float(sims[positive].mean()),
        mean_similarity_negative=float(sims[~positive].mean()),
    )


def evaluate_queries(
    kb: KnowledgeBase,
    queries: Sequence[tuple[str, frozenset[str]]],
    *,
    min_confidence: float = 0.3,
) -> RetrievalEvaluation:
    """top-1/top-3/MRR of ``kb.search`` for queries with their sets of correct entry ids."""
    same_answer: dict[str, set[str]] = {}
    for e in kb.entries:
        same_answer.setdefault(e.answer, set()).add(e.entry_id)
    by_id = {e.entry_id: e for e in kb.entries}
    top1 = top3 = answered = answered_ok = 0
    rr = 0.0
    misses = []
    for query, expected in queries:
        ok = set(expected)
        for eid in expected:
            if eid in by_id:
                ok |= same_answer[by_id[eid].answer]
        hits = kb.search(query, k=10)
        ids = [h.entry.entry_id for h in hits]
        first = next((r for r, i in enumerate(ids, start=1) if i in ok), None)
        top1 += first == 1
        top3 += first is not None and first <= 3
        rr += 1 / first if first else 0.0
        if hits and hits[0].similarity >= min_confidence:
            answered += 1
            answered_ok += first == 1
        if first != 1:
            misses.append(query)
    n = len(queries)
    return RetrievalEvaluation(
        queries=n,
        top1=top1 / n if n else float("nan"),
        top3=top3 / n if n else float("nan"),
        mrr=rr / n if n else float("nan"),
        min_confidence=min_confidence,
        answered=answered / n if n else float("nan"),
        answered_correct=answered_ok / answered if answered else float("nan"),
        misses=tuple(misses),
    )


def read_pairs(path: str | Path) -> list[tuple[str, str, int]]:
    """Paraphrase pairs from JSON Lines with ``sentence1``, ``sentence2``, ``label`` (AFQMC)."""
    p = Path(path)
    out = []
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise FileFormatError(f"Cannot read pairs file {p}: {exc}") from exc
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            out.append((str(row["sentence1"]), str(row["sentence2"]), int(row["label"])))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise FileFormatError(
                f"{p}:{n}: expected a JSON object with sentence1, sentence2 and label (0/1); "
                f"got {line[:80]!r} ({exc})."
            ) from exc
    if not out:
        raise FileFormatError(f"Pairs file {p} has no pairs.")
    return out


def read_queries(path: str | Path, kb: KnowledgeBase) -> list[tuple[str, frozenset[str]]]:
    """Queries from a CSV with ``query`` and ``expected`` (entry ids or questions, ``|``)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise FileFormatError(f"Cannot read queries file {p}: {exc}") from exc
    reader = csv.DictReader(text.splitlines())
    found = list(reader.fieldnames or [])
    if not {"query", "expected"} <= set(found):
        raise MissingColumnsError(
            f"Queries file {p} needs columns query, expected. Found: {', '.join(found)}.",
            expected=["query", "expected"],
            found=found,
        )
    by_question = {e.question: e.entry_id for e in kb.entries}
    ids = {e.entry_id for e in kb.entries}
    out = []
    for row in reader:
        expected = set()
        for item in (row["expected"] or "").split("|"):
            key = item.strip()
            if key in ids:
                expected.add(key)
            elif key in by_question:
                expected.add(by_question[key])
            else:
                raise FileFormatError(
                    f"{p}:{reader.line_num}: expected entry {key!r} is neither an entry id nor a "
                    "question of the knowledge base. Load the knowledge base first."
                )
        out.append((row["query"], frozenset(expected)))
    return out
