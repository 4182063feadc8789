"""The Chroma collection that holds KB chunks, and the metadata each chunk carries.

Embedded `PersistentClient` under the data directory by default; `HttpClient`
when `CHROMA_HOST` is set. Intents are stored as one boolean key per intent
(`intent:<id>`) and dates as YYYYMMDD integers; the retriever filters on them in its
in-memory snapshot at query time (see bot.retrieval).
"""

from __future__ import annotations

from datetime import date

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings

from bot.config import Settings
from bot.embedding import ChromaEmbedder, Embedder

INTENT_KEY = "intent:"
# Chunk metadata written by ingest: the categories the moderator flagged the chunk for, and
# whether staff accepted it anyway (`python -m ingest --accept-flags`).
FLAGS_KEY = "moderation_flags"
ACCEPTED_KEY = "moderation_accepted"
REVISION_KEY = "revision"
MODEL_KEY = "embedding_model"


class StoreError(RuntimeError):
    pass


def chroma_client(settings: Settings) -> ClientAPI:
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        return chromadb.HttpClient(
            host=settings.chroma_host,
            port=settings.chroma_port,
            ssl=settings.chroma_ssl,
            settings=chroma_settings,
        )
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)


def kb_collection(client: ClientAPI, name: str, embedder: Embedder) -> Collection:
    """The KB collection, created on first use; refuses one built with another model."""
    collection = client.get_or_create_collection(
        name,
        embedding_function=ChromaEmbedder(embedder),  # type: ignore[arg-type]
        metadata={"hnsw:space": "cosine", MODEL_KEY: embedder.model_id, REVISION_KEY: 0},
    )
    built_with = (collection.metadata or {}).get(MODEL_KEY)
    if built_with and built_with != embedder.model_id:
        raise StoreError(
            f"collection {name!r} was built with embedding model {built_with!r}, but "
            f"{embedder.model_id!r} is configured: use another SAFEDESK_COLLECTION or re-ingest "
            "into an empty one"
        )
    return collection


def revision(collection: Collection) -> int:
    return int((collection.metadata or {}).get(REVISION_KEY, 0))


def bump_revision(collection: Collection) -> None:
    """Tell running retrievers (their lexical index) that the KB changed."""
    metadata = dict(collection.metadata or {})
    metadata[REVISION_KEY] = revision(collection) + 1
    metadata.pop("hnsw:space", None)  # fixed at creation; Chroma refuses to change it
    collection.modify(metadata=metadata)


def date_key(day: date) -> int:
    return day.year * 10000 + day.month * 100 + day.day
