"""The trained half of the injection screen: P(injection or jailbreak) from bot.safety.classifiers.heads.

Trained by `python -m safety_data.train injection`; weights in bot/safety/classifiers/models/injection.npz.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bot.embedding import Embedder
from bot.safety.classifiers.heads import MODELS, LinearHeads

MODEL_PATH = MODELS / "injection.npz"
HEAD = "injection"


class InjectionClassifier:
    def __init__(self, embedder: Embedder, path: Path = MODEL_PATH) -> None:
        self.model = LinearHeads(embedder, path)
        self.threshold = self.model.thresholds[HEAD]

    def __call__(self, text: str, vector: np.ndarray | None = None) -> float:
        return self.model.scores(text, vector)[HEAD]
