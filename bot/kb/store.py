"""The Chroma collection that holds KB chunks, and the metadata each chunk carries.

Embedded `PersistentClient` under the data directory by default; `HttpClient`
when `CHROMA_HOST` is set. Intents are stored as one boolean key per intent
(`intent:<id>`) and dates as YYYYMMDD integers; the retriever filters on them in its
in-memory snapshot at query time (see bot.kb.retrieval).

Only ingest creates a store (`open_kb(..., create=True)`). The app and `python -m bot`
open an existing one and refuse a missing or unreadable store with a `StoreError` that
names it and says what to run, rather than serving an empty knowledge base.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from typing import Any

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import NotFoundError

from bot.config import Settings
from bot.embedding import ChromaEmbedder, Embedder
from bot.private_files import private_dir

INTENT_KEY = "intent:"
# Chunk metadata written by ingest: the categories the moderator flagged the chunk for, and
# whether staff accepted it anyway (`python -m ingest --accept-flags`).
FLAGS_KEY = "moderation_flags"
ACCEPTED_KEY = "moderation_accepted"
REVISION_KEY = "revision"
VERSION_KEY = "version"  # a fresh random token per ingest run: two runs that both reach revision N still differ
MODEL_KEY = "embedding_model"
CHANGES_KEY = "changes"  # JSON [[version, version before, article ids or null], ...] of the last runs
CHANGES_KEPT = 20
CHANGES_MAX_CHARS = 20_000
SQLITE_FILE = "chroma.sqlite3"  # what makes a folder an embedded Chroma store
LOAD_HINT = "load it with `python -m ingest` (or `make kb`)"
_SHARED_SYSTEMS = threading.Lock()  # around changes to Chroma's table of shared systems


class StoreError(RuntimeError):
    """The KB store is missing, unreadable or built for another model; the message says what to do."""


def store_location(settings: Settings) -> str:
    """Where the store is, as people should read it in a message."""
    if settings.chroma_host:
        return f"the Chroma server at {settings.chroma_host}:{settings.chroma_port}"
    return str(settings.chroma_path.resolve())


def chroma_client(settings: Settings, *, create: bool = True, fresh: bool = False) -> ClientAPI:
    """A client for the configured store.

    `create=False` refuses an embedded store that does not exist yet. `fresh=True` opens the
    embedded files anew: Chroma shares one in-process system per path whose readers cache
    segment state, and another process's ingest leaves them pointing at records that no longer
    exist ("Error finding id"). Clients opened earlier keep the system they already hold.
    """
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    where = store_location(settings)
    try:
        if settings.chroma_host:
            return chromadb.HttpClient(
                host=settings.chroma_host,
                port=settings.chroma_port,
                ssl=settings.chroma_ssl,
                settings=chroma_settings,
            )
        path = settings.chroma_path
        if not create and not (path / SQLITE_FILE).is_file():
            raise StoreError(f"no knowledge base at {where}: {LOAD_HINT} first")
        private_dir(settings.data_dir)  # 0700 when created here (bot.private_files)
        path.mkdir(parents=True, exist_ok=True)
        if fresh:
            with _SHARED_SYSTEMS:
                SharedSystemClient._identifier_to_system.pop(str(path), None)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except StoreError:
        raise
    except Exception as err:  # chromadb raises many types here (InternalError, ValueError, httpx errors)
        raise unreadable(settings, err) from err


def unreadable(settings: Settings, err: BaseException) -> StoreError:
    """The error for a store that exists but cannot be opened or read."""
    cause = f"{type(err).__name__}: {err}"
    if settings.chroma_host:
        return StoreError(
            f"cannot read the knowledge base from {store_location(settings)} ({cause}): check that the server "
            "runs (`chroma run`) and that CHROMA_HOST/CHROMA_PORT point at it"
        )
    path = settings.chroma_path.resolve()
    return StoreError(
        f"the knowledge base store at {path} cannot be read ({cause}); it may be damaged. Move it aside "
        f"(`mv {path} {path}.broken`) and rebuild it from the articles with `python -m ingest`"
    )


def kb_collection(client: ClientAPI, name: str, embedder: Embedder, *, create: bool = True) -> Collection:
    """The KB collection (created on first use if `create`); refuses one built with another model."""
    function = ChromaEmbedder(embedder)
    if create:
        collection = client.get_or_create_collection(
            name,
            embedding_function=function,  # type: ignore[arg-type]
            metadata={"hnsw:space": "cosine", MODEL_KEY: embedder.model_id, REVISION_KEY: 0},
        )
    else:
        try:
            collection = client.get_collection(name, embedding_function=function)  # type: ignore[arg-type]
        except NotFoundError:
            raise StoreError(f"the store holds no collection {name!r}: {LOAD_HINT}") from None
    built_with = (collection.metadata or {}).get(MODEL_KEY)
    if built_with and built_with != embedder.model_id:
        raise StoreError(
            f"collection {name!r} was built with embedding model {built_with!r}, but "
            f"{embedder.model_id!r} is configured: use another SAFEDESK_COLLECTION or re-ingest "
            "into an empty one"
        )
    return collection


def open_kb(
    settings: Settings, embedder: Embedder, *, create: bool, fresh: bool = False, check: bool = True
) -> tuple[ClientAPI, Collection]:
    """Client and KB collection, checked readable unless not `check`; every failure is a
    `StoreError` naming the store."""
    client = chroma_client(settings, create=create, fresh=fresh)
    return client, _checked_collection(settings, client, embedder, create=create, check=check)


def _checked_collection(
    settings: Settings, client: ClientAPI, embedder: Embedder, *, create: bool, check: bool = True
) -> Collection:
    try:
        collection = kb_collection(client, settings.collection, embedder, create=create)
        if check:
            collection.get(limit=1, include=["metadatas"])  # a damaged store often opens but cannot be read
    except StoreError as err:
        raise StoreError(f"{err} (store: {store_location(settings)})") from None
    except Exception as err:
        raise unreadable(settings, err) from err
    return collection


@contextmanager
def reading_kb(settings: Settings, embedder: Embedder) -> Iterator[Collection]:
    """The KB collection (checked readable, as `open_kb`) through a Chroma system no other client
    shares, stopped on exit. An embedded client that reads a collection's records loads its HNSW
    index and keeps it as long as its system lives: about 200 MB at 100,000 chunks, in a process
    whose retrieval never queries it (bench_query). A server's client holds no such thing."""
    if settings.chroma_host:
        yield open_kb(settings, embedder, create=False)[1]
        return
    path = str(settings.chroma_path)
    with _SHARED_SYSTEMS:  # a client made now finds the shared system as it was
        shared = SharedSystemClient._identifier_to_system.pop(path, None)
        try:
            client = chroma_client(settings, create=False)  # a missing store: the same StoreError
            system = SharedSystemClient._identifier_to_system.pop(path)
        finally:
            if shared is not None:
                SharedSystemClient._identifier_to_system[path] = shared
    try:
        yield _checked_collection(settings, client, embedder, create=False)
    finally:
        system.stop()


def revision(collection: Collection) -> int:
    return int((collection.metadata or {}).get(REVISION_KEY, 0))


def version(collection: Collection) -> tuple[int, str]:
    """The marker running retrievers compare: (revision, token) as of the last ingest that changed the KB."""
    metadata = collection.metadata or {}
    return int(metadata.get(REVISION_KEY, 0)), str(metadata.get(VERSION_KEY, ""))


def bump_revision(collection: Collection, changed: Iterable[str] | None = None) -> None:
    """Tell running retrievers (their snapshot), in this process or another, that the KB changed;
    `changed` names the articles whose chunks were written or deleted, if known, so that they read
    only those (bot.kb.snapshot)."""
    metadata = dict(collection.metadata or {})
    token = uuid.uuid4().hex
    articles = None if changed is None else sorted(set(changed))
    log = [*_changes(metadata), [token, str(metadata.get(VERSION_KEY, "")), articles]]
    while len(log) > 1 and (len(log) > CHANGES_KEPT or len(json.dumps(log)) > CHANGES_MAX_CHARS):
        log.pop(0)
    if len(json.dumps(log)) > CHANGES_MAX_CHARS:
        log[-1][2] = None  # too many to list: retrievers compare every id instead
    metadata[CHANGES_KEY] = json.dumps(log)
    metadata[REVISION_KEY] = revision(collection) + 1
    metadata[VERSION_KEY] = token
    metadata.pop("hnsw:space", None)  # fixed at creation; Chroma refuses to change it
    collection.modify(metadata=metadata)


def date_key(day: date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def changed_since(metadata: Mapping[str, Any] | None, served: str) -> set[str] | None:
    """The articles changed from version `served` to the current one, or None when the log does not
    say (another writer, a gap, or too many to list)."""
    metadata = metadata or {}
    log = {token: (before, articles) for token, before, articles in _changes(metadata)}
    token, changed = str(metadata.get(VERSION_KEY, "")), set()
    for _ in range(len(log) + 1):
        if token == served:
            return changed
        before, articles = log.get(token, ("", None))
        if articles is None:
            return None
        changed.update(articles)
        token = before
    return None


def _changes(metadata: Mapping[str, Any]) -> list[list[Any]]:
    try:
        log = json.loads(str(metadata.get(CHANGES_KEY, "[]")))
    except ValueError:
        return []
    return [entry for entry in log if isinstance(entry, list) and len(entry) == 3] if isinstance(log, list) else []
