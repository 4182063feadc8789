"""Small logistic heads over one feature vector: the MiniLM embedding + TF-IDF n-grams.

The local moderator and the injection classifier are both such a model, stored as one `.npz`
(heads, weights, biases, thresholds, vocabulary, idf, metadata) written by safety_data/train.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from bot.embedding import Embedder
from bot.safety.classifiers.features import TfidfFeatures
from bot.text import split_sentences

MODELS = Path(__file__).resolve().parent / "models"
WINDOW_WORDS = 150  # about 200 wordpieces: within MiniLM's 256


class ModelMissing(RuntimeError):
    pass


class LinearHeads:
    def __init__(self, embedder: Embedder, path: Path) -> None:
        if not path.is_file():
            raise ModelMissing(f"safety model not found at {path}: build it with `make safety-model`")
        data = np.load(path, allow_pickle=False)
        self.embedder = embedder
        self.heads: list[str] = [str(h) for h in data["heads"]]
        self.weights = data["weights"].astype(np.float32)  # (heads, features)
        self.bias = data["bias"].astype(np.float32)
        self.thresholds = dict(zip(self.heads, (float(t) for t in data["thresholds"]), strict=True))
        self.features = TfidfFeatures([str(v) for v in data["vocabulary"]], data["idf"])
        self.meta: dict[str, Any] = json.loads(str(data["meta"]))
        self.model_id = str(self.meta.get("model_id", path.stem))
        expected = self.weights.shape[1] - len(self.features.vocabulary)
        if embedder.dimensions != expected:
            raise ModelMissing(
                f"{path.name} was trained on {expected}-dimensional MiniLM vectors; "
                f"{embedder.model_id} gives {embedder.dimensions}: give it the local MiniLM embedder"
            )

    def scores(self, text: str, vector: np.ndarray | None = None) -> dict[str, float]:
        """Probability per head; pass `vector` to reuse an embedding already computed.

        MiniLM reads at most 256 wordpieces, so a longer text is scored in windows of whole
        sentences and each head takes its highest window: nothing past the cut goes unread."""
        if vector is not None:
            return self._scores(text, vector)
        windows = text_windows(text)
        vectors = self.embedder.embed(windows)
        per_window = [self._scores(window, v) for window, v in zip(windows, vectors, strict=True)]
        return {head: max(scores[head] for scores in per_window) for head in self.heads}

    def _scores(self, text: str, vector: np.ndarray) -> dict[str, float]:
        x = np.concatenate([vector, self.features.transform([text])[0]])
        logits = self.weights @ x + self.bias
        return dict(zip(self.heads, (float(p) for p in 1 / (1 + np.exp(-logits))), strict=True))


def text_windows(text: str, max_words: int = WINDOW_WORDS) -> list[str]:
    """The text itself when short; else consecutive runs of whole sentences of at most
    `max_words` words (a longer sentence is cut by words). Together they hold every word."""
    if len(text.split()) <= max_words:
        return [text]
    windows: list[str] = []
    current: list[str] = []
    for sentence in split_sentences(text):
        words = sentence.split()
        pieces = [" ".join(words[i : i + max_words]) for i in range(0, len(words), max_words)]
        for piece in pieces:
            if current and len(" ".join([*current, piece]).split()) > max_words:
                windows.append(" ".join(current))
                current = []
            current.append(piece)
    if current:
        windows.append(" ".join(current))
    return windows


def save_heads(
    path: Path,
    heads: dict[str, tuple[np.ndarray, float, float]],
    features: TfidfFeatures,
    meta: dict[str, Any],
) -> None:
    """heads: name -> (weights, bias, threshold)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        heads=np.array(list(heads)),
        weights=np.array([w for w, _, _ in heads.values()], dtype=np.float32),
        bias=np.array([b for _, b, _ in heads.values()], dtype=np.float32),
        thresholds=np.array([t for _, _, t in heads.values()], dtype=np.float32),
        vocabulary=np.array(features.vocabulary),
        idf=features.idf,
        meta=np.array(json.dumps(meta)),
    )
