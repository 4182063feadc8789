"""Find the KB passages that answer a question, or nothing.

`Retriever.search(query, intent, k)` returns passages from verified, unexpired
articles of the chosen intent (or `all`), best first. A passage counts only if
its dense cosine similarity to the query reaches the relevance threshold; when
none does, the result is empty and the caller hands off to a human.

Chroma is the store; the retriever keeps an in-memory snapshot of it (vectors,
texts, metadata and a BM25 index), refreshed when an ingest run (in any process)
changes the version marker in the collection's metadata; a refresh reads only the chunks
that changed (bot.kb.snapshot). Each refresh reopens the
store, since an embedded client's readers go stale when another process writes. A
failed refresh keeps the previous snapshot, is logged, is retried, and shows in
`freshness()` (the staff KB page).

Dense search over the snapshot is exact, and filtering happens there:
Chroma's own `where` filter cost ~75 ms a query at 10,000 chunks, over a second at 100,000 (bench_query).
It reads int8 codes of the vectors and the exact float32 vectors of the few rows that can rank
(bot.kb.dense); `exact=True` takes the float32 product over all rows instead, with the same results.
The records are read through a Chroma system of the retriever's own, stopped once read
(bot.kb.store.reading_kb): the client it keeps polls the version marker and reads nothing.
Ranking is hybrid by default: a weighted sum of the dense cosine and the BM25
score (bm25s's Lucene variant, bot.kb.lexical) normalised by the best BM25 score among servable chunks.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Literal

import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from threadpoolctl import ThreadpoolController

from bot.config import Settings
from bot.embedding import Embedder, make_embedder
from bot.intents import ALL_INTENTS
from bot.kb.snapshot import KBSnapshot, read_rows, release_freed_memory
from bot.kb.store import ACCEPTED_KEY, changed_since, open_kb, reading_kb, version
from bot.turn import PassageRecord

Mode = Literal["hybrid", "dense", "bm25"]
Reopen = Callable[[], tuple[ClientAPI, Collection]]
Reader = Callable[[], AbstractContextManager[Collection]]
log = logging.getLogger(__name__)
DENSE_WEIGHT = 0.85  # chosen on the sample-KB question set (bench/bench_retrieval.py); Debian FAQ held out


@dataclass(frozen=True)
class Passage(PassageRecord):
    """A retrieved passage: what the record keeps, and the chunk's embedding."""

    vector: np.ndarray | None = field(default=None, compare=False, repr=False)
    moderation_accepted: bool = False  # flagged at ingest, and accepted by staff (bot.kb.store.ACCEPTED_KEY)


@dataclass(frozen=True)
class Freshness:
    """How the served snapshot relates to the store, for the staff KB page."""

    served_revision: int
    stored_revision: int
    error: str = ""  # why the last refresh failed; empty when it worked
    failing_since: datetime | None = None

    @property
    def current(self) -> bool:
        return not self.error and self.served_revision == self.stored_revision


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
        reopen: Reopen | None = None,
        reader: Reader | None = None,
        exact: bool = False,
    ) -> None:
        """`reopen()` gives a fresh client and collection for each refresh (see `make_retriever`),
        `reader()` the collection to read records through while in it; without them, refreshes
        read through the given collection."""
        self.client = client
        self.collection = collection
        self.embedder = embedder
        self.mode = mode
        self.top_k = top_k
        self.threshold = threshold
        self.today = today
        self.refresh_seconds = refresh_seconds
        self.exact = exact
        self.reader = reader
        self._index: KBSnapshot | None = None
        self._building = threading.Lock()
        _single_threaded_blas()
        self.reopen = reopen
        self._version: tuple[int, str] = (-1, "")  # of the snapshot being served
        self._stored: tuple[int, str] = (-1, "")  # in the store, as last seen
        self._error = ""
        self._failing_since: datetime | None = None
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
        bm25 = np.where(mask, index.scores(query), np.float32(0))
        best = float(bm25.max(initial=0))
        lexical = bm25 / best if best > 0 else bm25
        allowed = mask & (lexical > 0) if self.mode == "bm25" else mask

        def score(cosine: np.ndarray, rows: np.ndarray) -> np.ndarray:
            if self.mode == "dense":
                return cosine
            if self.mode == "bm25":
                return lexical[rows]
            return DENSE_WEIGHT * cosine + (1 - DENSE_WEIGHT) * lexical[rows]

        # rows (ascending) with exact cosines: every allowed one that could be among the k best
        dense = index.dense
        rows, cosine = (
            dense.every(vector, allowed) if self.exact else dense.candidates(vector, allowed, threshold, k, score)
        )
        scores = score(cosine, rows)
        found = np.flatnonzero(cosine >= threshold)
        if len(found) > k:  # thousands may pass the threshold in a large KB: sort only the best k (and ties)
            found = found[scores[found] >= -np.partition(-scores[found], k - 1)[k - 1]]
        best_first = found[np.argsort(-scores[found], kind="stable")[:k]]
        return [
            self._passage(index, int(rows[i]), float(scores[i]), float(cosine[i]), float(lexical[rows[i]]))
            for i in best_first
        ]

    @staticmethod
    def _passage(index: KBSnapshot, i: int, score: float, cosine: float, lexical: float) -> Passage:
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

    def index(self) -> KBSnapshot:
        """The in-memory snapshot of the KB, rebuilt when ingest changes the version marker.

        The first build happens here; later rebuilds run in a background thread while queries
        keep using the previous snapshot, so no user waits seconds after a re-ingest.
        """
        now = time.monotonic()
        if self._index is not None and now - self._checked_at < self.refresh_seconds:
            return self._index
        self._checked_at = now
        if self._index is None:
            self._version = self._stored = self._current_version()
            with self._reading(self.collection) as source:
                rows = read_rows(source)
            self._index = KBSnapshot.of(rows)
            return self._index
        try:
            self._stored = self._current_version()
        except Exception as err:  # the store may be briefly unreadable while another process writes
            self._failed("reading the store's version", err)
            stale = True
        else:
            stale = self._stored != self._version or bool(self._error)
        if stale and self._building.acquire(blocking=False):
            threading.Thread(target=self._rebuild, daemon=True, name="kb-refresh").start()
        return self._index

    def _current_version(self) -> tuple[int, str]:
        # The collection object caches its metadata: ask the client for the current marker.
        return version(self.client.get_collection(self.collection.name))

    def _rebuild(self) -> None:
        try:  # the lock was taken by index(); released here when the new snapshot is in place
            client, collection = self.reopen() if self.reopen else (self.client, self.collection)
            current = client.get_collection(collection.name)
            marker = version(current)  # read before the data: a later run changes it again, another refresh
            # Only what changed is read: the articles ingest logged, if its log covers the gap (bot.kb.store).
            articles = changed_since(current.metadata, self._version[1])
            old = self._index
            release_freed_memory()  # reading loads Chroma's HNSW index for the while: start low
            with self._reading(collection) as source:
                changes = old.changes(source, articles) if old is not None else None
                rows = read_rows(source) if old is None else None
            index = old.updated(changes) if old is not None else KBSnapshot.of(rows)  # type: ignore[arg-type]
            self.client, self.collection = client, collection
            self._index, self._version, self._stored = index, marker, marker
            if self._error:
                log.warning("KB snapshot refreshed again after failures, to revision %d", marker[0])
            else:
                log.info("KB snapshot refreshed to revision %d (%d passages)", marker[0], len(index.ids))
            self._error, self._failing_since = "", None
        except Exception as err:
            self._failed("refreshing the snapshot", err)
        finally:
            self._building.release()

    def _reading(self, collection: Collection) -> AbstractContextManager[Collection]:
        return self.reader() if self.reader else nullcontext(collection)

    def _failed(self, doing: str, err: Exception) -> None:
        message = f"{doing} failed: {type(err).__name__}: {err}"
        if message != self._error:  # once per distinct failure, not every few seconds
            log.error("KB %s; still serving revision %d. Will retry.", message, self._version[0], exc_info=err)
        self._error = message
        self._failing_since = self._failing_since or datetime.now(UTC)

    def freshness(self) -> Freshness:
        return Freshness(self._version[0], self._stored[0], self._error, self._failing_since)

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
    """A retriever over the configured store, with the configured embedder and thresholds.

    Raises `StoreError` if the store is missing or unreadable: an empty KB is never served."""
    embedder = embedder or make_embedder(settings)
    with reading_kb(settings, embedder):  # readable, checked without keeping what reading it loads
        pass
    client, collection = open_kb(settings, embedder, create=False, check=False)
    return Retriever(
        client,
        collection,
        embedder,
        mode=settings.retrieval_mode,
        top_k=settings.top_k,
        threshold=settings.relevance_threshold,
        reopen=lambda: open_kb(settings, embedder, create=False, fresh=True, check=False),
        reader=lambda: reading_kb(settings, embedder),
    )
