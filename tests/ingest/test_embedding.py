"""Ingest's parallel sessions give the vectors the plain local embedder gives."""

from __future__ import annotations

import numpy as np

from bot.embedding import MiniLMEmbedder, OpenAIEmbedder, local_embedder
from ingest.embedding import MIN_SHARE, ParallelEmbedder, for_ingest


def test_parallel_sessions_embed_like_one() -> None:
    texts = [f"Question {n}: " + "how do refunds and returns work " * (n % 7 + 1) for n in range(3 * MIN_SHARE + 5)]
    parallel = ParallelEmbedder(batch_size=8, workers=2)
    vectors = parallel.embed(texts)
    np.testing.assert_allclose(vectors, local_embedder().embed(texts), atol=1e-6)
    assert all(s.__dict__.get("_session") is not None for s in parallel.sessions)  # both did a share
    np.testing.assert_allclose(parallel.embed(texts[:3]), local_embedder().embed(texts[:3]), atol=1e-6)
    assert parallel.embed([]).shape == (0, parallel.dimensions)


def test_only_the_local_embedder_is_run_in_parallel() -> None:
    assert isinstance(for_ingest(MiniLMEmbedder()), ParallelEmbedder)
    remote = OpenAIEmbedder("text-embedding-3-small", client=None)
    assert for_ingest(remote) is remote
