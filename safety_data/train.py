"""Train the local safety models: `python -m safety_data.train [moderation|injection|all]`.

Run after `python -m safety_data.fetch && python -m safety_data.build`. Only `train`-split rows
are read (the split is by source family, see MANIFEST.md); held-out families and XSTest never
are. Benign text we wrote ourselves is added: benign_support.txt (angry but legitimate
customers), benign_edgy.txt (harmless text that sounds dangerous, written without looking at
XSTest), benign_contrast.txt (harmless requests in the same shape and vocabulary as harmful-
behaviour datasets: "write a tutorial on how to...", defence, cooking, games, history, health;
also written without looking at XSTest), our sample KB's chunks (help-centre text, which output
moderation scores; the Plausible help centre stays held out), and, when installed, the Debian
FAQ questions. Whatever the split says, no row of a held-out SafeDesk question set (the Plausible
questions in bench/data, an eval family) is ever trained or calibrated on: `training_only` drops
them by family and by text.

Validation is by source family (leave one family out): each family is scored by heads fitted on
all the other families (TF-IDF vocabulary refitted per fold too), so the validation scores
look like scores on text from a source never seen in training. Those out-of-family scores pick
each head's threshold (the `harmful` gate: benign false-positive rate <= MAX_BENIGN_FPR; the
category heads: max F1; they only name the categories of what the gate flags, see
bot.safety.classifiers.local_moderator) and
are how C, class weighting, the head type and the data mix were chosen (see `train`).
The heads are then refit on all rows.
Writes bot/safety/classifiers/models/moderator.npz and injection.npz.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import precision_recall_curve

from bot.embedding import local_embedder
from bot.safety.classifiers import injection_classifier, local_moderator
from bot.safety.classifiers.features import TfidfFeatures
from bot.safety.classifiers.heads import save_heads
from bot.safety.classifiers.local_moderator import ContextModel
from bot.safety.kb_context import KbSnapshot
from bot.safety.moderation import CATEGORIES
from evals.jsonl import read_jsonl
from safety_data.sources.safedesk import safedesk_texts

HERE = Path(__file__).resolve().parent
BUILD = HERE / "build"
MIN_POSITIVES = 15  # a head needs at least this many examples; rules cover thinner categories
MAX_BENIGN_FPR = 0.05  # the moderator's gate threshold keeps out-of-family validation false positives under this
MAX_BENIGN_FPR_INJECTION = 0.03  # the injection head's (unchanged, random validation split)
C = 16.0  # inverse regularisation strength (chosen on out-of-family validation, see `train`)
C_INJECTION = 4.0  # the injection classifier's (unchanged)
# The moderator's three outcomes (bot.safety.classifiers.local_moderator), as out-of-family validation false-positive
# rates over the benign rows: REVIEW from this rate, BLOCK only from the far stricter one.
REVIEW_FPR = 0.10
BLOCK_FPR = 0.01
CONTEXT_DEMOTES = 0.05  # the share of the gate's harmful validation blocks the context may demote to REVIEW
# A category head is certain (the context demotes nothing then) at a score this share of the benign
# validation rows reach on some category head (issue 18: framing near the help centre must not unblock).
CERTAIN_FPR = 0.005


def sample_kb_chunks() -> list[str]:
    """Our sample KB's chunks as ingest embeds them: answers are quoted from text like this."""
    from bot.config import get_settings
    from bot.tokens import Tokenizer
    from evals.passages import embedded_texts, read_chunks

    root = HERE.parent / "kb"
    settings = get_settings()
    tokenizer = Tokenizer.from_settings(settings)
    return embedded_texts(read_chunks([root / "articles"], root / "intents.yaml", settings.chunk_tokens, tokenizer))


def our_benign_text() -> list[tuple[str, str]]:
    """(text, family) of benign text written by us (questions, and our sample KB's chunks), plus the
    Debian FAQ questions."""
    out: list[tuple[str, str]] = []
    for name, family in (
        ("benign_support.txt", "safedesk-benign-support"),
        ("benign_edgy.txt", "safedesk-benign-edgy"),
        ("benign_contrast.txt", "safedesk-benign-contrast"),
    ):
        for line in (HERE / name).read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                out.append((line.strip(), family))
    out.extend((text, "safedesk-kb") for text in sample_kb_chunks())
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


def fit_head(x: np.ndarray, y: np.ndarray, c: float = C) -> LogisticRegression:
    return LogisticRegression(C=c, class_weight="balanced", max_iter=3000).fit(x, y)


def family_validation(
    texts: list[str], families: list[str], embeddings: np.ndarray, labels: dict[str, np.ndarray], c: float = C
) -> dict[str, np.ndarray]:
    """Out-of-family scores: each family is scored by heads fitted on every other family."""
    fam = np.array(families)
    scores = {head: np.zeros(len(texts)) for head in labels}
    for family in sorted(set(families)):
        held = fam == family
        tfidf = TfidfFeatures.fit([t for t, h in zip(texts, held, strict=True) if not h])
        x = np.hstack([embeddings, tfidf.transform(texts)])
        for head, y in labels.items():
            if y[~held].all() or not y[~held].any():
                scores[head][held] = float(y[~held][0]) if len(y[~held]) else 0.0
                continue
            scores[head][held] = fit_head(x[~held], y[~held], c).predict_proba(x[held])[:, 1]
    return scores


def random_validation(
    texts: list[str], embeddings: np.ndarray, labels: dict[str, np.ndarray], c: float
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Scores for a random 20 % of the rows from heads fitted on the other 80 % (the earlier method)."""
    rng = random.Random(0)
    held = np.array([rng.random() < 0.2 for _ in texts])
    tfidf = TfidfFeatures.fit([t for t, h in zip(texts, held, strict=True) if not h])
    x = np.hstack([embeddings, tfidf.transform(texts)])
    scores = {head: np.zeros(len(texts)) for head in labels}
    for head, y in labels.items():
        scores[head][held] = fit_head(x[~held], y[~held], c).predict_proba(x[held])[:, 1]
    return scores, held


def train(
    name: str,
    texts: list[str],
    families: list[str],
    labels: dict[str, np.ndarray],
    gates: set[str],
    out: Path,
    max_fpr: float = MAX_BENIGN_FPR,
    c: float = C,
    by_family: bool = True,
    calibrate: Callable[[np.ndarray, dict[str, np.ndarray]], dict[str, Any]] | None = None,
) -> None:
    """Fit one head per label on [embedding, tf-idf]; thresholds from out-of-family validation.

    Decisions made on the moderator's out-of-family validation (harmful head, 12 training families; XSTest and the
    held-out families were not used): logistic regression with balanced class weights (AUC 0.839 vs 0.821 without
    weighting), C=16 (AUC 0.843; C=4: 0.839, C=1: 0.832), TF-IDF kept (AUC 0.812 without), a one-hidden-layer MLP
    rejected (AUC 0.822); adding the pyrit families (0.806 -> 0.843) and benign_contrast.txt (0.803 -> 0.843)
    both helped. Measured again on 2026-11-26 with the current data (AUC 0.864): max-pooled token vectors beside the
    mean-pooled embedding gave 0.867, max-pooling alone 0.831; not worth a second pooled vector.
    `by_family=False` keeps the earlier random 20 % validation split (still used by the injection classifier, whose
    method and C are unchanged). `calibrate(embeddings, validation)` adds to the model's metadata.
    """
    kind = "leave-one-family-out" if by_family else "random 20 %"
    print(f"{name}: {len(texts)} training rows, {len(set(families))} families ({kind} validation)")
    embeddings = local_embedder().embed(texts)
    if by_family:
        validation = family_validation(texts, families, embeddings, labels, c)
        rows = np.ones(len(texts), dtype=bool)
    else:
        validation, rows = random_validation(texts, embeddings, labels, c)
    labels_v = {head: y[rows] for head, y in labels.items()}
    validation = {head: p[rows] for head, p in validation.items()}
    families_v = [f for f, r in zip(families, rows, strict=True) if r]
    benign = ~np.any(list(labels_v.values()), axis=0)  # validation rows with no label at all
    tfidf = TfidfFeatures.fit(texts)
    x = np.hstack([embeddings, tfidf.transform(texts)])
    heads: dict[str, tuple[np.ndarray, float, float]] = {}
    report: dict[str, dict] = {}
    for head, y in labels_v.items():
        p = validation[head]
        # The gate keeps benign false positives under max_fpr; category heads only name what it flagged.
        t = threshold_for_fpr(y, p, max_fpr) if head in gates else threshold_max_f1(y, p)
        predicted = p >= t
        tp = int((predicted & y).sum())
        report[head] = {
            "threshold": round(t, 4),
            "validation_precision": round(tp / max(1, int(predicted.sum())), 3),
            "validation_recall": round(tp / max(1, int(y.sum())), 3),
            "validation_benign_fpr": round(int((predicted & benign).sum()) / max(1, int(benign.sum())), 3),
            "train_positives": int(labels[head].sum()),
        }
        final = fit_head(x, labels[head], c)  # refit on every training row
        heads[head] = (final.coef_[0], float(final.intercept_[0]), t)
        print(f"  {head:24} {report[head]}")
    # The moderator-level decision on out-of-family scores (heads only, no rules): the gate head(s) decide.
    flagged = np.any([validation[h] >= report[h]["threshold"] for h in labels if h in gates], axis=0)
    union = {
        "recall": round(float(flagged[~benign].mean()), 3) if (~benign).any() else None,
        "benign_fpr": round(float(flagged[benign].mean()), 3),
        "per_family_flagged": {
            f: f"{int(flagged[fam].sum())}/{int(fam.sum())}"
            for f in sorted(set(families_v))
            for fam in [np.array(families_v) == f]
        },
    }
    print(f"  gate (validation): {union}")
    digest = hashlib.sha256("\n".join(f"{t}\t{f}" for t, f in zip(texts, families, strict=True)).encode())
    meta = {
        "model_id": f"safedesk-local-{name}-{digest.hexdigest()[:8]}",
        "training_rows": len(texts),
        "training_data_sha256": digest.hexdigest(),
        "families": sorted(set(families)),
        "C": c,
        "max_benign_fpr": max_fpr,
        "validation": kind,
        "heads": report,
        "validation_gate": union,
    }
    if calibrate is not None:
        meta.update(calibrate(embeddings, validation))
    save_heads(out, heads, tfidf, meta)
    print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KB), model {meta['model_id']}")


def calibrate_outcomes(
    texts: list[str], families: list[str], harmful: np.ndarray
) -> Callable[[np.ndarray, dict[str, np.ndarray]], dict[str, Any]]:
    """The three outcomes' thresholds and the context model, from leave-one-family-out scores.

    The harmful gate's REVIEW and BLOCK thresholds keep REVIEW_FPR and BLOCK_FPR of the benign
    validation rows at or above them. The context model (bot.safety.classifiers.local_moderator.ContextModel)
    is fitted on the gate's out-of-family logit and each question's evidence against our sample
    KB (its chunks are training rows of their own, so they are left out here; the Plausible help
    centre stays held out), itself leave-one-family-out; a gate BLOCK whose context score is
    under the context's block threshold is demoted to REVIEW, and a gate REVIEW under its review
    threshold to PASS. Each threshold lets the context demote at most CONTEXT_DEMOTES of the
    harmful validation rows the gate blocks (reviews): near the help centre a block, and a
    review, need more evidence."""

    def calibrate(embeddings: np.ndarray, validation: dict[str, np.ndarray]) -> dict[str, Any]:
        p = validation[local_moderator.HARMFUL]
        plain = {"review": threshold_for_fpr(harmful, p, REVIEW_FPR), "block": threshold_for_fpr(harmful, p, BLOCK_FPR)}
        categories = [validation[c] for c in CATEGORIES if c in validation]
        top = np.max(categories, axis=0) if categories else np.zeros(len(p))
        certain = threshold_for_fpr(harmful, top, CERTAIN_FPR) if categories else float("inf")
        fam = np.array(families)
        kb = fam == "safedesk-kb"
        snapshot = KbSnapshot(embeddings[kb], [t for t, k in zip(texts, kb, strict=True) if k])
        rows = np.flatnonzero(~kb)
        x = np.array([ContextModel.features(float(p[i]), snapshot.evidence(texts[i], embeddings[i])) for i in rows])
        y, groups, pr = harmful[rows], fam[rows], p[rows]
        q = np.zeros(len(rows))
        for family in sorted(set(groups)):
            held = groups == family
            if y[~held].all() or not y[~held].any():
                q[held] = float(y[~held][0])
                continue
            q[held] = (
                LogisticRegression(class_weight="balanced", max_iter=1000)
                .fit(x[~held], y[~held])
                .predict_proba(x[held])[:, 1]
            )
        final = LogisticRegression(class_weight="balanced", max_iter=1000).fit(x, y)
        gate_blocks = pr >= plain["block"]
        block_in_context = float(np.quantile(q[gate_blocks & y], CONTEXT_DEMOTES)) if (gate_blocks & y).any() else 0.0
        gate_reviews = (pr >= plain["review"]) & ~gate_blocks
        review_in_context = (
            float(np.quantile(q[gate_reviews & y], CONTEXT_DEMOTES)) if (gate_reviews & y).any() else 0.0
        )
        context = {
            "weights": [round(float(w), 6) for w in final.coef_[0]],
            "bias": round(float(final.intercept_[0]), 6),
            "features": ["harmful logit", "kb best cosine", "unusual-word coverage"],
            "block": block_in_context,
            "review": review_in_context,
        }
        sure = top[rows] >= certain  # the context demotes nothing then
        blocked = gate_blocks & ((q >= block_in_context) | sure)
        reviewed = (gate_blocks & ~blocked) | (gate_reviews & ((q >= review_in_context) | sure))
        report = {
            "gate": outcome_rates(y, gate_reviews, gate_blocks, groups),
            "gate+context": outcome_rates(y, reviewed, blocked, groups),
        }
        report["certain"] = {
            "threshold": certain,
            "harmful_certain": round(float(sure[y].mean()), 3),
            "benign_certain": round(float(sure[~y].mean()), 3),
        }
        print(f"  outcomes (validation): {json.dumps(report, indent=1)}")
        print(f"  context model: {context}")
        return {
            "outcomes": {
                **plain,
                "certain": certain,
                "certain_fpr": CERTAIN_FPR,
                "context": context,
                "review_fpr": REVIEW_FPR,
                "block_fpr": BLOCK_FPR,
                "context_demotes": CONTEXT_DEMOTES,
            },
            "validation_outcomes": report,
        }

    return calibrate


def outcome_rates(y: np.ndarray, review: np.ndarray, block: np.ndarray, groups: np.ndarray) -> dict[str, Any]:
    review = review | block
    return {
        "harmful_blocked": round(float(block[y].mean()), 3),
        "harmful_blocked_or_reviewed": round(float(review[y].mean()), 3),
        "benign_blocked": round(float(block[~y].mean()), 3),
        "benign_reviewed": round(float((review & ~block)[~y].mean()), 3),
        "benign_blocked_per_family": {
            f: f"{int(block[g].sum())}/{int(g.sum())}"
            for f in sorted(set(groups))
            for g in [(groups == f) & ~y]
            if g.any()
        },
    }


HELD_OUT_QUESTIONS = ("safedesk-plausible",)  # SafeDesk question sets (bench/data) that only evaluate


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def held_out_questions() -> frozenset[str]:
    """The held-out SafeDesk questions (bench/data/plausible_*.jsonl), read only to keep them out."""
    return frozenset(_key(text) for family in HELD_OUT_QUESTIONS for text, _ in safedesk_texts(family))


def training_only(rows: list[dict]) -> list[dict]:
    """`rows` without a held-out question set's rows: by family, and by text wherever it came from."""
    held = held_out_questions()
    return [r for r in rows if r["family"] not in HELD_OUT_QUESTIONS and _key(r["text"]) not in held]


def moderation_rows() -> list[dict]:
    rows = [r for r in read_jsonl(BUILD / "moderation.jsonl") if r["split"] == "train"]
    return training_only(rows + [{"text": t, "labels": [], "family": f} for t, f in our_benign_text()])


def calibrate_moderation(path: Path = local_moderator.MODEL_PATH) -> None:
    """Only the three outcomes' calibration, into the shipped model's metadata; its heads are kept.

    The harmful gate's out-of-family scores are refitted per family exactly as `train` does (the
    category heads are not needed for them), so this takes minutes where a full retrain takes
    far longer on a shared CPU."""
    rows = moderation_rows()
    texts, families = [r["text"] for r in rows], [r["family"] for r in rows]
    labels = moderation_labels(rows)
    harmful = labels[local_moderator.HARMFUL]
    print(f"calibrating {path.name}: {len(texts)} training rows, {len(set(families))} families")
    embeddings = local_embedder().embed(texts)
    digest = hashlib.sha256("\n".join(f"{t}\t{f}" for t, f in zip(texts, families, strict=True)).encode()).hexdigest()
    cached = BUILD / f"heads-validation-{digest[:16]}.npz"  # the out-of-family scores take most of the time
    if cached.is_file():
        with np.load(cached) as data:
            validation = {head: data[head] for head in data.files}
    else:
        validation = family_validation(texts, families, embeddings, labels)
        np.savez(cached, **validation)  # type: ignore[arg-type]
    extra = calibrate_outcomes(texts, families, harmful)(embeddings, validation)
    with np.load(path, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    meta = json.loads(str(arrays["meta"]))
    meta.update(extra)
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez_compressed(path, **arrays)
    print(f"wrote the outcomes' calibration into {path}")


def moderation_labels(rows: list[dict]) -> dict[str, np.ndarray]:
    """The harmful gate's labels, and each category's with enough positives for a head."""
    labels = {local_moderator.HARMFUL: np.array([bool(r["labels"]) for r in rows])}
    for category in CATEGORIES:
        y = np.array([category in r["labels"] for r in rows])
        if y.sum() >= MIN_POSITIVES:
            labels[category] = y
    return labels


def train_moderation() -> None:
    rows = moderation_rows()
    labels = moderation_labels(rows)
    train(
        "moderator",
        [r["text"] for r in rows],
        [r["family"] for r in rows],
        labels,
        {local_moderator.HARMFUL},
        local_moderator.MODEL_PATH,
        calibrate=calibrate_outcomes(
            [r["text"] for r in rows], [r["family"] for r in rows], labels[local_moderator.HARMFUL]
        ),
    )


def train_injection() -> None:
    rows = [r for r in read_jsonl(BUILD / "injection.jsonl") if r["split"] == "train"]
    seen = {r["text"] for r in rows}
    rows = training_only(rows + [{"text": t, "label": 0, "family": f} for t, f in our_benign_text() if t not in seen])
    labels = {injection_classifier.HEAD: np.array([r["label"] == 1 for r in rows])}
    train(
        "injection",
        [r["text"] for r in rows],
        [r["family"] for r in rows],
        labels,
        {injection_classifier.HEAD},
        injection_classifier.MODEL_PATH,
        MAX_BENIGN_FPR_INJECTION,
        c=C_INJECTION,
        by_family=False,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("which", nargs="?", choices=["moderation", "injection", "all", "calibrate"], default="all")
    args = parser.parse_args()
    if args.which == "calibrate":  # the three outcomes only, keeping the shipped heads
        calibrate_moderation()
        return
    if args.which in ("moderation", "all"):
        train_moderation()
    if args.which in ("injection", "all"):
        train_injection()


if __name__ == "__main__":
    main()
