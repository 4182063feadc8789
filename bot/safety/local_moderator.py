"""The offline moderator: MiniLM embedding + TF-IDF features, small logistic heads, and rules.

Trained by `python -m safety_data.train` (see safety_data/MANIFEST.md for the data); the
weights (`bot/safety/models/moderator.npz`, a few hundred KB) ship in the repo. A `harmful`
head decides whether anything is flagged; per-category heads and rules say what.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from bot.embedding import Embedder
from bot.safety.features import TfidfFeatures
from bot.safety.moderation import CATEGORIES, ModerationResult
from bot.safety.moderation_rules import rule_scores

MODEL_PATH = Path(__file__).resolve().parent / "models" / "moderator.npz"
HARMFUL = "harmful"


class ModelMissing(RuntimeError):
    pass


class LocalModerator:
    def __init__(self, embedder: Embedder, path: Path = MODEL_PATH) -> None:
        if not path.is_file():
            raise ModelMissing(f"moderation model not found at {path}: build it with `make safety-model`")
        data = np.load(path, allow_pickle=False)
        self.embedder = embedder
        self.heads: list[str] = [str(h) for h in data["heads"]]
        self.weights = data["weights"].astype(np.float32)  # (heads, features)
        self.bias = data["bias"].astype(np.float32)
        self.thresholds = dict(zip(self.heads, (float(t) for t in data["thresholds"]), strict=True))
        self.features = TfidfFeatures([str(v) for v in data["vocabulary"]], data["idf"])
        self.meta = json.loads(str(data["meta"]))
        self.model_id = str(self.meta.get("model_id", "safedesk-local-moderator"))

    def head_scores(self, text: str, vector: np.ndarray | None = None) -> dict[str, float]:
        if vector is None:
            vector = self.embedder.embed([text])[0]
        x = np.concatenate([vector, self.features.transform([text])[0]])
        logits = self.weights @ x + self.bias
        return dict(zip(self.heads, (float(p) for p in 1 / (1 + np.exp(-logits))), strict=True))

    def moderate(self, text: str, safety_identifier: str = "", vector: np.ndarray | None = None) -> ModerationResult:
        heads = self.head_scores(text, vector)
        rules = rule_scores(text)
        scores = {c: max(heads.get(c, 0.0), rules.get(c, 0.0)) for c in CATEGORIES}
        flags = {c: c in rules or (c in heads and heads[c] >= self.thresholds[c]) for c in CATEGORIES}
        harmful = heads[HARMFUL] >= self.thresholds[HARMFUL]
        if harmful and not any(flags.values()):
            # Harmful but no single category is sure: name the likeliest one.
            likeliest = max((c for c in CATEGORIES if c in heads), key=lambda c: heads[c])
            flags[likeliest] = True
        return ModerationResult(
            flagged=any(flags.values()),
            categories=flags,
            category_scores=scores,
            category_applied_input_types={c: ["text"] for c in CATEGORIES},
            model=self.model_id,
        )
