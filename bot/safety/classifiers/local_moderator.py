"""The offline moderator: logistic heads over MiniLM + TF-IDF features (bot.safety.classifiers.heads), and rules.

Trained by `python -m safety_data.train moderation` (data: safety_data/MANIFEST.md); the weights
(`bot/safety/classifiers/models/moderator.npz`, ~310 KB) ship in the repo. A `harmful` head decides whether
anything is flagged; per-category heads and rules (bot.safety.classifiers.moderation_rules) say what.

Three outcomes (bot.safety.verdict): BLOCK on a rule hit or when the harmful gate reaches the
block threshold; REVIEW between the review and block thresholds; PASS below. For an input
question the context model (`ContextModel`) weighs the gate with what the help centre says about
it (bot.safety.kb_context): a gate BLOCK it does not confirm is demoted to REVIEW, so near the
chosen intent's verified passages a block needs more evidence. The thresholds and the context
model were calibrated on leave-one-source-out validation scores (safety_data/train.py).

Framing must not talk past it (issue 18): an input question is also scored clause by clause
(`clauses`: its sentences cut at colons, semicolons and dashes) and each head takes its highest
part, so a support prefix ("For my billing question: ...") cannot dilute a harmful request; the
context is read for the part that scored highest, not for the prefix. And when a category head
is certain (at or over the calibrated `certain` score) the context demotes nothing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.embedding import Embedder
from bot.safety.classifiers.heads import MODELS, LinearHeads, ModelMissing
from bot.safety.classifiers.moderation_rules import rule_scores
from bot.safety.kb_context import KbEvidence
from bot.safety.moderation import CATEGORIES, ModerationResult
from bot.safety.verdict import BLOCK, PASS, REVIEW
from bot.text import split_sentences

MODEL_PATH = MODELS / "moderator.npz"
HARMFUL = "harmful"

__all__ = ["HARMFUL", "MODEL_PATH", "ContextModel", "LocalModerator", "ModelMissing", "Thresholds", "clauses"]

# What the context of a question part says (bot.safety.kb_context), or the evidence itself.
Evidence = Callable[[str], KbEvidence] | KbEvidence | None
CLAUSE_BREAK = re.compile(r"\s*[:;]\s+|\s+[-\u2013\u2014]+\s+|\s*\u2014\s*")
MIN_CLAUSE_WORDS = 3  # shorter parts ("Hi", "Billing") say nothing alone
MAX_PARTS = 16  # a longer text is scored in this many runs of consecutive clauses


def clauses(text: str) -> list[str]:
    """The parts of `text` scored on their own: its sentences cut at colons, semicolons and dashes,
    each of at least MIN_CLAUSE_WORDS words (at most MAX_PARTS runs); [] when that is the text itself."""
    parts = [
        part
        for sentence in split_sentences(text)
        for part in CLAUSE_BREAK.split(sentence)
        if len(part.split()) >= MIN_CLAUSE_WORDS
    ]
    if len(parts) > MAX_PARTS:
        runs = np.array_split(np.arange(len(parts)), MAX_PARTS)
        parts = [" ".join(parts[i] for i in run) for run in runs]
    return [] if len(parts) < 2 and (not parts or parts[0] == text.strip()) else parts


@dataclass(frozen=True)
class Thresholds:
    review: float
    block: float

    def outcome(self, score: float) -> str:
        return BLOCK if score >= self.block else REVIEW if score >= self.review else PASS


def logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


@dataclass(frozen=True)
class ContextModel:
    """P(harmful) from the gate's logit, retrieval's best cosine and the unusual words' KB coverage.
    A gate BLOCK scoring under `block` here is demoted to REVIEW, a gate REVIEW under `review` to
    PASS: near the help centre each needs more evidence (safety_data/train.py calibrates both)."""

    weights: tuple[float, float, float]
    bias: float
    block: float
    review: float

    @staticmethod
    def features(harmful: float, evidence: KbEvidence) -> tuple[float, float, float]:
        return (logit(harmful), evidence.best, evidence.coverage)

    def score(self, harmful: float, evidence: KbEvidence) -> float:
        z = self.bias + sum(w * x for w, x in zip(self.weights, self.features(harmful, evidence), strict=True))
        return 1 / (1 + math.exp(-z))

    @classmethod
    def of(cls, meta: dict[str, Any]) -> ContextModel:
        weights = tuple(meta["weights"])
        return cls(weights, float(meta["bias"]), float(meta["block"]), float(meta.get("review", 0.0)))  # type: ignore[arg-type]


class LocalModerator:
    def __init__(self, embedder: Embedder, path: Path = MODEL_PATH) -> None:
        self.model = LinearHeads(embedder, path)
        self.model_id = self.model.model_id
        gate = self.model.thresholds[HARMFUL]
        # A model trained before the three outcomes has one threshold: review nothing, block at it.
        outcomes = self.model.meta.get("outcomes", {"review": gate, "block": gate})
        self.thresholds = Thresholds(float(outcomes["review"]), float(outcomes["block"]))
        self.context = ContextModel.of(outcomes["context"]) if "context" in outcomes else None
        # A category head at or over this is certain: no context demotes it (a model without it: none is).
        self.certain = float(outcomes.get("certain", math.inf))

    def head_scores(self, text: str, vector: np.ndarray | None = None) -> dict[str, float]:
        return self.model.scores(text, vector)

    def question_scores(self, text: str) -> tuple[dict[str, float], str]:
        """An input question's head scores, each the highest of the whole text and its `clauses`,
        and the part the harmful gate scored highest (the whole text on a tie)."""
        heads = self.model.scores(text)
        worst, top = text, heads[HARMFUL]
        for part in clauses(text):
            scores = self.model.scores(part)  # one short embedding each (a QueryCache keeps it for the context)
            if scores[HARMFUL] > top:
                worst, top = part, scores[HARMFUL]
            heads = {h: max(heads[h], scores[h]) for h in heads}
        return heads, worst

    def moderate(self, text: str, safety_identifier: str = "", vector: np.ndarray | None = None) -> ModerationResult:
        return self._moderate(text, self.model.scores(text, vector), text, None)

    def moderate_in_context(self, text: str, evidence: Evidence) -> ModerationResult:
        """An input question, scored clause by clause (`question_scores`) and judged with what the
        help centre says about its highest-scoring part: `evidence(part)` (bot.safety.kb_context)."""
        heads, worst = self.question_scores(text)
        return self._moderate(text, heads, worst, evidence)

    def _moderate(self, text: str, heads: dict[str, float], worst: str, evidence: Evidence) -> ModerationResult:
        rules = rule_scores(text)
        scores = {c: max(heads.get(c, 0.0), rules.get(c, 0.0)) for c in CATEGORIES}
        flags = {c: c in rules for c in CATEGORIES}
        harmful = heads[HARMFUL]
        reasons: tuple[str, ...] = (f"harmful: {harmful:.4f}",)
        if worst != text:
            reasons += (f"scored highest on the part: {worst[:80]!r}",)
        outcome = self.thresholds.outcome(harmful)
        certain = [c for c in CATEGORIES if heads.get(c, 0.0) >= self.certain]
        if certain and outcome != PASS:
            reasons += (f"certain: {', '.join(certain)}; the context demotes nothing",)
        elif evidence is not None and self.context is not None:
            evidence = evidence(worst) if callable(evidence) else evidence
            score = self.context.score(harmful, evidence)
            reasons += (f"in context: {score:.4f} (kb best {evidence.best:.3f}, coverage {evidence.coverage:.2f})",)
            if outcome == BLOCK and score < self.context.block:
                outcome = REVIEW
                reasons += ("a block needs more evidence this close to the help centre: review",)
            elif outcome == REVIEW and score < self.context.review:
                outcome = PASS
                reasons += ("a review needs more evidence this close to the help centre: pass",)
        if outcome != PASS:
            # The gate decides; category heads only say which categories (the likeliest when none is sure).
            named = [c for c in CATEGORIES if c in heads and heads[c] >= self.model.thresholds[c]]
            for category in named or [max((c for c in CATEGORIES if c in heads), key=lambda c: heads[c])]:
                flags[category] = True
        if rules:
            outcome = BLOCK
            reasons += ("rule",)
        return ModerationResult(
            flagged=outcome != PASS,
            categories=flags,
            category_scores=scores,
            category_applied_input_types={c: ["text"] for c in CATEGORIES},
            model=self.model_id,
            outcome=outcome,
            reasons=reasons,
        )
