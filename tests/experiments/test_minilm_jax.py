"""Reading the fp32 MiniLM weights (experiments/minilm_jax.py); the JAX parts run only in the experiments."""

from __future__ import annotations

import json
import struct

import numpy as np

from experiments.minilm_jax import read_safetensors


def safetensors(tensors: dict[str, np.ndarray], extra: dict | None = None) -> bytes:
    header, data, offset = dict(extra or {}), b"", 0
    for name, array in tensors.items():
        raw = array.tobytes()
        dtype = {np.float32: "F32", np.int64: "I64"}[array.dtype.type]
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(raw)]}
        data, offset = data + raw, offset + len(raw)
    encoded = json.dumps(header).encode()
    return struct.pack("<Q", len(encoded)) + encoded + data


def test_read_safetensors_returns_float_tensors_without_the_bert_prefix() -> None:
    weight = np.arange(6, dtype=np.float32).reshape(2, 3)
    raw = safetensors(
        {
            "bert.embeddings.word_embeddings.weight": weight,
            "embeddings.position_ids": np.arange(4, dtype=np.int64),
            "pooler.dense.bias": np.ones(3, np.float32),
            "encoder.layer.0.output.dense.bias": np.full(3, 0.5, np.float32),
        },
        extra={"__metadata__": {"format": "pt"}},
    )
    tensors = read_safetensors(raw)
    assert sorted(tensors) == ["embeddings.word_embeddings.weight", "encoder.layer.0.output.dense.bias"]
    np.testing.assert_array_equal(tensors["embeddings.word_embeddings.weight"], weight)
    np.testing.assert_array_equal(tensors["encoder.layer.0.output.dense.bias"], [0.5, 0.5, 0.5])
