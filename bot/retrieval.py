"""Find the KB passages that answer a question, or nothing.

`Retriever.search(query, intent, k)` returns passages from verified, unexpired
articles of the chosen intent (or `all`), best first. A passage counts only if
its dense cosine similarity to the query reaches the relevance threshold; when
none does, the result is empty and the caller hands off to a human.

Chroma is the store; the retriever keeps an in-memory snapshot of it (vectors,
texts, metadata and a BM25 index), refreshed when ingest bumps the collection's
revision. Dense search over the snapshot is exact, and filtering happens there:
Chroma's own `where` filter cost ~75 ms a query at 10,000 chunks (bench_query).
Ranking is hybrid by default: a weighted sum of the dense cosine and the BM25
score (bm25s) normalised by the best BM25 score among servable chunks.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Literal

import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from threadpoolctl import ThreadpoolController

from bot.config import Settings
from bot.embedding import Embedder, make_embedder
from bot.intents import ALL_INTENTS
from bot.lexical import LexicalIndex
from bot.store import ACCEPTED_KEY, chroma_client, kb_collection, revision

Mode = Literal["hybrid", "dense", "bm25"]
DENSE_WEIGHT = 0.85  # chosen on the sample-KB question set (bench/bench_retrieval.py); Debian FAQ held out


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
    moderation_accepted: bool = False  # flagged at ingest, and accepted by staff (bot.store.ACCEPTED_KEY)


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
        self._building = threading.Lock()
        _single_threaded_blas()
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

        mask = index.servable(intent, today)
        cosine = index.embeddings @ vector  # exact: at 10,000 chunks this is well under a millisecond
        bm25 = np.where(mask, index.scores(query), 0.0)
        best = float(bm25.max())
        lexical = bm25 / best if best > 0 else bm25
        score = {
            "dense": cosine,
            "bm25": lexical,
            "hybrid": DENSE_WEIGHT * cosine + (1 - DENSE_WEIGHT) * lexical,
        }[self.mode]
        eligible = mask & (cosine >= threshold)
        if self.mode == "bm25":
            eligible &= lexical > 0
        found = np.flatnonzero(eligible)
        best_first = found[np.argsort(-score[found], kind="stable")[:k]]
        return [self._passage(index, int(i), float(score[i]), float(cosine[i]), float(lexical[i])) for i in best_first]

    @staticmethod
    def _passage(index: LexicalIndex, i: int, score: float, cosine: float, lexical: float) -> Passage:
        meta = index.metadatas[i]
        return Passage(
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
            moderation_accepted=meta.get(ACCEPTED_KEY) is True,
        )

    def index(self) -> LexicalIndex:
        """The in-memory snapshot of the KB, rebuilt when ingest bumps the collection's revision.

        The first build happens here; later rebuilds run in a background thread while queries
        keep using the previous snapshot, so no user waits seconds after a re-ingest.
        """
        now = time.monotonic()
        if self._index is not None and now - self._checked_at < self.refresh_seconds:
            return self._index
        self._checked_at = now
        # The collection object caches its metadata: ask the client for the current revision.
        current = revision(self.client.get_collection(self.collection.name))
        if self._index is None:
            self._index, self._revision = LexicalIndex.build(self.collection), current
        elif current != self._revision and self._building.acquire(blocking=False):
            threading.Thread(target=self._rebuild, args=(current,), daemon=True).start()
        return self._index

    def _rebuild(self, current: int) -> None:
        try:  # the lock was taken by index(); released here when the new snapshot is in place
            index = LexicalIndex.build(self.collection)
            self._index, self._revision = index, current
        finally:
            self._building.release()

    def wait_for_refresh(self) -> None:
        """Block until a background rebuild (if any) is done; for tests and benchmarks."""
        self.index()
        with self._building:
            pass


@lru_cache(maxsize=1)
def _single_threaded_blas() -> object:
    """One BLAS thread for the whole process. Our matrix-vector products take well under a
    millisecond; multi-threaded OpenBLAS spins its threads after each one and so slows the ONNX
    embedding that runs next (measured: a query's embed + search p95 16 ms -> 9 ms)."""
    return ThreadpoolController().limit(limits=1, user_api="blas")


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
