"""The block-vector store, on embedded Chroma and on a real `chroma run` server on loopback."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from bot.config import Settings
from bot.embedding import local_embedder
from bot.kb import blocks
from bot.kb.retrieval import make_retriever
from bot.kb.store import chroma_client, open_kb
from ingest import cli
from ingest.blocks import block_texts

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures"


def unit(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).normal(size=384).astype(np.float32)
    return vector / np.linalg.norm(vector)


def test_rows_written_are_read_back_by_text_and_deleted_by_chunk_or_article(store_settings: Settings) -> None:
    client = chroma_client(store_settings)
    collection = blocks.open_blocks(client, store_settings.collection, local_embedder(), create=True)
    rows = [
        blocks.BlockRow("a::h::0", "a", 0, "Returns\nWithin 30 days.", unit(1)),
        blocks.BlockRow("a::h::0", "a", 1, "Returns\nA fee of 39 EUR.", unit(2)),
        blocks.BlockRow("b::h::0", "b", 0, "Delivery\nTwo days.", unit(3)),
    ]
    blocks.write(collection, rows)

    found = blocks.read(
        collection,
        {"a::h::0": ["Returns\nA fee of 39 EUR.", "Returns\nsomething else"], "b::h::0": ["Delivery\nTwo days."]},
    )
    np.testing.assert_allclose(found["a::h::0"][0], unit(2), atol=1e-6)
    assert found["a::h::0"][1] is None  # a text it was not made from
    np.testing.assert_allclose(found["b::h::0"][0], unit(3), atol=1e-6)
    assert blocks.read(collection, {"c::h::0": ["x"]}) == {"c::h::0": [None]}

    blocks.delete_chunks(collection, ["b::h::0"])
    assert collection.count() == 2
    blocks.delete_articles(collection, ["a"])
    assert collection.count() == 0


def test_ingest_stores_every_blocks_vector_and_the_reader_finds_it(store_settings: Settings) -> None:
    assert cli.main([str(FIXTURES / "kb" / "articles"), "--quiet"], store_settings) == 0
    _, kb = open_kb(store_settings, local_embedder(), create=False)
    chunks = kb.get(include=["documents", "metadatas"])
    wanted = {
        cid: block_texts(str(meta["title"]), str(meta["heading"]), text)
        for cid, meta, text in zip(chunks["ids"], chunks["metadatas"] or [], chunks["documents"] or [], strict=True)
    }
    reader = blocks.for_retriever(make_retriever(store_settings), local_embedder())
    found = reader(wanted)
    assert set(found) == set(wanted)
    texts = [t for cid in wanted for t in wanted[cid]]
    stored = np.array([v for cid in wanted for v in found[cid]])
    np.testing.assert_allclose(stored, local_embedder().embed(texts), atol=1e-5)


def test_the_reader_follows_the_retrievers_reopened_client(settings: Settings) -> None:
    assert cli.main([str(FIXTURES / "kb" / "articles"), "--quiet"], settings) == 0
    retriever = make_retriever(settings)
    reader = blocks.for_retriever(retriever, local_embedder())
    kb = retriever.collection.get(limit=1, include=["documents", "metadatas"])
    meta, text = (kb["metadatas"] or [])[0], (kb["documents"] or [])[0]
    wanted = {kb["ids"][0]: block_texts(str(meta["title"]), str(meta["heading"]), text)}
    assert all(v is not None for v in reader(wanted)[kb["ids"][0]])
    retriever.client, retriever.collection = open_kb(settings, local_embedder(), create=False, fresh=True)
    assert all(v is not None for v in reader(wanted)[kb["ids"][0]])
    assert reader._opened is not None and reader._opened[0] is retriever.client


def test_a_store_without_block_vectors_or_a_failing_one_reads_as_not_stored(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    client = chroma_client(settings)
    missing = blocks.BlockVectors(lambda: (client, "no_such_kb"), local_embedder())
    assert missing({"a::h::0": ["x"]}) == {}

    class Broken:
        def get_collection(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            raise ConnectionError("server gone")

        get_or_create_collection = get_collection

    broken = blocks.BlockVectors(lambda: (Broken(), "kb"), local_embedder())  # type: ignore[arg-type,return-value]
    with caplog.at_level(logging.WARNING, logger="bot.kb.blocks"):
        assert broken({"a::h::0": ["x"]}) == {}
    assert "server gone" in caplog.text
