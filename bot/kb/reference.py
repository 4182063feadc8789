"""What a close but wrong match scores in this KB: the bands' reference cosine.

A help centre about one narrow product (every article about analytics, say) gives any on-topic
question a higher cosine to its closest chunk than a broad shop's help centre does, answerable
or not. Calibrated on one KB, a threshold on raw cosines then answers too much on another
(bench/bench_turn.py measured it). So the bands read cosines relative to the KB's own
reference, computed from the KB alone, without labels: the mean, over the KB's section headings
taken as questions, of the best cosine to a chunk of *another* article. It is what a question
on this KB's topic scores against an article that does not answer it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from threading import Lock

import numpy as np

from bot.kb.snapshot import KBSnapshot

MAX_HEADINGS = 200  # enough for a stable mean (sd ~0.12 / sqrt(200)), few enough to embed in a second or two

Embed = Callable[[Sequence[str]], np.ndarray]


def headings(snapshot: KBSnapshot, limit: int = MAX_HEADINGS) -> list[tuple[str, str]]:
    """The KB's distinct (article id, heading) pairs (the title where a chunk has no heading),
    sorted, and at most `limit` of them evenly spaced, so the same KB always gives the same ones."""
    pairs = sorted({(str(m["article_id"]), str(m.get("heading") or m.get("title") or "")) for m in snapshot.metadatas})
    pairs = [p for p in pairs if p[1].strip()]
    if len(pairs) > limit:
        pairs = [pairs[int(i)] for i in np.linspace(0, len(pairs) - 1, limit)]
    return pairs


def reference_cosine(snapshot: KBSnapshot, embed: Embed, limit: int = MAX_HEADINGS) -> float | None:
    """The mean best cosine of the KB's headings to chunks of other articles; None when the KB
    has fewer than two articles (nothing to compare with)."""
    pairs = headings(snapshot, limit)
    articles = np.array([str(m["article_id"]) for m in snapshot.metadatas])
    if not pairs or len(set(articles.tolist())) < 2:
        return None
    vectors = np.asarray(embed([text for _, text in pairs]), dtype=np.float32)
    cosines = vectors @ snapshot.embeddings.T
    own = np.array([a for a, _ in pairs])[:, None] == articles[None, :]
    cosines[own] = -1.0
    return float(cosines.max(axis=1).mean())


class KBReference:
    """The reference cosine of the snapshot being served, computed once per snapshot (on the
    first turn after a rebuild) and kept until the snapshot changes."""

    def __init__(self, snapshot: Callable[[], KBSnapshot], embed: Embed, limit: int = MAX_HEADINGS) -> None:
        self.snapshot = snapshot
        self.embed = embed
        self.limit = limit
        self._for: KBSnapshot | None = None
        self._value: float | None = None
        self._lock = Lock()

    def __call__(self) -> float | None:
        snapshot = self.snapshot()
        with self._lock:  # one computation per snapshot, however many sessions ask at once
            if snapshot is not self._for:
                self._value = reference_cosine(snapshot, self.embed, self.limit)
                self._for = snapshot
            return self._value
