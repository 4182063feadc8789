"""The extractive answer's block vectors, computed once at ingest and stored beside the KB.

The extractive responder scores each block of a retrieved passage by its cosine to the
question (bot.responders.extractive). Embedding those blocks during a turn made a cold turn
cost over a second, so ingest embeds them with the chunks and keeps them here: a second Chroma
collection, `<collection>-blocks`, one row per block, id `<chunk id>#<n>`, with the chunk and
article ids and a key of the exact text that was embedded. A Chroma collection works the same
embedded and on a Chroma server, and the chunk ids carry the article's content hash, so a
block row never outlives the version it was made from by more than an ingest run.

The responder reads them through `BlockVectors`, matching each block by its text's key: a block
whose text the responder would embed differently (older store, changed block rules) is simply
not found and is embedded as before.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection

from bot.embedding import Embedder
from bot.kb.store import StoreError, kb_collection

if TYPE_CHECKING:  # ingest writes blocks without the retriever's imports (bm25s, scipy)
    from bot.kb.retrieval import Retriever

SUFFIX = "-blocks"
CHUNK_KEY = "chunk_id"
ARTICLE_KEY = "article_id"
TEXT_KEY = "text_key"
log = logging.getLogger(__name__)


def blocks_name(collection: str) -> str:
    return collection + SUFFIX


def text_key(text: str) -> str:
    """Names the exact text a vector was made from."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class BlockRow:
    chunk_id: str
    article_id: str
    index: int  # the block's place in its chunk
    text: str  # what was embedded
    vector: np.ndarray


def open_blocks(client: ClientAPI, collection: str, embedder: Embedder, *, create: bool) -> Collection:
    """The block collection of KB collection `collection`; StoreError if missing and not `create`."""
    return kb_collection(client, blocks_name(collection), embedder, create=create)


def write(collection: Collection, rows: Sequence[BlockRow]) -> None:
    """One upsert for all the rows."""
    if not rows:
        return
    collection.upsert(
        ids=[f"{r.chunk_id}#{r.index}" for r in rows],
        embeddings=np.array([r.vector for r in rows], dtype=np.float32),  # type: ignore[arg-type]
        metadatas=[{CHUNK_KEY: r.chunk_id, ARTICLE_KEY: r.article_id, TEXT_KEY: text_key(r.text)} for r in rows],
    )


def delete_chunks(collection: Collection, chunk_ids: Sequence[str]) -> None:
    if chunk_ids:
        collection.delete(where={CHUNK_KEY: {"$in": list(chunk_ids)}})


def delete_articles(collection: Collection, article_ids: Sequence[str]) -> None:
    if article_ids:
        collection.delete(where={ARTICLE_KEY: {"$in": list(article_ids)}})


def read(collection: Collection, wanted: Mapping[str, Sequence[str]]) -> dict[str, list[np.ndarray | None]]:
    """chunk id -> the stored vector of each of the given block texts (None where not stored)."""
    if not wanted:
        return {}
    found = collection.get(where={CHUNK_KEY: {"$in": list(wanted)}}, include=["embeddings", "metadatas"])
    by_key: dict[tuple[str, str], np.ndarray] = {}
    embeddings = found["embeddings"] if found["embeddings"] is not None else []
    for meta, vector in zip(found["metadatas"] or [], embeddings, strict=True):
        by_key[(str(meta[CHUNK_KEY]), str(meta[TEXT_KEY]))] = np.asarray(vector, dtype=np.float32)
    return {chunk_id: [by_key.get((chunk_id, text_key(text))) for text in texts] for chunk_id, texts in wanted.items()}


class BlockVectors:
    """The responder's reader. `source()` gives the client and KB collection name to read from,
    as of now: the retriever's, which it replaces when it reopens the store after an ingest
    (an embedded client's readers go stale then). Any failure reads as "not stored": the
    responder embeds the blocks itself, and a turn never fails for want of a stored vector."""

    def __init__(self, source: Callable[[], tuple[ClientAPI, str]], embedder: Embedder) -> None:
        self.source = source
        self.embedder = embedder
        self._opened: tuple[ClientAPI, str, Collection | None] | None = None

    def __call__(self, wanted: Mapping[str, Sequence[str]]) -> dict[str, list[np.ndarray | None]]:
        try:
            collection = self._collection()
            return read(collection, wanted) if collection is not None else {}
        except Exception as err:  # chromadb raises many types (httpx errors, InternalError, ...)
            log.warning("stored block vectors not read (%s: %s); embedding the blocks", type(err).__name__, err)
            self._opened = None
            return {}

    def _collection(self) -> Collection | None:
        client, name = self.source()
        if self._opened is None or self._opened[0] is not client or self._opened[1] != name:
            try:
                collection: Collection | None = open_blocks(client, name, self.embedder, create=False)
            except StoreError:  # a store from before block vectors: until the retriever reopens one
                collection = None
            self._opened = (client, name, collection)
        return self._opened[2]


def for_retriever(retriever: Retriever, embedder: Embedder) -> BlockVectors:
    """A reader that follows the retriever's current client and collection."""
    return BlockVectors(lambda: (retriever.client, retriever.collection.name), embedder)
