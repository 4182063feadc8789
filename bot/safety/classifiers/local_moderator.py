"""The offline moderator: logistic heads over MiniLM + TF-IDF features (bot.safety.classifiers.heads), and rules.

Trained by `python -m safety_data.train moderation` (data: safety_data/MANIFEST.md); the weights
(`bot/safety/classifiers/models/moderator.npz`, ~310 KB) ship in the repo. A `harmful` head decides whether
anything is flagged; per-category heads and rules (bot.safety.classifiers.moderation_rules) say what.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bot.embedding import Embedder
from bot.safety.classifiers.heads import MODELS, LinearHeads, ModelMissing
from bot.safety.classifiers.moderation_rules import rule_scores
from bot.safety.moderation import CATEGORIES, ModerationResult

MODEL_PATH = MODELS / "moderator.npz"
HARMFUL = "harmful"

__all__ = ["HARMFUL", "MODEL_PATH", "LocalModerator", "ModelMissing"]


class LocalModerator:
    def __init__(self, embedder: Embedder, path: Path = MODEL_PATH) -> None:
        self.model = LinearHeads(embedder, path)
        self.model_id = self.model.model_id

    def head_scores(self, text: str, vector: np.ndarray | None = None) -> dict[str, float]:
        return self.model.scores(text, vector)

    def moderate(self, text: str, safety_identifier: str = "", vector: np.ndarray | None = None) -> ModerationResult:
        heads = self.model.scores(text, vector)
        thresholds = self.model.thresholds
        rules = rule_scores(text)
        scores = {c: max(heads.get(c, 0.0), rules.get(c, 0.0)) for c in CATEGORIES}
        flags = {c: c in rules for c in CATEGORIES}
        if heads[HARMFUL] >= thresholds[HARMFUL]:
            # The gate decides; category heads only say which categories (the likeliest when none is sure).
            named = [c for c in CATEGORIES if c in heads and heads[c] >= thresholds[c]]
            for category in named or [max((c for c in CATEGORIES if c in heads), key=lambda c: heads[c])]:
                flags[category] = True
        return ModerationResult(
            flagged=any(flags.values()),
            categories=flags,
            category_scores=scores,
            category_applied_input_types={c: ["text"] for c in CATEGORIES},
            model=self.model_id,
        )
