"""Train the local moderator: `python -m safety_data.train` (after fetch and build).

Training rows: the `train` split of safety_data/build/moderation.jsonl, benign text we wrote
ourselves (safety_data/benign_support.txt: angry but legitimate customers; benign_edgy.txt:
harmless text that sounds dangerous, written without looking at XSTest) and, when installed, the Debian FAQ questions as
benign text. Evaluation families and XSTest are never read here. A random 20 % of the training
rows is the validation split that picks each head's threshold; the heads are then refit on
all training rows. Writes bot/safety/models/moderator.npz.
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
from bot.safety.features import TfidfFeatures
from bot.safety.local_moderator import HARMFUL, MODEL_PATH
from bot.safety.moderation import CATEGORIES

HERE = Path(__file__).resolve().parent
BUILD = HERE / "build"
MIN_POSITIVES = 15  # a head needs at least this many training examples; rules cover the rest
MAX_BENIGN_FPR = 0.03  # the harmful head's threshold keeps validation false positives under this


def load_rows() -> list[tuple[str, list[str], str]]:
    text = (BUILD / "moderation.jsonl").read_text(encoding="utf-8")
    rows = [json.loads(line) for line in text.split("\n") if line.strip()]  # not splitlines: U+2028
    out = [(r["text"], list(r["labels"]), r["family"]) for r in rows if r["split"] == "train"]
    for name, family in (
        ("benign_support.txt", "safedesk-benign-support"),
        ("benign_edgy.txt", "safedesk-benign-edgy"),
    ):
        for line in (HERE / name).read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                out.append((line.strip(), [], family))
    try:
        from bench.datasets.debian_faq import load_debian_faq

        out.extend((entry.question, [], "debian-faq") for entry in load_debian_faq())
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


def fit_head(x: np.ndarray, y: np.ndarray, c: float) -> LogisticRegression:
    return LogisticRegression(C=c, class_weight="balanced", max_iter=3000).fit(x, y)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--c", type=float, default=4.0, help="inverse regularisation strength")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args()

    rows = load_rows()
    texts = [t for t, _, _ in rows]
    rng = random.Random(0)
    validation = np.array([rng.random() < 0.2 for _ in rows])
    print(f"{len(rows)} training rows ({int(validation.sum())} for validation)")

    embeddings = local_embedder().embed(texts)
    tfidf = TfidfFeatures.fit([t for t, v in zip(texts, validation, strict=True) if not v])
    features = np.hstack([embeddings, tfidf.transform(texts)])

    labels = {HARMFUL: np.array([bool(row_labels) for _, row_labels, _ in rows])}
    for category in CATEGORIES:
        y = np.array([category in row_labels for _, row_labels, _ in rows])
        if y[~validation].sum() >= MIN_POSITIVES:
            labels[category] = y
    heads, weights, biases, thresholds, report = [], [], [], [], {}
    for head, y in labels.items():
        model = fit_head(features[~validation], y[~validation], args.c)
        p = model.predict_proba(features[validation])[:, 1]
        yv = y[validation]
        t = threshold_for_fpr(yv, p, MAX_BENIGN_FPR) if head == HARMFUL else threshold_max_f1(yv, p)
        predicted = p >= t
        tp = int((predicted & yv).sum())
        report[head] = {
            "threshold": round(t, 4),
            "validation_precision": round(tp / max(1, predicted.sum()), 3),
            "validation_recall": round(tp / max(1, yv.sum()), 3),
            "train_positives": int(y.sum()),
        }
        final = fit_head(features, y, args.c)  # refit on every training row
        heads.append(head)
        weights.append(final.coef_[0])
        biases.append(final.intercept_[0])
        thresholds.append(t)
        print(f"  {head:24} {report[head]}")

    digest = hashlib.sha256("\n".join(f"{t}\t{ls}" for t, ls, _ in rows).encode()).hexdigest()
    meta = {
        "model_id": f"safedesk-local-moderator-{digest[:8]}",
        "training_rows": len(rows),
        "training_data_sha256": digest,
        "families": sorted({f for _, _, f in rows}),
        "C": args.c,
        "heads": report,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out,
        heads=np.array(heads),
        weights=np.array(weights, dtype=np.float32),
        bias=np.array(biases, dtype=np.float32),
        thresholds=np.array(thresholds, dtype=np.float32),
        vocabulary=np.array(tfidf.vocabulary),
        idf=tfidf.idf,
        meta=np.array(json.dumps(meta)),
    )
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KB), model {meta['model_id']}")


if __name__ == "__main__":
    main()
