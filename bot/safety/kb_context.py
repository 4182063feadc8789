"""What the help centre says about a question, as evidence for moderation.

A question close to the verified passages of the intent the user chose is most likely an
ordinary support question, even when a word in it ("proxy", "trigger", "cloak") sounds
dangerous out of context. Two figures, both over the chosen intent's servable passages only
(that is how the intent enters):

- `best`: the highest cosine between the question and a passage (what retrieval ranks by);
- `coverage`: the share of the question's unusual words (not English stop words) that occur
  in those passages.

The context model (bot.safety.classifiers.local_moderator) weighs them beside the moderator's own score;
it was fitted by safety_data/train.py with the same functions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from bm25s.stopwords import STOPWORDS_EN

_WORD = re.compile(r"[^\W\d_]{3,}")
_STOP = frozenset(STOPWORDS_EN)


@dataclass(frozen=True)
class KbEvidence:
    best: float  # highest cosine to a passage of the intent, 0 when there is none
    coverage: float  # share of the question's unusual words found in those passages (1 when it has none)


def unusual_words(text: str) -> set[str]:
    return {w for w in (m.lower() for m in _WORD.findall(text)) if w not in _STOP}


def vocabulary(texts: Iterable[str]) -> frozenset[str]:
    return frozenset(w.lower() for text in texts for w in _WORD.findall(text))


class KbSnapshot:
    """Passages' vectors and vocabulary: the KB a question is compared with."""

    def __init__(self, embeddings: np.ndarray, texts: Sequence[str]) -> None:
        self.embeddings = np.asarray(embeddings, dtype=np.float32)
        self.vocabulary = vocabulary(texts)

    def evidence(self, text: str, vector: np.ndarray) -> KbEvidence:
        best = float((self.embeddings @ vector).max()) if len(self.embeddings) else 0.0
        return evidence_of(best, text, self.vocabulary)


def evidence_of(best: float, text: str, words_held: frozenset[str]) -> KbEvidence:
    words = unusual_words(text)
    coverage = sum(w in words_held for w in words) / len(words) if words else 1.0
    return KbEvidence(max(0.0, best), coverage)


def _cosine(cosine: np.ndarray, rows: np.ndarray) -> np.ndarray:
    return cosine


class RetrieverKb:
    """Evidence from the retriever's in-memory snapshot (bot.kb.retrieval), per intent, cached until
    the snapshot changes. The question's vector comes from the retriever's embedder (a
    bot.embedding.QueryCache in the pipeline, so retrieval reuses it). The best cosine is the
    retriever's own exact dense search (bot.kb.dense) over the intent's rows: a copy of their
    vectors per intent held up to 154 MB each at 100,000 chunks, and one product over it 15 ms a turn."""

    def __init__(self, retriever: Any, today: Any = date.today) -> None:
        self.retriever = retriever  # bot.kb.retrieval.Retriever
        self.today = today
        self._index: Any = None
        self._snapshots: dict[tuple[str, date], tuple[np.ndarray, frozenset[str]]] = {}  # mask, vocabulary

    def evidence(self, text: str, intent: str) -> KbEvidence:
        index = self.retriever.index()
        if index is not self._index:  # a new KB revision: new snapshots
            self._index, self._snapshots = index, {}
        key = (intent, self.today())
        if key not in self._snapshots:
            mask = index.servable(intent, key[1]) if index.ids else np.zeros(0, dtype=bool)
            texts = (
                f"{m.get('title', '')}\n{m.get('heading', '')}\n{d}"
                for m, d, keep in zip(index.metadatas, index.documents, mask, strict=True)
                if keep
            )
            self._snapshots[key] = (mask, vocabulary(texts))
        mask, words_held = self._snapshots[key]
        vector = self.retriever.embedder.embed([text])[0]
        best = float(index.dense.candidates(vector, mask, -np.inf, 1, _cosine)[1].max()) if mask.any() else 0.0
        return evidence_of(best, text, words_held)
