"""Train the local safety models: `python -m safety_data.train [moderation|injection|all]`.

Run after `python -m safety_data.fetch && python -m safety_data.build`. Only `train`-split rows
are read (the split is by source family, see MANIFEST.md); held-out families and XSTest never
are. Benign text we wrote ourselves is added: benign_support.txt (angry but legitimate
customers) and benign_edgy.txt (harmless text that sounds dangerous, written without looking at
XSTest), and, when installed, the Debian FAQ questions. A random 20 % of the training rows is
the validation split that picks each head's threshold; the heads are then refit on all rows.
Writes bot/safety/models/moderator.npz and injection.npz.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import precision_recall_curve

from bot.embedding import local_embedder
from bot.safety import injection_classifier, local_moderator
from bot.safety.features import TfidfFeatures
from bot.safety.heads import save_heads
from bot.safety.moderation import CATEGORIES

HERE = Path(__file__).resolve().parent
BUILD = HERE / "build"
MIN_POSITIVES = 15  # a head needs at least this many examples; rules cover thinner categories
MAX_BENIGN_FPR = 0.03  # a gate head's threshold keeps validation false positives under this
C = 4.0  # inverse regularisation strength


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]


def our_benign_text() -> list[tuple[str, str]]:
    """(text, family) of benign text written by us, plus the Debian FAQ questions."""
    out: list[tuple[str, str]] = []
    for name, family in (
        ("benign_support.txt", "safedesk-benign-support"),
        ("benign_edgy.txt", "safedesk-benign-edgy"),
    ):
        for line in (HERE / name).read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                out.append((line.strip(), family))
    try:
        from bench.datasets.debian_faq import load_debian_faq

        out.extend((entry.question, "debian-faq") for entry in load_debian_faq())
    except FileNotFoundError:
        print("Debian FAQ not installed (apt-get install debian-faq): training without it")
    return out


def threshold_max_f1(y: np.ndarray, p: np.ndarray) -> float:
    precision, recall, thresholds = precision_recall_curve(y, p)
    f1 = 2 * precision * recall / np.clip(precision + recall, 1e-9, None)
    return float(thresholds[int(np.argmax(f1[:-1]))]) if len(thresholds) else 0.5


def threshold_for_fpr(y: np.ndarray, p: np.ndarray, max_fpr: float) -> float:
    benign = np.sort(p[y == 0])
    if not len(benign):
        return 0.5
    return float(benign[min(len(benign) - 1, int(np.ceil((1 - max_fpr) * len(benign))))]) + 1e-6


def fit_head(x: np.ndarray, y: np.ndarray) -> LogisticRegression:
    return LogisticRegression(C=C, class_weight="balanced", max_iter=3000).fit(x, y)


def train(
    name: str, texts: list[str], families: list[str], labels: dict[str, np.ndarray], gates: set[str], out: Path
) -> None:
    """Fit one head per label on [embedding, tf-idf]; thresholds from a validation split."""
    rng = random.Random(0)
    validation = np.array([rng.random() < 0.2 for _ in texts])
    print(f"{name}: {len(texts)} training rows ({int(validation.sum())} for validation)")
    embeddings = local_embedder().embed(texts)
    tfidf = TfidfFeatures.fit([t for t, v in zip(texts, validation, strict=True) if not v])
    x = np.hstack([embeddings, tfidf.transform(texts)])
    heads: dict[str, tuple[np.ndarray, float, float]] = {}
    report: dict[str, dict] = {}
    for head, y in labels.items():
        p = fit_head(x[~validation], y[~validation]).predict_proba(x[validation])[:, 1]
        yv = y[validation]
        t = threshold_for_fpr(yv, p, MAX_BENIGN_FPR) if head in gates else threshold_max_f1(yv, p)
        predicted = p >= t
        tp = int((predicted & yv).sum())
        report[head] = {
            "threshold": round(t, 4),
            "validation_precision": round(tp / max(1, int(predicted.sum())), 3),
            "validation_recall": round(tp / max(1, int(yv.sum())), 3),
            "train_positives": int(y.sum()),
        }
        final = fit_head(x, y)  # refit on every training row
        heads[head] = (final.coef_[0], float(final.intercept_[0]), t)
        print(f"  {head:24} {report[head]}")
    digest = hashlib.sha256("\n".join(f"{t}\t{f}" for t, f in zip(texts, families, strict=True)).encode())
    meta = {
        "model_id": f"safedesk-local-{name}-{digest.hexdigest()[:8]}",
        "training_rows": len(texts),
        "training_data_sha256": digest.hexdigest(),
        "families": sorted(set(families)),
        "C": C,
        "heads": report,
    }
    save_heads(out, heads, tfidf, meta)
    print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KB), model {meta['model_id']}")


def train_moderation() -> None:
    rows = [r for r in read_jsonl(BUILD / "moderation.jsonl") if r["split"] == "train"]
    rows += [{"text": t, "labels": [], "family": f} for t, f in our_benign_text()]
    labels = {local_moderator.HARMFUL: np.array([bool(r["labels"]) for r in rows])}
    for category in CATEGORIES:
        y = np.array([category in r["labels"] for r in rows])
        if y.sum() >= MIN_POSITIVES:
            labels[category] = y
    train(
        "moderator",
        [r["text"] for r in rows],
        [r["family"] for r in rows],
        labels,
        {local_moderator.HARMFUL},
        local_moderator.MODEL_PATH,
    )


def train_injection() -> None:
    rows = [r for r in read_jsonl(BUILD / "injection.jsonl") if r["split"] == "train"]
    seen = {r["text"] for r in rows}
    rows += [{"text": t, "label": 0, "family": f} for t, f in our_benign_text() if t not in seen]
    labels = {injection_classifier.HEAD: np.array([r["label"] == 1 for r in rows])}
    train(
        "injection",
        [r["text"] for r in rows],
        [r["family"] for r in rows],
        labels,
        {injection_classifier.HEAD},
        injection_classifier.MODEL_PATH,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("which", nargs="?", choices=["moderation", "injection", "all"], default="all")
    args = parser.parse_args()
    if args.which in ("moderation", "all"):
        train_moderation()
    if args.which in ("injection", "all"):
        train_injection()


if __name__ == "__main__":
    main()
