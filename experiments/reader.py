"""Experiment, not used at run time: can a reader tell an answerable question from an on-topic one the KB lacks?

`make reader-experiment` (or `python -m experiments.reader` once requirements-experiments.txt is installed).
bench_answerability shows that no score retrieval already has separates the two well enough for the decline
target. A reader (cross-encoder) reads the question and the top passage together and says whether the passage
answers it. This fine-tunes all of MiniLM as one, on documentation nobody here wrote, and measures it on both
bench question sets, neither of which it saw:

  * AWS CLI usage examples (awscli, Apache-2.0): the task in an example's title, asked as a question, against
    its own description (answers) and the two most similar descriptions of other commands (on topic, but do
    not answer): the hard case the decline target is about;
  * the Debian FAQ: each question against its own answer and the three most similar other answers.

The sample KB's questions are the tuning set, but are left out of training here so that both sets measure
the reader on text it never saw; Plausible is held out as always. For each set it prints the ROC AUC and the
share of unanswerable questions declined by the threshold that keeps 90 % of answerable ones (as
bench_answerability), for the reader on the top passage, the reader's best of the top three, the dense
cosine that the relevance threshold uses today, and the mean rank of the dense score and the reader's.
About an hour on 2 cores (training about 50 minutes). Writes data/reports/reader-experiment.json.

Measured on 2026-11-26 (9,480 pairs, 2 epochs): the reader on the top passage reached ROC AUC 0.626 on the
sample KB and 0.709 on Plausible, against 0.788 and 0.842 for the dense cosine, and mixing the two ranks did
not beat the dense score alone; the documentation that ships here teaches matching words, not whether a
passage answers. So nothing of it is shipped.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.bench_answerability import KEEP, question_sets
from bench.datasets.debian_faq import load_debian_faq
from bot.embedding import local_embedder
from bot.pipeline import Pipeline
from evals.metrics import auc, specificity_at_recall
from experiments.awscli_examples import Example, load_examples
from experiments.minilm_jax import Classifier

REPORT = Path(__file__).resolve().parents[1] / "data" / "reports" / "reader-experiment.json"
MAX_PIECES, EPOCHS, BATCH, TOP_K = 192, 2, 16, 3
AWS_QUESTIONS, AWS_NEGATIVES, FAQ_NEGATIVES = 3000, 2, 3
ASKED = (
    "How do I {}?",
    "How can I {}?",
    "Can I {}?",
    "Is it possible to {}?",
    "I need to {}.",
    "What's the way to {}?",
)

Pair = tuple[str, str]


def as_question(task: str, rng: np.random.Generator) -> str:
    """'copy your snapshot to another Region' -> e.g. 'Can I copy my snapshot to another Region?'"""
    task = task.replace(" your ", " my ").replace(" you ", " I ")
    return ASKED[int(rng.integers(len(ASKED)))].format(task)


def hard_negatives(questions: np.ndarray, passages: np.ndarray, count: int, same: list[set[int]]) -> list[list[int]]:
    """For each question, the `count` passages most similar to it, leaving out those in its own group."""
    out = []
    for i, q in enumerate(questions):
        similarity = passages @ q
        similarity[list(same[i])] = -np.inf
        out.append([int(j) for j in np.argsort(-similarity)[:count]])
    return out


def training_pairs(rng: np.random.Generator) -> tuple[list[Pair], np.ndarray]:
    embed = local_embedder().embed
    examples: list[Example] = load_examples()
    chosen = sorted(rng.choice(len(examples), size=min(AWS_QUESTIONS, len(examples)), replace=False))
    questions = [as_question(examples[i].task, rng) for i in chosen]
    passages = [e.description for e in examples]
    by_command: dict[tuple[str, str], set[int]] = {}
    for j, e in enumerate(examples):
        by_command.setdefault((e.service, e.command), set()).add(j)
    same = [by_command[(examples[i].service, examples[i].command)] for i in chosen]
    negatives = hard_negatives(embed(questions), embed(passages), AWS_NEGATIVES, same)
    pairs: list[Pair] = []
    labels: list[int] = []
    for question, i, others in zip(questions, chosen, negatives, strict=True):
        pairs.append((question, passages[i]))
        labels.append(1)
        pairs += [(question, passages[j]) for j in others]
        labels += [0] * len(others)

    faq = [f for f in load_debian_faq() if len(f.answer.split()) >= 8]
    answers = [f.answer[:1500] for f in faq]
    faq_negatives = hard_negatives(
        embed([f.question for f in faq]), embed(answers), FAQ_NEGATIVES, [{i} for i in range(len(faq))]
    )
    for i, f in enumerate(faq):
        pairs.append((f.question, answers[i]))
        labels.append(1)
        pairs += [(f.question, answers[j]) for j in faq_negatives[i]]
        labels += [0] * FAQ_NEGATIVES
    return pairs, np.array(labels)


def question_set(pipeline: Pipeline, answerable: list[dict], unanswerable: list[dict]) -> dict[str, Any]:
    """Each question with its top passages (heading and text) and the dense cosine of the first."""
    retriever = pipeline.stages.retriever
    rows = []
    for q, label in [(q, True) for q in answerable] + [(q, False) for q in unanswerable]:
        top = retriever.search(q["question"], q["intent"], k=TOP_K, threshold=0.0)
        rows.append((q["question"], label, [f"{p.heading}\n{p.text}" for p in top], top[0].dense))
    return {
        "pairs": [[(question, passage) for passage in passages] for question, _, passages, _ in rows],
        "labels": np.array([label for _, label, _, _ in rows]),
        "dense": np.array([dense for *_, dense in rows]),
    }


def ranks(values: np.ndarray) -> np.ndarray:
    return np.argsort(np.argsort(values)).astype(float)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    args = parser.parse_args()
    rng = np.random.default_rng(0)

    sets = question_sets("reader", question_set)

    reader = Classifier(MAX_PIECES)
    agreement = reader.check_against_shipped(local_embedder().embed)
    print(f"JAX encoder reproduces the shipped MiniLM embedding: cosine >= {agreement:.3f}")
    pairs, labels = training_pairs(rng)
    print(f"fine-tuning on {len(pairs)} question/passage pairs ({int(labels.sum())} answer), {args.epochs} epochs")
    started = time.perf_counter()
    losses = reader.fit(pairs, labels, args.epochs, BATCH, log=lambda line: print(line, flush=True))
    report: dict[str, Any] = {
        "training_pairs": len(pairs),
        "epochs": args.epochs,
        "losses": losses,
        "training_seconds": time.perf_counter() - started,
    }

    for name, data in sets.items():
        flat = [pair for pairs_ in data["pairs"] for pair in pairs_]
        started = time.perf_counter()
        flat_scores = reader.predict(flat, batch_size=16)
        per_pair_ms = (time.perf_counter() - started) / len(flat) * 1000
        sizes = np.cumsum([0] + [len(p) for p in data["pairs"]])
        per_question = [flat_scores[a:b] for a, b in itertools.pairwise(sizes)]
        top1 = np.array([s[0] for s in per_question])
        scores = {
            "dense cosine (today)": data["dense"],
            "reader, top passage": top1,
            f"reader, best of top {TOP_K}": np.array([s.max() for s in per_question]),
            "mean rank of dense and reader": ranks(data["dense"]) + ranks(top1),
        }
        y = data["labels"]
        print(f"\n{name}: {int(y.sum())} answerable, {int((~y).sum())} unanswerable ({per_pair_ms:.0f} ms a pair)")
        print(f"  {'score':32} {'AUC':>6}  declined when {KEEP:.0%} of answerable are kept")
        report[name] = {"ms_per_pair": per_pair_ms}
        for score, values in scores.items():
            figures = {"auc": auc(values, y), "declined_at_90pct_kept": specificity_at_recall(values, y, KEEP)}
            report[name][score] = figures
            print(f"  {score:32} {figures['auc']:6.3f}  {figures['declined_at_90pct_kept']:.3f}")
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2))
    print(f"\nreport written to {REPORT}")


if __name__ == "__main__":
    main()
