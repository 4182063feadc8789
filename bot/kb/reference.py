"""How alike the KB's articles are: the reference the bands read cosines against.

A help centre about one narrow product (every article about analytics, say) gives any on-topic
question a higher cosine to its closest chunk than a broad shop's help centre does, answerable
or not. Calibrated on one KB, a threshold on raw cosines then answers too much on another
(bench/bench_turn.py measured it). So the bands read a cosine as a percentile of the KB's own
reference distribution, computed from the KB alone, without labels: each chunk's best cosine to
a chunk of *another* article, summed up in its quantiles.
"""

from __future__ import annotations

from collections.abc import Callable
from threading import Lock

import numpy as np

from bot.kb.snapshot import KBSnapshot

QUANTILES = 21  # every 5 %: the percentile of a cosine is interpolated between them
MAX_CHUNKS = 1000  # rows compared against every chunk
BLOCK_ROWS = 64  # rows per matrix product: 64 x 100,000 cosines is 25 MB, not 1000 x 100,000 = 400 MB


def reference_quantiles(snapshot: KBSnapshot, limit: int = MAX_CHUNKS) -> np.ndarray | None:
    """The quantiles (0, 5, ..., 100 %) of each chunk's best cosine to a chunk of another
    article; None when the KB has fewer than two articles (nothing to compare with). At most
    `limit` chunks, evenly spaced, are compared, so the same KB always gives the same result."""
    articles = np.array([str(m["article_id"]) for m in snapshot.metadatas])
    if len(set(articles.tolist())) < 2:
        return None
    rows = np.unique(np.linspace(0, len(articles) - 1, min(limit, len(articles))).astype(int))
    best = np.empty(len(rows), dtype=np.float32)
    for start in range(0, len(rows), BLOCK_ROWS):  # bounded memory: BLOCK_ROWS x n cosines at a time
        block = rows[start : start + BLOCK_ROWS]
        cosines = snapshot.embeddings[block] @ snapshot.embeddings.T
        cosines[articles[block][:, None] == articles[None, :]] = -1.0
        best[start : start + len(block)] = cosines.max(axis=1)
    return np.quantile(best, np.linspace(0.0, 1.0, QUANTILES))


class KBReference:
    """The reference of the snapshot being served, computed once per snapshot (on the first turn
    after a rebuild: a matrix product, no embedding) and kept until the snapshot changes."""

    def __init__(self, snapshot: Callable[[], KBSnapshot], limit: int = MAX_CHUNKS) -> None:
        self.snapshot = snapshot
        self.limit = limit
        self._for: KBSnapshot | None = None
        self._value: np.ndarray | None = None
        self._lock = Lock()

    def __call__(self) -> np.ndarray | None:
        snapshot = self.snapshot()
        with self._lock:  # one computation per snapshot, however many sessions ask at once
            if snapshot is not self._for:
                self._value = reference_quantiles(snapshot, self.limit)
                self._for = snapshot
            return self._value
