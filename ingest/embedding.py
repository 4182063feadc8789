"""The local embedder as ingest runs it: one single-threaded ONNX session per core, each on a
share of the texts.

One session with two intra-op threads syncs its threads at each of the model's ~200 operators,
and on a busy machine a thread waiting for a descheduled peer spins: measured on this 2-core
machine (200 sample-KB chunks), 2 sessions x 1 thread took 0.70x the wall-clock and 0.79x the
CPU of 1 session x 2 threads, with bitwise the same vectors. A turn embeds one short text and
keeps the plain embedder (bot.embedding).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property

import numpy as np

from bot.embedding import Embedder, MiniLMEmbedder

MAX_WORKERS = 4
MIN_SHARE = 16  # texts per session below which splitting a call costs more than it saves


class ParallelEmbedder:
    def __init__(self, batch_size: int = 32, workers: int | None = None) -> None:
        self.workers = max(1, min(workers or os.cpu_count() or 1, MAX_WORKERS))
        self.sessions = [MiniLMEmbedder(batch_size, threads=1) for _ in range(self.workers)]  # each loads lazily
        self.model_id = MiniLMEmbedder.model_id
        self.dimensions = MiniLMEmbedder.dimensions

    @cached_property
    def _pool(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(self.workers, thread_name_prefix="embed")  # onnxruntime releases the GIL

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        workers = min(self.workers, len(texts) // MIN_SHARE)
        if workers <= 1:
            return self.sessions[0].embed(texts)
        # Dealt out by length, so that each session gets as many long texts as short ones.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        shares = [order[k::workers] for k in range(workers)]
        jobs = [self._pool.submit(self.sessions[k].embed, [texts[i] for i in share]) for k, share in enumerate(shares)]
        out = np.empty((len(texts), self.dimensions), dtype=np.float32)
        for share, job in zip(shares, jobs, strict=True):
            out[share] = job.result()
        return out


def for_ingest(embedder: Embedder) -> Embedder:
    """The local embedder in parallel sessions; any other (OpenAI) as it is."""
    if isinstance(embedder, MiniLMEmbedder):
        return ParallelEmbedder(embedder.batch_size)
    return embedder
