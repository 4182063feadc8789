"""Batched ingest: the same store as one article at a time, block vectors made once, nothing
written when nothing changed. Real embedder, real embedded Chroma."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from chromadb.api.models.Collection import Collection

from bot.config import Settings
from bot.embedding import local_embedder
from bot.intents import load_catalogue
from bot.kb import blocks
from bot.kb.store import chroma_client, kb_collection, open_kb
from bot.tokens import Tokenizer
from ingest import cli
from ingest.articles import Article, find_files, read_article
from ingest.blocks import RECIPE_KEY, block_texts
from ingest.sync import KBSync, PruneScope
from tests.support import CountingEmbedder

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"


def articles(settings: Settings, folder: Path | None = None) -> list[Article]:
    catalogue = load_catalogue(settings.intents_file)
    read = [read_article(f, r, catalogue, date.today()) for f, r in find_files([folder or settings.kb_dir])]
    return [a for a in read if isinstance(a, Article)]


def flag_by_vector(text: str, vector: np.ndarray) -> list[str]:
    """A stand-in moderator that depends on the vector: a chunk paired with another's is caught."""
    return ["test/positive"] if vector[0] > 0 else []


def sync_into(settings: Settings, batch_chunks: int, with_blocks: bool = True) -> tuple[dict[str, Any], list[str]]:
    client = chroma_client(settings)
    collection = kb_collection(client, settings.collection, local_embedder())
    block_collection = blocks.open_blocks(client, settings.collection, local_embedder(), create=True)
    sync = KBSync(
        collection,
        local_embedder(),
        settings.chunk_tokens,
        Tokenizer.from_settings(settings).count,
        flag_by_vector,
        blocks=block_collection if with_blocks else None,
        batch_chunks=batch_chunks,
    )
    summary = sync.apply(sync.plan(articles(settings), prune=PruneScope.everywhere()))
    return collection.get(include=["documents", "metadatas", "embeddings"]), summary.flagged


def test_batches_store_what_one_article_at_a_time_stores(settings: Settings, tmp_path: Path) -> None:
    one = settings.model_copy(update={"data_dir": tmp_path / "one"})
    many = settings.model_copy(update={"data_dir": tmp_path / "many"})
    single, single_flags = sync_into(one, batch_chunks=1)  # a batch is at least one whole article
    batched, batched_flags = sync_into(many, batch_chunks=10_000)
    assert len(single["ids"]) > 3
    order = np.argsort(single["ids"])
    again = np.argsort(batched["ids"])
    assert [single["ids"][i] for i in order] == [batched["ids"][i] for i in again]
    assert [single["documents"][i] for i in order] == [batched["documents"][i] for i in again]
    assert [single["metadatas"][i] for i in order] == [batched["metadatas"][i] for i in again]
    np.testing.assert_allclose(
        np.asarray(single["embeddings"])[order], np.asarray(batched["embeddings"])[again], atol=1e-5
    )
    assert sorted(single_flags) == sorted(batched_flags) and single_flags  # the stand-in flags some chunks
    # And each chunk's vector is the one it gets embedded alone.
    for n in order[:5]:
        meta = single["metadatas"][n]
        text = "\n".join(p for p in (meta["title"], meta["heading"], single["documents"][n]) if p)
        np.testing.assert_allclose(single["embeddings"][n], local_embedder().embed([text])[0], atol=1e-5)


def test_each_chunks_block_vectors_are_made_in_the_same_pass(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = CountingEmbedder()
    monkeypatch.setattr(cli, "make_embedder", lambda s: counting)
    assert cli.main([str(settings.kb_dir), "--quiet"], settings) == 0
    client, kb = open_kb(settings, local_embedder(), create=False)
    chunks = kb.get(include=["documents", "metadatas"])
    wanted = {
        cid: block_texts(str(meta["title"]), str(meta["heading"]), text)
        for cid, meta, text in zip(chunks["ids"], chunks["metadatas"] or [], chunks["documents"] or [], strict=True)
    }
    stored = blocks.read(blocks.open_blocks(client, settings.collection, local_embedder(), create=False), wanted)
    assert all(v is not None for row in stored.values() for v in row)
    assert {t for texts in wanted.values() for t in texts} <= set(counting.texts)
    assert all(meta[RECIPE_KEY] for meta in chunks["metadatas"] or [])


def _refuse_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError(f"an unchanged re-ingest wrote to {self.name}")

    for method in ("add", "upsert", "update", "delete", "modify"):
        monkeypatch.setattr(Collection, method, refuse)


def test_an_unchanged_reingest_embeds_and_writes_nothing(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main([str(settings.kb_dir), "--quiet", "--prune"], settings) == 0
    counting = CountingEmbedder()
    monkeypatch.setattr(cli, "make_embedder", lambda s: counting)
    _refuse_writes(monkeypatch)
    capsys.readouterr()
    assert cli.main([str(settings.kb_dir), "--quiet", "--prune"], settings) == 0
    out = capsys.readouterr().out
    assert "chunks written: 0" in out and "unchanged: 3" in out
    assert counting.texts == []


def test_a_store_without_block_vectors_gets_them_without_reembedding_its_chunks(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sync_into(settings, batch_chunks=64, with_blocks=False)  # as ingest wrote stores before block vectors
    client, kb = open_kb(settings, local_embedder(), create=False)
    before = kb.get(include=["embeddings"])
    counting = CountingEmbedder()
    monkeypatch.setattr(cli, "make_embedder", lambda s: counting)
    capsys.readouterr()
    assert cli.main([str(settings.kb_dir), "--quiet"], settings) == 0
    out = capsys.readouterr().out
    assert "chunks written: 0" in out and "block vectors made again (unchanged articles): 3" in out
    chunks = kb.get(include=["documents", "metadatas", "embeddings"])
    assert chunks["ids"] == before["ids"]
    np.testing.assert_array_equal(chunks["embeddings"], before["embeddings"])
    texts = {
        t
        for meta, doc in zip(chunks["metadatas"] or [], chunks["documents"] or [], strict=True)
        for t in block_texts(str(meta["title"]), str(meta["heading"]), doc)
    }
    assert set(counting.texts) == texts  # the block texts only, no chunk
    assert blocks.open_blocks(client, settings.collection, local_embedder(), create=False).count() >= len(texts)


def test_replacing_and_pruning_an_article_drops_its_block_vectors(settings: Settings, tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    shutil.copytree(settings.kb_dir, kb)
    assert cli.main([str(kb), "--quiet", "--prune"], settings) == 0
    client, collection = open_kb(settings, local_embedder(), create=False)
    block_collection = blocks.open_blocks(client, settings.collection, local_embedder(), create=False)

    def block_chunks() -> set[str]:
        return {str(m[blocks.CHUNK_KEY]) for m in block_collection.get(include=["metadatas"])["metadatas"] or []}

    assert block_chunks() == set(collection.get()["ids"])
    path = kb / "account-password.md"
    path.write_text(path.read_text().replace("60 minutes", "30 minutes"))
    assert cli.main([str(kb), "--quiet", "--prune"], settings) == 0
    assert block_chunks() == set(collection.get()["ids"])
    (kb / "shipping-times.md").unlink()
    assert cli.main([str(kb), "--quiet", "--prune"], settings) == 0
    assert block_chunks() == set(collection.get()["ids"])
    assert not any(cid.startswith("shipping-times::") for cid in block_chunks())


def test_an_edit_reembeds_only_the_chunks_and_blocks_whose_text_changed(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb = tmp_path / "kb"
    shutil.copytree(settings.kb_dir, kb)
    assert cli.main([str(kb), "--quiet"], settings) == 0
    path = kb / "account-password.md"
    assert path.read_text().count("60 minutes") == 1
    path.write_text(path.read_text().replace("60 minutes", "30 minutes"))
    counting = CountingEmbedder()
    monkeypatch.setattr(cli, "make_embedder", lambda s: counting)
    monkeypatch.setattr("ingest.screen.candidates", lambda text: [])  # the injection classifier reads nothing
    assert cli.main([str(kb), "--quiet"], settings) == 0
    assert counting.texts and all("30 minutes" in t for t in counting.texts), counting.texts
    # and every vector of the new version is what embedding its text gives
    _, collection = open_kb(settings, local_embedder(), create=False)
    new = collection.get(where={"article_id": "account-password"}, include=["documents", "metadatas", "embeddings"])
    texts = [
        "\n".join(p for p in (str(m["title"]), str(m["heading"]), d) if p)
        for m, d in zip(new["metadatas"] or [], new["documents"] or [], strict=True)
    ]
    assert len(texts) > 1
    np.testing.assert_allclose(np.asarray(new["embeddings"]), local_embedder().embed(texts), atol=1e-5)
