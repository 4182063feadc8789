"""The in-memory snapshot of the KB collection: every chunk's text, metadata and embedding, and a
BM25 index over them (bot.kb.lexical).

It also keeps each chunk's metadata and embedding, so that hybrid scoring can
give every candidate a dense score and filter it like Chroma does.

Only chunks of articles for customers (`audience: customers`) enter the snapshot: articles
written for staff are stored and counted (bot.kb.status) but never served.

Reading is apart from making (`read_rows`, `changes`; then `of`, `updated`), so that a retriever
can read through a Chroma system of its own and stop it before the snapshot is made (bot.kb.store.
reading_kb). Vectors go page by page into one float32 array, and from it into a DenseIndex
(bot.kb.dense); texts for BM25 are made a batch at a time.

After an ingest, `refreshed` (`changes`, then `updated`) makes the next snapshot from this one:
it lists the ids in the store, reads only the chunks it has not seen (documents, metadata,
embeddings), marks the rows of chunks no longer stored as dead, and updates the BM25 statistics.
That relies on what ingest guarantees (ingest.sync): a chunk id carries its article's content
hash, which covers every stored field but `source`, so an id never changes meaning; an edit is new
ids plus deleted old ones. Once dead and recently added rows pass a fifth of the snapshot, it is
built whole again.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np
from chromadb.api.models.Collection import Collection

from bot.intents import ALL_INTENTS
from bot.kb.dense import DenseIndex, padded_rows
from bot.kb.lexical import LexicalIndex
from bot.kb.store import INTENT_KEY, date_key

PAGE = 2000  # rows per `get` with documents and embeddings
ID_PAGE = 50_000  # ids per `get` when listing what the store holds
SERVED_AUDIENCE = "customers"
REBUILD_SHARE = 0.2  # of the snapshot's rows, dead or added since the last whole build


PER_CHUNK = ("heading", "chunk_index")  # what differs between the chunks of one article version


class ChunkMeta(Mapping[str, Any]):
    """A chunk's metadata as Chroma holds it, with the part its article's chunks share kept once
    (a plain dict per chunk held most of a 100,000-chunk snapshot's memory)."""

    __slots__ = ("_own", "_shared")

    def __init__(self, own: tuple[Any, ...], shared: dict[str, Any]) -> None:
        self._own, self._shared = own, shared

    def __getitem__(self, key: str) -> Any:
        if key in PER_CHUNK:
            value = self._own[PER_CHUNK.index(key)]
            if value is _MISSING:
                raise KeyError(key)
            return value
        return self._shared[key]

    def __iter__(self) -> Iterator[str]:
        yield from (key for key, value in zip(PER_CHUNK, self._own, strict=True) if value is not _MISSING)
        yield from self._shared

    def __len__(self) -> int:
        return sum(value is not _MISSING for value in self._own) + len(self._shared)

    def __repr__(self) -> str:
        return repr(dict(self))


_MISSING = object()


class SharedParts:
    """One dict per distinct shared part (an article version), reused by its chunks."""

    def __init__(self) -> None:
        self._parts: dict[tuple[tuple[str, Any], ...], dict[str, Any]] = {}

    def meta(self, metadata: Mapping[str, Any]) -> ChunkMeta:
        shared = {key: value for key, value in metadata.items() if key not in PER_CHUNK}
        part = self._parts.setdefault(tuple(sorted(shared.items())), shared)
        own = tuple(_intern(metadata.get(key, _MISSING)) for key in PER_CHUNK)
        return ChunkMeta(own, part)


def _intern(value: Any) -> Any:
    return sys.intern(value) if isinstance(value, str) else value


@dataclass
class Rows:
    """Chunks as read from the store, customers' only; their vectors in one float32 array."""

    ids: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    metadatas: list[Mapping[str, Any]] = field(default_factory=list)
    skipped: set[str] = field(default_factory=set)  # stored, but not for customers
    skipped_articles: dict[str, str] = field(default_factory=dict)  # their article ids
    parts: SharedParts = field(default_factory=SharedParts)
    expected: int = 0  # rows to make room for at once (more are taken, at the cost of a copy)
    buffer: np.ndarray | None = None  # (at least padded_rows(len(ids)), d): the vectors, in order

    def add(self, page: Any) -> None:
        metas = page["metadatas"] or []
        keep = [i for i, m in enumerate(metas) if m.get("audience") == SERVED_AUDIENCE]
        for i, m in enumerate(metas):
            if m.get("audience") != SERVED_AUDIENCE:
                self.skipped.add(page["ids"][i])
                self.skipped_articles[page["ids"][i]] = str(m.get("article_id", ""))
        if keep:
            vectors = np.asarray(page["embeddings"], dtype=np.float32)
            self._put(vectors if len(keep) == len(vectors) else vectors[keep])
        self.ids.extend(page["ids"][i] for i in keep)
        self.documents.extend((page["documents"] or [])[i] for i in keep)
        self.metadatas.extend(self.parts.meta(metas[i]) for i in keep)

    def _put(self, vectors: np.ndarray) -> None:
        filled, needed = len(self.ids), len(self.ids) + len(vectors)
        if self.buffer is None or len(self.buffer) < padded_rows(needed):
            grown = np.empty((padded_rows(max(needed, self.expected, 2 * filled)), vectors.shape[1]), np.float32)
            if self.buffer is not None:
                grown[:filled] = self.buffer[:filled]
            self.buffer = grown
        self.buffer[filled:needed] = vectors

    def vectors(self) -> np.ndarray:
        return self.buffer[: len(self.ids)] if self.buffer is not None else np.zeros((0, 1), dtype=np.float32)

    def dense(self) -> DenseIndex:
        return DenseIndex.of(self.buffer, len(self.ids)) if self.buffer is not None else DenseIndex.empty(1)

    def texts(self) -> Iterator[str]:
        return texts(self.metadatas, self.documents)


def texts(metadatas: Iterable[Mapping[str, Any]], documents: Iterable[str]) -> Iterator[str]:
    """What BM25 indexes per chunk, made as they are consumed (100,000 at once held 100 MB)."""
    return (f"{m.get('title', '')}\n{m.get('heading', '')}\n{d}" for m, d in zip(metadatas, documents, strict=True))


@dataclass(frozen=True)
class Changes:
    """What a refresh read: the whole collection (`removed` None), or rows to append and live rows
    to mark dead."""

    rows: Rows
    removed: np.ndarray | None = None
    skipped: frozenset[str] = frozenset()


def read_rows(collection: Collection) -> Rows:
    """The whole collection, page by page."""
    rows = Rows(expected=collection.count())
    offset = 0
    while True:
        page = collection.get(include=["documents", "metadatas", "embeddings"], limit=PAGE, offset=offset)
        rows.add(page)
        if len(page["ids"]) < PAGE:
            return rows
        offset += PAGE
        del page
        release_freed_memory()  # each page's transients, else held between the rows kept: 300 MB at 100,000


class KBSnapshot:
    """Rows are appended, never reordered; a row whose chunk left the store is dead (never servable).
    A snapshot is not changed once made: queries may use it while the next one is built."""

    def __init__(
        self,
        ids: list[str],
        documents: list[str],
        metadatas: list[Mapping[str, Any]],
        embeddings: np.ndarray | DenseIndex,  # (n, d) unit vectors
        lexical: LexicalIndex | None = None,
        skipped: frozenset[str] = frozenset(),
        fetched: int | None = None,
        skipped_articles: dict[str, str] | None = None,
    ) -> None:
        self.ids = ids
        self.documents = documents
        self.metadatas = metadatas
        self.dense = embeddings if isinstance(embeddings, DenseIndex) else _dense(embeddings)
        self.lexical = lexical or LexicalIndex.build(texts(metadatas, documents))
        self.skipped = skipped  # ids of stored chunks not for customers
        self.skipped_articles = skipped_articles or {}  # their article ids
        self.fetched = len(ids) if fetched is None else fetched  # chunks read from the store to make it
        # Columns for fast filtering. The audience test repeats what `build` already did, for
        # an index made some other way.
        self._served = _served(metadatas) & self.lexical.live
        self._review_by = np.array([int(m.get("review_by", 0)) for m in metadatas], dtype=np.int64)
        self._intent_masks: dict[str, np.ndarray] = {}
        self.row_of = {chunk_id: row for row, chunk_id in enumerate(ids) if self.lexical.live[row]}  # live rows

    @property
    def embeddings(self) -> np.ndarray:
        """(n, d) unit vectors, float32."""
        return self.dense.vectors

    @property
    def size(self) -> int:
        """Chunks served (dead rows not counted)."""
        return len(self.row_of)

    def servable(self, intent: str, today: date) -> np.ndarray:
        """Boolean mask of chunks that may be served for this intent today."""
        mask = self._served & (self._review_by >= date_key(today))
        if intent == ALL_INTENTS:
            return mask
        if intent not in self._intent_masks:
            self._intent_masks[intent] = _intent_mask(self.metadatas, intent)
        return mask & self._intent_masks[intent]

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every row for the query (zeros if no query word is known)."""
        return self.lexical.scores(query)

    @classmethod
    def build(cls, collection: Collection) -> KBSnapshot:
        """The whole collection."""
        return cls.of(read_rows(collection))

    @classmethod
    def of(cls, rows: Rows) -> KBSnapshot:
        release_freed_memory()  # what reading left (Chroma's pages), before the indexes are made
        dense = rows.dense()
        lexical = LexicalIndex.build(rows.texts())
        snapshot = cls(
            rows.ids, rows.documents, rows.metadatas, dense, lexical, frozenset(rows.skipped),
            skipped_articles=rows.skipped_articles,
        )  # fmt: skip
        release_freed_memory()
        return snapshot

    def refreshed(self, collection: Collection, articles: set[str] | None = None) -> KBSnapshot:
        """The snapshot of the collection as it is now, reading only the chunks this one lacks."""
        return self.updated(self.changes(collection, articles))

    def changes(self, collection: Collection, articles: set[str] | None = None) -> Changes | None:
        """What to read for the snapshot of the collection as it is now; None if nothing changed.

        `articles`, when known (bot.kb.store.changed_since), are the only articles changed since
        this snapshot: their chunks are dropped and read again. Otherwise every stored id is listed
        and compared (about a second at 100,000 chunks)."""
        if articles is not None:
            return self._article_changes(collection, articles)
        stored = stored_ids(collection)
        listed = set(stored)
        removed = np.array([row for chunk_id, row in self.row_of.items() if chunk_id not in listed], dtype=np.int64)
        new = [chunk_id for chunk_id in stored if chunk_id not in self.row_of and chunk_id not in self.skipped]
        if not len(removed) and not new:
            return None
        if self._too_changed(len(removed), len(new)):
            return Changes(read_rows(collection))
        rows = Rows(expected=len(new))
        for start in range(0, len(new), PAGE):
            rows.add(collection.get(ids=new[start : start + PAGE], include=["documents", "metadatas", "embeddings"]))
        return Changes(rows, removed, self.skipped & listed)

    def _article_changes(self, collection: Collection, articles: set[str]) -> Changes | None:
        if not articles:
            return None if self._counted(self.size, self.skipped, collection) else self.changes(collection)
        rows = Rows()
        page = collection.get(
            where={"article_id": {"$in": sorted(articles)}}, include=["documents", "metadatas", "embeddings"]
        )
        rows.add(page)
        removed = np.array([r for r in self.row_of.values() if self.metadatas[r]["article_id"] in articles], np.int64)
        if self._too_changed(len(removed), len(rows.ids)):
            return Changes(read_rows(collection))
        skipped = frozenset(i for i in self.skipped if self.skipped_articles.get(i) not in articles)
        served = self.size - len(removed) + len(rows.ids)
        if self._counted(served, skipped | rows.skipped, collection):
            return Changes(rows, removed, skipped)
        return self.changes(collection)

    def updated(self, changes: Changes | None) -> KBSnapshot:
        """The snapshot with what `changes` read."""
        if changes is None:
            return self
        if changes.removed is None:
            return KBSnapshot.of(changes.rows)
        release_freed_memory()  # what reading left, before this snapshot's arrays are copied
        return self._with(changes.rows, changes.removed, changes.skipped)

    @staticmethod
    def _counted(served: int, skipped: frozenset[str] | set[str], collection: Collection) -> bool:
        """Whether a snapshot serving this many chunks and skipping these accounts for every stored
        chunk (else the log missed a write)."""
        return served + len(skipped) == collection.count()

    def _too_changed(self, removed: int, new: int) -> bool:
        changed = self.lexical.dead + removed + (self.lexical.rows - self.lexical.main_rows) + new
        return not self.row_of or changed > REBUILD_SHARE * (self.lexical.rows + new)

    def _texts(self, rows: np.ndarray) -> list[str]:
        return list(texts([self.metadatas[r] for r in rows], [self.documents[r] for r in rows]))

    def _with(self, rows: Rows, removed: np.ndarray, skipped: frozenset[str]) -> KBSnapshot:
        """This snapshot with rows `removed` dead and `rows` appended."""
        lexical = self.lexical.updated(removed, self._texts(removed), list(rows.texts()))
        snapshot = KBSnapshot.__new__(KBSnapshot)
        snapshot.ids = self.ids + rows.ids
        snapshot.documents = self.documents + rows.documents
        snapshot.metadatas = self.metadatas + rows.metadatas
        snapshot.dense = self.dense.appended(rows.vectors())
        snapshot.lexical = lexical
        snapshot.skipped = skipped | rows.skipped
        snapshot.skipped_articles = {**self.skipped_articles, **rows.skipped_articles}
        snapshot.fetched = len(rows.ids) + len(rows.skipped)
        # Only the new rows' columns are computed; the rest are copied.
        snapshot._served = np.concatenate([self._served, _served(rows.metadatas)]) & lexical.live
        snapshot._review_by = np.concatenate(
            [self._review_by, np.array([int(m.get("review_by", 0)) for m in rows.metadatas], dtype=np.int64)]
        )
        snapshot._intent_masks = {
            intent: np.concatenate([mask, _intent_mask(rows.metadatas, intent)])
            for intent, mask in list(self._intent_masks.items())
        }
        dead = set(removed.tolist())
        snapshot.row_of = {chunk_id: row for chunk_id, row in self.row_of.items() if row not in dead}
        snapshot.row_of.update((chunk_id, len(self.ids) + i) for i, chunk_id in enumerate(rows.ids))
        release_freed_memory()
        return snapshot


def stored_ids(collection: Collection) -> list[str]:
    """Every chunk id in the collection (no documents, metadata or embeddings)."""
    ids: list[str] = []
    offset = 0
    while True:
        page = collection.get(include=[], limit=ID_PAGE, offset=offset)
        ids.extend(page["ids"])
        if len(page["ids"]) < ID_PAGE:
            return ids
        offset += ID_PAGE


def _dense(embeddings: np.ndarray) -> DenseIndex:
    vectors = np.asarray(embeddings, dtype=np.float32)
    padded = np.zeros((padded_rows(len(vectors)), vectors.shape[1] if vectors.ndim == 2 else 1), dtype=np.float32)
    padded[: len(vectors)] = vectors
    return DenseIndex.of(padded, len(vectors))


def _served(metadatas: list[Mapping[str, Any]]) -> np.ndarray:
    return np.array(
        [m.get("verified") is True and m.get("audience") == SERVED_AUDIENCE for m in metadatas], dtype=bool
    ).reshape(-1)


def _intent_mask(metadatas: list[Mapping[str, Any]], intent: str) -> np.ndarray:
    key = INTENT_KEY + intent
    return np.array([m.get(key) is True for m in metadatas], dtype=bool).reshape(-1)


@lru_cache(maxsize=1)
def _malloc_trim() -> Any:
    libc = ctypes.util.find_library("c")
    return getattr(ctypes.CDLL(libc), "malloc_trim", None) if libc else None


def release_freed_memory() -> None:
    """Give the memory freed after reading a whole store back to the system (glibc keeps it
    otherwise: about 450 MB at 100,000 chunks, bench_query)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
