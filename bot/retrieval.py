"""Find the KB passages that answer a question, or nothing.

`Retriever.search(query, intent, k)` returns passages from verified, unexpired
articles of the chosen intent (or `all`), best first. A passage counts only if
its dense cosine similarity to the query reaches the relevance threshold; when
none does, the result is empty and the caller hands off to a human.

Ranking is hybrid by default: a weighted sum of the dense cosine (Chroma) and
the BM25 score (bm25s) normalised by the best BM25 score among servable chunks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection

from bot.config import Settings
from bot.embedding import Embedder, make_embedder
from bot.intents import ALL_INTENTS
from bot.lexical import LexicalIndex
from bot.store import chroma_client, kb_collection, revision, servable_filter

Mode = Literal["hybrid", "dense", "bm25"]
DENSE_WEIGHT = 0.85  # chosen on the sample-KB question set (bench/bench_retrieval.py); Debian FAQ held out
CANDIDATES = 30  # per ranker, before fusion


@dataclass(frozen=True)
class Passage:
    chunk_id: str
    article_id: str
    title: str
    url: str
    heading: str
    text: str
    score: float  # what the ranking used (hybrid, dense or bm25)
    dense: float  # cosine similarity to the query, 0..1 in practice
    lexical: float  # BM25 normalised to the best servable chunk, 0..1
    vector: np.ndarray | None = field(default=None, compare=False, repr=False)  # the chunk's embedding


class Retriever:
    def __init__(
        self,
        client: ClientAPI,
        collection: Collection,
        embedder: Embedder,
        *,
        mode: Mode = "hybrid",
        top_k: int = 4,
        threshold: float = 0.35,
        today: Callable[[], date] = date.today,
        refresh_seconds: float = 5.0,
    ) -> None:
        self.client = client
        self.collection = collection
        self.embedder = embedder
        self.mode = mode
        self.top_k = top_k
        self.threshold = threshold
        self.today = today
        self.refresh_seconds = refresh_seconds
        self._index: LexicalIndex | None = None
        self._revision = -1
        self._checked_at = 0.0

    def search(
        self,
        query: str,
        intent: str = ALL_INTENTS,
        k: int | None = None,
        *,
        query_vector: np.ndarray | None = None,
        threshold: float | None = None,
    ) -> list[Passage]:
        k = k or self.top_k
        threshold = self.threshold if threshold is None else threshold
        today = self.today()
        index = self.index()
        if not index.ids or not query.strip():
            return []
        vector = self.embedder.embed([query])[0] if query_vector is None else query_vector

        dense: dict[int, float] = {}
        if self.mode != "bm25":
            hits = self.collection.query(
                query_embeddings=[vector.tolist()],
                n_results=min(CANDIDATES, len(index.ids)),
                where=servable_filter(intent, today),  # type: ignore[arg-type]
                include=["distances"],
            )
            position = {chunk_id: i for i, chunk_id in enumerate(index.ids)}
            for chunk_id, distance in zip(hits["ids"][0], (hits["distances"] or [[]])[0], strict=True):
                if chunk_id in position:  # added after our snapshot: seen on the next refresh
                    dense[position[chunk_id]] = 1.0 - float(distance)

        mask = index.servable(intent, today)
        bm25 = index.scores(query) * mask
        best = float(bm25.max()) if bm25.size else 0.0
        lexical_norm = bm25 / best if best > 0 else bm25
        candidates = set(dense)
        if self.mode != "dense":
            top = np.argsort(-bm25)[:CANDIDATES]
            candidates.update(int(i) for i in top if bm25[i] > 0)

        passages = []
        for i in candidates:
            cosine = dense.get(i)
            if cosine is None:
                cosine = float(index.embeddings[i] @ vector)
            if cosine < threshold:
                continue
            lexical = float(lexical_norm[i])
            score = {
                "dense": cosine,
                "bm25": lexical,
                "hybrid": DENSE_WEIGHT * cosine + (1 - DENSE_WEIGHT) * lexical,
            }[self.mode]
            meta = index.metadatas[i]
            passages.append(
                Passage(
                    chunk_id=index.ids[i],
                    article_id=str(meta["article_id"]),
                    title=str(meta["title"]),
                    url=str(meta["url"]),
                    heading=str(meta.get("heading", "")),
                    text=index.documents[i],
                    score=score,
                    dense=cosine,
                    lexical=lexical,
                    vector=index.embeddings[i],
                )
            )
        passages.sort(key=lambda p: p.score, reverse=True)
        return passages[:k]

    def index(self) -> LexicalIndex:
        """The in-memory lexical index, rebuilt when ingest bumps the collection's revision."""
        now = time.monotonic()
        if self._index is not None and now - self._checked_at < self.refresh_seconds:
            return self._index
        self._checked_at = now
        # The collection object caches its metadata: ask the client for the current revision.
        current = revision(self.client.get_collection(self.collection.name))
        if self._index is None or current != self._revision:
            self._index = LexicalIndex.build(self.collection)
            self._revision = current
        return self._index


def make_retriever(settings: Settings, embedder: Embedder | None = None) -> Retriever:
    """A retriever over the configured store, with the configured embedder and thresholds."""
    embedder = embedder or make_embedder(settings)
    client = chroma_client(settings)
    return Retriever(
        client,
        kb_collection(client, settings.collection, embedder),
        embedder,
        mode=settings.retrieval_mode,
        top_k=settings.top_k,
        threshold=settings.relevance_threshold,
    )
