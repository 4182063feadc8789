"""The in-memory snapshot of the KB collection: every chunk's text, metadata and embedding, and a
BM25 index (bm25s) over them.

It also keeps each chunk's metadata and embedding, so that hybrid scoring can
give every candidate a dense score and filter it like Chroma does.

Only chunks of articles for customers (`audience: customers`) enter the snapshot: articles
written for staff are stored and counted (bot.kb.status) but never served.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import bm25s
import numpy as np
import Stemmer
from chromadb.api.models.Collection import Collection

from bot.intents import ALL_INTENTS
from bot.kb.store import INTENT_KEY, date_key

PAGE = 5000
SERVED_AUDIENCE = "customers"
_STEMMER = Stemmer.Stemmer("english")


def tokenize(texts: list[str]) -> list[list[str]]:
    return bm25s.tokenize(texts, stopwords="en", stemmer=_STEMMER, return_ids=False, show_progress=False)  # type: ignore[return-value]


@dataclass
class KBSnapshot:
    ids: list[str]
    documents: list[str]
    metadatas: list[dict[str, Any]]
    embeddings: np.ndarray  # (n, d) unit vectors
    bm25: bm25s.BM25 | None

    def __post_init__(self) -> None:
        # Columns for fast filtering. The audience test repeats what `build` already did, for
        # an index made some other way.
        self._served = np.array(
            [m.get("verified") is True and m.get("audience") == SERVED_AUDIENCE for m in self.metadatas], dtype=bool
        )
        self._review_by = np.array([int(m.get("review_by", 0)) for m in self.metadatas], dtype=np.int64)
        self._intent_masks: dict[str, np.ndarray] = {}

    def servable(self, intent: str, today: date) -> np.ndarray:
        """Boolean mask of chunks that may be served for this intent today."""
        mask = self._served & (self._review_by >= date_key(today))
        if intent == ALL_INTENTS:
            return mask
        if intent not in self._intent_masks:
            key = INTENT_KEY + intent
            self._intent_masks[intent] = np.array([m.get(key) is True for m in self.metadatas], dtype=bool)
        return mask & self._intent_masks[intent]

    @classmethod
    def build(cls, collection: Collection) -> KBSnapshot:
        ids: list[str] = []
        documents: list[str] = []
        metadatas: list[dict[str, Any]] = []
        vectors: list[np.ndarray] = []
        offset = 0
        while True:
            page = collection.get(include=["documents", "metadatas", "embeddings"], limit=PAGE, offset=offset)
            keep = [i for i, m in enumerate(page["metadatas"] or []) if m.get("audience") == SERVED_AUDIENCE]
            ids.extend(page["ids"][i] for i in keep)
            documents.extend((page["documents"] or [])[i] for i in keep)
            metadatas.extend(dict((page["metadatas"] or [])[i]) for i in keep)
            if keep:
                vectors.append(np.asarray(page["embeddings"], dtype=np.float32)[keep])
            if len(page["ids"]) < PAGE:
                break
            offset += PAGE
        embeddings = np.vstack(vectors) if vectors else np.zeros((0, 1), dtype=np.float32)
        bm25 = None
        if ids:
            bm25 = bm25s.BM25()
            texts = [
                f"{m.get('title', '')}\n{m.get('heading', '')}\n{d}" for m, d in zip(metadatas, documents, strict=True)
            ]
            bm25.index(tokenize(texts), show_progress=False)
        return cls(ids, documents, metadatas, embeddings, bm25)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for the query (zeros if no query word is known)."""
        if self.bm25 is None:
            return np.zeros(0, dtype=np.float32)
        vocab = self.bm25.vocab_dict
        tokens = [t for t in tokenize([query])[0] if t in vocab]
        if not tokens:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self.bm25.get_scores(tokens), dtype=np.float32)
