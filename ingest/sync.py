"""Bring the Chroma collection in line with a set of validated articles.

Articles are written in batches of whole articles (about `BATCH_CHUNKS` chunks): their chunks
and the extractive answer's block texts (ingest.blocks) are embedded in one call, screened by
the moderator from those vectors, and written with one `upsert` per collection; only then are
their older chunks deleted, with one `delete`. Chunk ids carry the content hash, so a crash
between the two leaves two whole versions, never half of one, and the next run finishes the
job; Ctrl-C is honoured between batches. An unchanged article (same content hash) is not
touched; one whose block vectors were made with an older recipe gets only those again. A changed
article takes the vectors of its older version's chunks and blocks whose text it kept.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from chromadb.api.models.Collection import Collection

from bot.embedding import Embedder
from bot.kb import blocks as block_store
from bot.kb.blocks import text_key
from bot.kb.store import ACCEPTED_KEY, FLAGS_KEY, INTENT_KEY, bump_revision, date_key
from ingest.articles import Article, Rejection
from ingest.blocks import RECIPE_KEY, block_texts
from ingest.blocks import recipe as blocks_recipe
from ingest.chunking import CHUNKER_VERSION, Chunk, chunk_article
from ingest.timings import StageTimes

PAGE = 5000  # rows per `get` when reading what the store holds
# Chunks per batch: one embedder call (it batches by length within), one upsert per collection.
# Small enough that Ctrl-C, honoured between batches, stops within seconds.
BATCH_CHUNKS = 64


@dataclass
class Plan:
    load: list[Article] = field(default_factory=list)  # new articles
    replace: list[Article] = field(default_factory=list)  # changed, or left incomplete by a crash
    unchanged: list[Article] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)  # article ids gone from the sources (--prune)
    sources: dict[str, str] = field(default_factory=dict)  # article id -> the file it was stored from
    stale_ids: dict[str, list[str]] = field(default_factory=dict)  # article id -> chunk ids to drop
    blocks_only: list[Article] = field(default_factory=list)  # unchanged, but block vectors of an older recipe
    stored: int = 0  # articles the store held when planned (0: a first load)

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
    blocks_refreshed: list[str] = field(default_factory=list)  # unchanged articles given new block vectors
    accepted: list[str] = field(default_factory=list)  # stored chunks flagged earlier that staff accepted now


@dataclass(frozen=True)
class StoredVersion:
    chunk_ids: tuple[str, ...]
    complete: bool
    source: str = ""  # the file it was read from, as given to ingest then
    recipes: frozenset[str] = frozenset()  # block-vector recipes its chunks record ("" if none)


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


@dataclass
class _Prepared:
    """An article chunked, with what its batch embeds."""

    article: Article
    content_hash: str
    chunks: list[Chunk]
    ids: list[str]
    texts: list[str]  # the chunks' embedding texts; none when only its block vectors are made again
    blocks: list[list[str]]  # per chunk, its blocks' embedded texts (none without a block store)
    stale_ids: list[str]


class KBSync:
    def __init__(
        self,
        collection: Collection,
        embedder: Embedder,
        chunk_tokens: int,
        count_tokens: Callable[[str], int],
        review: Callable[[str, np.ndarray], list[str]] | None = None,
        times: StageTimes | None = None,
        blocks: Collection | None = None,
        batch_chunks: int | None = None,
        accept_flags: bool = False,
    ) -> None:
        """`review(text, vector)` names the moderation categories a chunk is flagged for, if any;
        `blocks` is the block-vector collection (bot.kb.blocks), if the extractive answer's block
        vectors are to be stored. With `accept_flags` staff confirm the chunks `review` flags: each
        records `moderation_accepted` in its metadata, and answers quoting it are not blocked by
        output moderation."""
        self.collection = collection
        self.embedder = embedder
        self.chunk_tokens = chunk_tokens
        self.count_tokens = count_tokens
        self.review = review
        self.times = times or StageTimes()
        self.blocks = blocks
        self.batch_chunks = batch_chunks or BATCH_CHUNKS
        self.accept_flags = accept_flags
        self.salt = f"chunker={CHUNKER_VERSION};tokens={chunk_tokens};model={embedder.model_id}"

    def stored(self) -> dict[str, dict[str, StoredVersion]]:
        """article id -> content hash -> the chunks of that version in the store."""
        rows: dict[str, dict[str, list[tuple[str, int, str, str]]]] = defaultdict(lambda: defaultdict(list))
        offset = 0
        while True:
            page = self.collection.get(include=["metadatas"], limit=PAGE, offset=offset)
            for chunk_id, meta in zip(page["ids"], page["metadatas"] or [], strict=True):
                row = (chunk_id, int(meta["n_chunks"]), str(meta.get("source", "")), str(meta.get(RECIPE_KEY, "")))
                rows[str(meta["article_id"])][str(meta["content_hash"])].append(row)
            if len(page["ids"]) < PAGE:
                break
            offset += PAGE
        return {
            article_id: {
                content_hash: StoredVersion(
                    tuple(c[0] for c in chunks),
                    complete=len(chunks) == chunks[0][1],
                    source=chunks[0][2],
                    recipes=frozenset(c[3] for c in chunks),
                )
                for content_hash, chunks in versions.items()
            }
            for article_id, versions in rows.items()
        }

    def holds(self, stored: Mapping[str, Mapping[str, StoredVersion]]) -> Callable[[Article], bool]:
        """Whether this very version of an article (same content, same chunker) is complete in `stored`."""

        def held(article: Article) -> bool:
            current = stored.get(article.id, {}).get(article.content_hash(self.salt))
            return current is not None and current.complete

        return held

    def plan(
        self,
        articles: Sequence[Article],
        prune: PruneScope | None = None,
        stored: Mapping[str, Mapping[str, StoredVersion]] | None = None,
    ) -> Plan:
        """`stored` is `self.stored()` when the caller already read it."""
        if stored is None:
            with self.times.stage("plan (store read)"):
                stored = self.stored()
        plan = Plan(stored=len(stored))
        recipe = blocks_recipe() if self.blocks is not None else ""
        for article in articles:
            versions = stored.get(article.id, {})
            current = versions.get(article.content_hash(self.salt))
            others = [cid for h, v in versions.items() if h != article.content_hash(self.salt) for cid in v.chunk_ids]
            if current is not None and current.complete:
                if others:  # a crash left an older version behind
                    plan.replace.append(article)
                else:
                    plan.unchanged.append(article)
                    if recipe and current.recipes != {recipe}:
                        plan.blocks_only.append(article)
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
        on_progress: Callable[[int, int], None] = lambda done, planned: None,
    ) -> Summary:
        """`on_progress(chunks done, chunks planned)` is called once the articles are chunked, then after each batch."""
        summary = Summary(unchanged=[a.id for a in plan.unchanged])
        replacing = {a.id for a in plan.replace}
        refresh = {a.id for a in plan.blocks_only}
        accepted_articles: list[str] = []
        try:
            if self.accept_flags:
                summary.accepted, accepted_articles = self.accept_flagged()
            articles = [*plan.to_embed, *plan.blocks_only]
            with self.times.stage("chunk"):
                chunked = [chunk_article(a.body, self.chunk_tokens, self.count_tokens) for a in articles]
            planned, done = sum(map(len, chunked)), 0
            on_progress(done, planned)
            for batch in self._batches(articles, chunked, plan, refresh):
                if should_stop():
                    summary.interrupted = True
                    break
                self._write(batch, summary.flagged)
                for prepared in batch:
                    article = prepared.article
                    if article.id in refresh:
                        summary.blocks_refreshed.append(article.id)
                        continue
                    summary.chunks_written += len(prepared.chunks)
                    (summary.replaced if article.id in replacing else summary.loaded).append(article.id)
                    on_article(article, len(prepared.chunks))
                done += sum(len(p.chunks) for p in batch)
                on_progress(done, planned)
            if plan.remove and not summary.interrupted:
                with self.times.stage("chroma writes"):
                    self.collection.delete(where={"article_id": {"$in": plan.remove}})
                    if self.blocks is not None:
                        block_store.delete_articles(self.blocks, plan.remove)
                summary.removed.extend(plan.remove)
        finally:
            changed = summary.loaded + summary.replaced + summary.removed
            changed += [a for a in dict.fromkeys(accepted_articles) if a not in changed]
            if changed:
                with self.times.stage("chroma writes"):
                    bump_revision(self.collection, changed)
        return summary

    def _batches(
        self, articles: Sequence[Article], chunked: Sequence[list[Chunk]], plan: Plan, refresh: set[str]
    ) -> Iterator[list[_Prepared]]:
        """Whole articles, chunked, in batches of at least `batch_chunks` chunks (the last may be smaller)."""
        batch: list[_Prepared] = []
        for article, chunks in zip(articles, chunked, strict=True):
            batch.append(self._prepare(article, chunks, plan.stale_ids.get(article.id, []), article.id in refresh))
            if sum(len(p.chunks) for p in batch) >= self.batch_chunks:
                yield batch
                batch = []
        if batch:
            yield batch

    def _prepare(self, article: Article, chunks: list[Chunk], stale_ids: list[str], blocks_only: bool) -> _Prepared:
        content_hash = article.content_hash(self.salt)
        with self.times.stage("chunk"):
            blocks = [block_texts(article.title, c.heading, c.text) for c in chunks] if self.blocks is not None else []
        return _Prepared(
            article,
            content_hash,
            chunks,
            [f"{article.id}::{content_hash[:16]}::{c.index}" for c in chunks],
            [] if blocks_only else [embedding_text(article, c) for c in chunks],
            blocks,
            stale_ids,
        )

    def _write(self, batch: list[_Prepared], flagged: list[str]) -> None:
        texts = [t for p in batch for t in p.texts]
        block_rows = [(p, n, i, t) for p in batch for n, texts_ in enumerate(p.blocks) for i, t in enumerate(texts_)]
        with self.times.stage("embed"):
            vectors = self._embed([*texts, *(t for *_, t in block_rows)], self._known(batch))
        chunk_vectors, block_vectors = vectors[: len(texts)], vectors[len(texts) :]
        written = [p for p in batch if p.texts]
        recipe = {RECIPE_KEY: blocks_recipe()} if self.blocks is not None else {}
        metadatas = [
            chunk_metadata(p.article, c, len(p.chunks), p.content_hash) | recipe for p in written for c in p.chunks
        ]
        if self.review is not None:
            with self.times.stage("moderation screen"):
                rows = ((p, c) for p in written for c in p.chunks)
                for (p, chunk), text, vector, meta in zip(rows, texts, chunk_vectors, metadatas, strict=True):
                    if categories := self.review(text, vector):
                        accepted = " (accepted)" if self.accept_flags else ""
                        flagged.append(f"{p.article.id} #{chunk.index}: {', '.join(categories)}{accepted}")
                        meta[FLAGS_KEY] = ",".join(categories)
                        meta[ACCEPTED_KEY] = self.accept_flags
        with self.times.stage("chroma writes"):
            if self.blocks is not None:  # first: a chunk stored without its block vectors still answers
                rows_ = [
                    block_store.BlockRow(p.ids[n], p.article.id, i, text, vector)
                    for (p, n, i, text), vector in zip(block_rows, block_vectors, strict=True)
                ]
                block_store.write(self.blocks, rows_)
            if written:
                # Already-complete versions are re-upserted too (same ids): harmless and simple.
                self.collection.upsert(
                    ids=[i for p in written for i in p.ids],
                    embeddings=chunk_vectors,  # type: ignore[arg-type]
                    documents=[c.text for p in written for c in p.chunks],
                    metadatas=metadatas,  # type: ignore[arg-type]
                )
            refreshed = [p for p in batch if not p.texts]
            if refreshed:  # the chunks stay; their metadata records the recipe of their new block vectors
                self.collection.update(
                    ids=[i for p in refreshed for i in p.ids],
                    metadatas=[
                        chunk_metadata(p.article, c, len(p.chunks), p.content_hash) | recipe
                        for p in refreshed
                        for c in p.chunks
                    ],
                )
            self._drop([cid for p in batch for cid in p.stale_ids if cid not in set(p.ids)])

    def accept_flagged(self) -> tuple[list[str], list[str]]:
        """Marks every stored chunk flagged at ingest, and not yet accepted, as accepted by staff:
        what was accepted ("article #chunk: categories"), and the articles it was in."""
        accepted: list[str] = []
        articles: list[str] = []
        offset = 0
        while True:
            page = self.collection.get(include=["metadatas"], limit=PAGE, offset=offset)
            ids, metas = [], []
            for chunk_id, meta in zip(page["ids"], page["metadatas"] or [], strict=True):
                if meta.get(FLAGS_KEY) and meta.get(ACCEPTED_KEY) is not True:
                    ids.append(chunk_id)
                    metas.append({**meta, ACCEPTED_KEY: True})
                    accepted.append(f"{meta['article_id']} #{meta.get('chunk_index', '?')}: {meta[FLAGS_KEY]}")
                    articles.append(str(meta["article_id"]))
            if ids:
                self.collection.update(ids=ids, metadatas=metas)  # type: ignore[arg-type]
            if len(page["ids"]) < PAGE:
                break
            offset += PAGE
        return accepted, articles

    def _drop(self, obsolete: list[str]) -> None:
        """Delete older versions' chunks (and their block vectors), once the new ones are written."""
        if obsolete:
            self.collection.delete(ids=obsolete)
            if self.blocks is not None:
                block_store.delete_chunks(self.blocks, obsolete)

    def _embed(self, texts: list[str], known: dict[str, np.ndarray]) -> np.ndarray:
        """One embedder call for the texts whose vector is not `known` (by text key); a text that
        occurs twice is embedded once."""
        keys = [text_key(t) for t in texts]
        unique = {key: text for key, text in zip(keys, texts, strict=True) if key not in known}
        if unique:
            known = known | dict(zip(unique, self.embedder.embed(list(unique.values())), strict=True))
        if not texts:
            return np.zeros((0, self.embedder.dimensions), dtype=np.float32)
        return np.array([known[key] for key in keys], dtype=np.float32)

    def _known(self, batch: list[_Prepared]) -> dict[str, np.ndarray]:
        """The vectors of the versions being replaced, by the key of their text: an edit
        re-embeds only the chunks and blocks whose text it changed."""
        stale = [cid for p in batch for cid in p.stale_ids]
        if not stale:
            return {}
        known: dict[str, np.ndarray] = {}
        old = self.collection.get(ids=stale, include=["documents", "metadatas", "embeddings"])
        vectors = old["embeddings"] if old["embeddings"] is not None else []
        for text, meta, vector in zip(old["documents"] or [], old["metadatas"] or [], vectors, strict=True):
            embedded = "\n".join(part for part in (str(meta["title"]), str(meta.get("heading", "")), text) if part)
            known[text_key(embedded)] = np.asarray(vector, dtype=np.float32)
        if self.blocks is not None:
            rows = self.blocks.get(where={block_store.CHUNK_KEY: {"$in": stale}}, include=["metadatas", "embeddings"])
            vectors = rows["embeddings"] if rows["embeddings"] is not None else []
            for meta, vector in zip(rows["metadatas"] or [], vectors, strict=True):
                known[str(meta[block_store.TEXT_KEY])] = np.asarray(vector, dtype=np.float32)
        return known


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
