"""Precision, recall, F1 and latency percentiles for the evaluations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Confusion:
    tp: int
    fp: int
    fn: int
    tn: int

    @classmethod
    def of(cls, truth: Sequence[bool], predicted: Sequence[bool]) -> Confusion:
        pairs = list(zip(truth, predicted, strict=True))
        return cls(
            tp=sum(t and p for t, p in pairs),
            fp=sum(p and not t for t, p in pairs),
            fn=sum(t and not p for t, p in pairs),
            tn=sum(not t and not p for t, p in pairs),
        )

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float]:
        return {**asdict(self), "precision": self.precision, "recall": self.recall, "f1": self.f1}


def latency_ms(seconds: Sequence[float]) -> dict[str, float]:
    ms = np.asarray(seconds, dtype=float) * 1000
    return {"p50": float(np.percentile(ms, 50)), "p95": float(np.percentile(ms, 95)), "n": float(len(ms))}


def auc(scores: Sequence[float], truth: Sequence[bool]) -> float:
    """ROC AUC: the chance a positive outscores a negative (ties count half)."""
    s, y = np.asarray(scores, dtype=float), np.asarray(truth, dtype=bool)
    pos, neg = s[y], s[~y]
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(wins / (len(pos) * len(neg)))


def recall_at_fpr(scores: Sequence[float], truth: Sequence[bool], max_fpr: float) -> float:
    """The best recall of any threshold (flag when score >= it) that flags at most `max_fpr` of the negatives."""
    s, y = np.asarray(scores, dtype=float), np.asarray(truth, dtype=bool)
    best = 0.0
    for t in np.unique(s):
        if (s[~y] >= t).mean() <= max_fpr:
            best = max(best, float((s[y] >= t).mean()))
    return best


def specificity_at_recall(scores: Sequence[float], truth: Sequence[bool], min_recall: float) -> float:
    """The best share of negatives left below a threshold that keeps at least `min_recall` of the positives."""
    s, y = np.asarray(scores, dtype=float), np.asarray(truth, dtype=bool)
    best = 0.0
    for t in np.unique(s):
        if (s[y] >= t).mean() >= min_recall:
            best = max(best, float((s[~y] < t).mean()))
    return best
