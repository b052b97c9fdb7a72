"""Optional embedding retriever: used only when a sentence-embedding model is installed locally.

Nothing is ever downloaded. :func:`local_dense_retriever` returns a retriever when

* the environment variable ``SHOPSCOPE_EMBEDDING_MODEL`` names an existing local directory
  holding a sentence-transformers model (for Chinese and English, e.g. a multilingual MiniLM
  copied there by the operator), and
* the ``sentence-transformers`` package is importable,

and ``None`` otherwise (the assistant then uses BM25 alone). The model is loaded with
``local_files_only`` semantics (a path, never a hub name). Its hits carry the cosine similarity
of normalised embeddings, clipped to [0, 1], and are merged with BM25's by best similarity
(:class:`~shopscope.storefront.assistant.assistant.Assistant`).
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from shopscope.storefront.assistant.knowledge import KBEntry
from shopscope.storefront.assistant.retrieval import Hit

__all__ = ["EmbeddingRetriever", "local_dense_retriever"]

log = logging.getLogger(__name__)

ENV_VAR = "SHOPSCOPE_EMBEDDING_MODEL"


class EmbeddingRetriever:
    """Cosine-similarity search over entry questions with a local sentence-embedding model."""

    def __init__(self, model: Any, entries: Sequence[KBEntry]) -> None:
        self.model = model
        self.entries = tuple(entries)
        vectors = model.encode([e.question for e in entries], normalize_embeddings=True)
        self._vectors = np.asarray(vectors, dtype=np.float32)
        self._language = np.array([e.language for e in entries], dtype=object)

    def search(self, question: str, *, k: int, language: str | None) -> list[Hit]:
        """The ``k`` entries closest to ``question`` (entries in ``language`` when given)."""
        if not self.entries:
            return []
        q = np.asarray(self.model.encode([question], normalize_embeddings=True), np.float32)[0]
        sims = np.clip(self._vectors @ q, 0.0, 1.0).astype(np.float64)
        if language is not None:
            sims = np.where(self._language == language, sims, 0.0)
        order = np.argsort(-sims, kind="stable")[:k]
        return [
            Hit(self.entries[i], float(sims[i]), float(sims[i]), r)
            for r, i in enumerate(order, start=1)
            if sims[i] > 0
        ]


def local_dense_retriever(entries: Sequence[KBEntry]) -> EmbeddingRetriever | None:
    """An :class:`EmbeddingRetriever` when a local model is configured and loadable, else None."""
    path = os.environ.get(ENV_VAR)
    if not path:
        return None
    if not Path(path).is_dir():
        log.warning("%s=%s is not a local directory; using BM25 only", ENV_VAR, path)
        return None
    if importlib.util.find_spec("sentence_transformers") is None:
        log.warning("%s is set but sentence-transformers is not installed; BM25 only", ENV_VAR)
        return None
    st = importlib.import_module("sentence_transformers")
    return EmbeddingRetriever(st.SentenceTransformer(path, local_files_only=True), entries)
