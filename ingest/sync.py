"""Bring the Chroma collection in line with a set of validated articles.

Each article version is written with one `upsert` of all its chunks (ids carry
the content hash), and only then are its older chunks deleted with one
`delete`. A crash between the two leaves two whole versions, never half of one,
and the next run finishes the job; Ctrl-C is honoured between articles.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from chromadb.api.models.Collection import Collection

from bot.embedding import Embedder
from bot.kb.store import ACCEPTED_KEY, FLAGS_KEY, INTENT_KEY, bump_revision, date_key
from ingest.articles import Article, Rejection
from ingest.chunking import CHUNKER_VERSION, Chunk, chunk_article

PAGE = 5000  # rows per `get` when reading what the store holds


@dataclass
class Plan:
    load: list[Article] = field(default_factory=list)  # new articles
    replace: list[Article] = field(default_factory=list)  # changed, or left incomplete by a crash
    unchanged: list[Article] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)  # article ids gone from the sources (--prune)
    sources: dict[str, str] = field(default_factory=dict)  # article id -> the file it was stored from
    stale_ids: dict[str, list[str]] = field(default_factory=dict)  # article id -> chunk ids to drop

    @property
    def to_embed(self) -> list[Article]:
        return self.load + self.replace


@dataclass
class Summary:
    loaded: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    chunks_written: int = 0
    interrupted: bool = False
    flagged: list[str] = field(default_factory=list)  # "article-id #chunk: categories" the moderator flags
    accepted: list[str] = field(default_factory=list)  # stored chunks flagged earlier that staff accepted now


@dataclass(frozen=True)
class StoredVersion:
    chunk_ids: tuple[str, ...]
    complete: bool
    source: str = ""  # the file it was read from, as given to ingest then


@dataclass(frozen=True)
class PruneScope:
    """What `--prune` may remove: stored articles read from a file under one of `roots` (the
    folders or files this run was given) that this run neither loaded nor rejected. A rejected
    file keeps its stored version; so does an article stored from anywhere else."""

    roots: tuple[Path, ...]
    rejected_sources: frozenset[Path] = frozenset()
    rejected_ids: frozenset[str] = frozenset()

    @classmethod
    def of(cls, roots: Sequence[Path], rejected: Sequence[Rejection]) -> PruneScope:
        return cls(
            tuple(_resolved(str(root)) for root in roots),
            frozenset(_resolved(r.source) for r in rejected),
            frozenset(r.article_id for r in rejected if r.article_id),
        )

    @classmethod
    def everywhere(cls) -> PruneScope:
        """Remove every stored article not given (benchmarks that load a KB of their own)."""
        return cls((Path("/"),))

    def may_remove(self, article_id: str, source: str) -> bool:
        if not source or article_id in self.rejected_ids:
            return False
        path = _resolved(source)
        return path not in self.rejected_sources and any(path.is_relative_to(root) for root in self.roots)


def _resolved(path: str) -> Path:
    """Absolute, as ingest would read it from the current folder (older runs stored relative paths)."""
    return Path(path).expanduser().resolve()


class KBSync:
    def __init__(
        self,
        collection: Collection,
        embedder: Embedder,
        chunk_tokens: int,
        count_tokens: Callable[[str], int],
        review: Callable[[str, np.ndarray], list[str]] | None = None,
        accept_flags: bool = False,
    ) -> None:
        """`review(text, vector)` names the moderation categories a chunk is flagged for, if any.
        With `accept_flags` staff confirm the chunks it flags: each records `moderation_accepted`
        in its metadata, and answers quoting it are not blocked by output moderation."""
        self.collection = collection
        self.embedder = embedder
        self.chunk_tokens = chunk_tokens
        self.count_tokens = count_tokens
        self.review = review
        self.accept_flags = accept_flags
        self.salt = f"chunker={CHUNKER_VERSION};tokens={chunk_tokens};model={embedder.model_id}"

    def stored(self) -> dict[str, dict[str, StoredVersion]]:
        """article id -> content hash -> the chunks of that version in the store."""
        rows: dict[str, dict[str, list[tuple[str, int, str]]]] = defaultdict(lambda: defaultdict(list))
        offset = 0
        while True:
            page = self.collection.get(include=["metadatas"], limit=PAGE, offset=offset)
            for chunk_id, meta in zip(page["ids"], page["metadatas"] or [], strict=True):
                row = (chunk_id, int(meta["n_chunks"]), str(meta.get("source", "")))
                rows[str(meta["article_id"])][str(meta["content_hash"])].append(row)
            if len(page["ids"]) < PAGE:
                break
            offset += PAGE
        return {
            article_id: {
                content_hash: StoredVersion(
                    tuple(cid for cid, _, _ in chunks), complete=len(chunks) == chunks[0][1], source=chunks[0][2]
                )
                for content_hash, chunks in versions.items()
            }
            for article_id, versions in rows.items()
        }

    def plan(self, articles: Sequence[Article], prune: PruneScope | None = None) -> Plan:
        stored = self.stored()
        plan = Plan()
        for article in articles:
            versions = stored.get(article.id, {})
            current = versions.get(article.content_hash(self.salt))
            others = [cid for h, v in versions.items() if h != article.content_hash(self.salt) for cid in v.chunk_ids]
            if current is not None and current.complete:
                if others:  # a crash left an older version behind
                    plan.replace.append(article)
                else:
                    plan.unchanged.append(article)
            elif versions:
                plan.replace.append(article)
            else:
                plan.load.append(article)
            if others or (current is not None and not current.complete):
                plan.stale_ids[article.id] = others
        if prune is not None:
            seen = {article.id for article in articles}
            for article_id in sorted(set(stored) - seen):
                sources = {v.source for v in stored[article_id].values()}
                if all(prune.may_remove(article_id, source) for source in sources):
                    plan.remove.append(article_id)
                    plan.sources[article_id] = ", ".join(sorted(sources))
        return plan

    def apply(
        self,
        plan: Plan,
        on_article: Callable[[Article, int], None] = lambda article, chunks: None,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> Summary:
        summary = Summary(unchanged=[a.id for a in plan.unchanged])
        replacing = {a.id for a in plan.replace}
        try:
            if self.accept_flags:
                summary.accepted = self.accept_flagged()
            for article in plan.to_embed:
                if should_stop():
                    summary.interrupted = True
                    break
                written = self._write(article, plan.stale_ids.get(article.id, []), summary.flagged)
                summary.chunks_written += written
                (summary.replaced if article.id in replacing else summary.loaded).append(article.id)
                on_article(article, written)
            for article_id in plan.remove:
                if should_stop():
                    summary.interrupted = True
                    break
                self.collection.delete(where={"article_id": article_id})
                summary.removed.append(article_id)
        finally:
            if summary.loaded or summary.replaced or summary.removed or summary.accepted:
                bump_revision(self.collection)
        return summary

    def _write(self, article: Article, stale_ids: list[str], flagged: list[str]) -> int:
        content_hash = article.content_hash(self.salt)
        chunks = chunk_article(article.body, self.chunk_tokens, self.count_tokens)
        ids = [f"{article.id}::{content_hash[:16]}::{c.index}" for c in chunks]
        texts = [embedding_text(article, c) for c in chunks]
        vectors = self.embedder.embed(texts)
        metadatas = [chunk_metadata(article, c, len(chunks), content_hash) for c in chunks]
        if self.review is not None:
            for chunk, text, vector, meta in zip(chunks, texts, vectors, metadatas, strict=True):
                if categories := self.review(text, vector):
                    accepted = " (accepted)" if self.accept_flags else ""
                    flagged.append(f"{article.id} #{chunk.index}: {', '.join(categories)}{accepted}")
                    meta[FLAGS_KEY] = ",".join(categories)
                    meta[ACCEPTED_KEY] = self.accept_flags
        # Already-complete versions are re-upserted too (same ids): harmless and simple.
        self.collection.upsert(
            ids=ids,
            embeddings=vectors,  # type: ignore[arg-type]
            documents=[c.text for c in chunks],
            metadatas=metadatas,  # type: ignore[arg-type]
        )
        obsolete = [cid for cid in stale_ids if cid not in set(ids)]
        if obsolete:
            self.collection.delete(ids=obsolete)
        return len(chunks)

    def accept_flagged(self) -> list[str]:
        """Marks every stored chunk flagged at ingest, and not yet accepted, as accepted by staff."""
        accepted: list[str] = []
        offset = 0
        while True:
            page = self.collection.get(include=["metadatas"], limit=PAGE, offset=offset)
            ids, metas = [], []
            for chunk_id, meta in zip(page["ids"], page["metadatas"] or [], strict=True):
                if meta.get(FLAGS_KEY) and meta.get(ACCEPTED_KEY) is not True:
                    ids.append(chunk_id)
                    metas.append({**meta, ACCEPTED_KEY: True})
                    accepted.append(f"{meta['article_id']} #{meta.get('chunk_index', '?')}: {meta[FLAGS_KEY]}")
            if ids:
                self.collection.update(ids=ids, metadatas=metas)  # type: ignore[arg-type]
            if len(page["ids"]) < PAGE:
                break
            offset += PAGE
        return accepted


def embedding_text(article: Article, chunk: Chunk) -> str:
    """What gets embedded: the chunk with its title and heading path for context."""
    return "\n".join(part for part in (article.title, chunk.heading, chunk.text) if part)


def chunk_metadata(article: Article, chunk: Chunk, n_chunks: int, content_hash: str) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "article_id": article.id,
        "title": article.title,
        "url": article.url,
        "heading": chunk.heading,
        "chunk_index": chunk.index,
        "n_chunks": n_chunks,
        "content_hash": content_hash,
        "intents": "|".join(article.intents),
        "verified": True,
        "verified_by": article.verified_by,
        "verified_at": date_key(article.verified_at),
        "review_by": date_key(article.review_by),
        "audience": article.audience,
        "attestation": article.attestation,
        "source": article.source,
    }
    for intent in article.intents:
        metadata[INTENT_KEY + intent] = True
    return metadata
