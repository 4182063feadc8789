"""The extractive responder reads the block vectors ingest stored and embeds only what it does not find."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from bot.config import Settings
from bot.embedding import local_embedder
from bot.kb.blocks import for_retriever
from bot.kb.retrieval import Passage, make_retriever
from bot.responders.extractive import ExtractiveResponder, block_texts
from ingest import cli

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures"
POLICY = Passage(
    "policy::h::0",
    "policy",
    "Our return policy",
    "https://kb.example/policy",
    "Return windows",
    "You can return most items within **30 days** of delivery.\n\nLarge items are collected for €39:\n\n"
    "- sofas\n- beds",
    0.6,
    0.6,
    0.5,
)


class QuestionsOnly:
    """The real embedder for the question; anything else (a block) fails the test."""

    def __init__(self, question: str) -> None:
        self.inner = local_embedder()
        self.model_id = self.inner.model_id
        self.dimensions = self.inner.dimensions
        self.question = question
        self.blocks: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if list(texts) != [self.question]:
            self.blocks.extend(texts)
        return self.inner.embed(texts)


def test_a_turn_on_an_ingested_store_embeds_no_block(settings: Settings) -> None:
    assert cli.main([str(FIXTURES / "kb" / "articles"), "--quiet"], settings) == 0
    question = "which credit cards can I pay with?"
    retriever = make_retriever(settings)
    passages = retriever.search(question, "billing")
    assert passages
    embedder = QuestionsOnly(question)
    responder = ExtractiveResponder(160, embedder=embedder, stored_blocks=for_retriever(retriever, local_embedder()))
    answer = responder.respond(question, "billing", passages)
    assert answer.text and not answer.not_in_kb
    assert embedder.blocks == []
    # the same cosines as embedding the blocks during the turn
    ranked = {(b.passage, b.position): b.features["cosine"] for b in responder.rank(question, passages).blocks}
    fresh = ExtractiveResponder(160, embedder=local_embedder()).rank(question, passages)
    for block in fresh.blocks:
        assert abs(ranked[(block.passage, block.position)] - block.features["cosine"]) < 1e-5


def test_blocks_not_stored_are_embedded_and_only_those() -> None:
    texts = block_texts(POLICY.title, POLICY.heading, POLICY.text)
    assert len(texts) == 2
    stored = {POLICY.chunk_id: [local_embedder().embed([texts[0]])[0], None]}

    def lookup(wanted: Mapping[str, Sequence[str]]) -> Mapping[str, list[np.ndarray | None]]:
        assert dict(wanted) == {POLICY.chunk_id: texts}  # asked with exactly what it would embed
        return stored

    question = "can I return a sofa?"
    embedder = QuestionsOnly(question)
    responder = ExtractiveResponder(160, embedder=embedder, stored_blocks=lookup)
    assert responder.respond(question, "Returns", [POLICY]).text
    assert embedder.blocks == [texts[1]]
    responder.respond(question, "Returns", [POLICY])  # cached per chunk: neither looked up nor embedded again
    assert embedder.blocks == [texts[1]]


def test_an_older_store_without_block_vectors_embeds_them_as_before() -> None:
    question = "can I return a sofa?"
    embedder = QuestionsOnly(question)
    responder = ExtractiveResponder(160, embedder=embedder, stored_blocks=lambda wanted: {})
    assert responder.respond(question, "Returns", [POLICY]).text
    assert embedder.blocks == block_texts(POLICY.title, POLICY.heading, POLICY.text)
