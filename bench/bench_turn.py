"""Whole offline turns: answer quality and per-stage latency.

Two KBs, each with its own question sets written by us (bench/data):
  * the sample KB: sample_questions.jsonl (answerable, gold article) and sample_unanswerable.jsonl
    (on-topic, not in the KB). The extractive responder was tuned on these.
  * the Plausible help centre (../shared/kb-real/plausible, imported with kb/imports/plausible):
    plausible_questions.jsonl and plausible_unanswerable.jsonl, held out: never tuned on.

For each set: the share of answerable questions answered with the gold article among the
citations, the share of unanswerable ones declined with a hand-off, and what else happened.
Then latency per stage of a full offline turn (p50/p95), turns/s on one thread, and peak RSS.
A figure (bench/out/turn-decline-tradeoff.png) shows right-citation vs declines over relevance
thresholds, the one knob that trades the two.

    python -m bench.bench_turn            (add --quick to skip Plausible)
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.common import (
    DATA,
    PLAUSIBLE_DOCS,
    PLAUSIBLE_IMPORT,
    ROOT,
    bench_settings,
    pct,
    peak_rss_mb,
    plausible_settings,
    pyplot,
    save_figure,
)
from bot.config import Settings
from bot.gate import Gate
from bot.identity import User
from bot.pipeline import Pipeline
from bot.turn import Decision, Turn
from bot.wiring import build_pipeline
from evals.jsonl import read_jsonl

STAGES = ("gate", "input", "retrieve", "respond", "output", "total")


@dataclass
class Result:
    name: str
    right: float
    declined: float
    answerable: Counter[str]
    unanswerable: Counter[str]
    right_first: float = 0.0  # the right article is the first one cited (the answer is built on it)
    two_sources: float = 0.0  # answers that cite a second article


def ingest(settings: Settings, args: list[str]) -> None:
    env = {
        "SAFEDESK_ENV_FILE": "",
        "SAFEDESK_DATA_DIR": str(settings.data_dir),
        "SAFEDESK_INTENTS_FILE": str(settings.intents_file),
        "SAFEDESK_COLLECTION": settings.collection,
        "PATH": "/usr/bin:/bin",
    }
    subprocess.run([sys.executable, "-m", "ingest", "--quiet", *args], env=env, cwd=ROOT, check=True)


def pipeline_for(settings: Settings) -> Pipeline:
    return build_pipeline(settings, gate=Gate.from_settings(settings, rate_limited=False))


def ask_all(pipeline: Pipeline, questions: list[dict]) -> list[Turn]:
    # One user per question: a benign question the input screens block would otherwise count as
    # a strike against one shared user, and a few of those would stop the whole run at the gate.
    return [pipeline.run(q["question"], q["intent"], User(f"bench-{q['id']}")) for q in questions]


def score(name: str, answerable: list[dict], a_turns: list[Turn], u_turns: list[Turn]) -> Result:
    right = sum(
        t.decision is Decision.ANSWERED and q["article_id"] in {c.article_id for c in t.citations}
        for q, t in zip(answerable, a_turns, strict=True)
    )
    first = sum(
        t.decision is Decision.ANSWERED and t.citations[0].article_id == q["article_id"]
        for q, t in zip(answerable, a_turns, strict=True)
    )
    two = sum(len({c.article_id for c in t.citations}) > 1 for t in a_turns)
    declined = sum(t.decision is Decision.NOT_IN_KB and bool(t.handoff) for t in u_turns)
    return Result(
        name,
        right / len(answerable),
        declined / len(u_turns),
        Counter(t.decision.value for t in a_turns),
        Counter(t.decision.value for t in u_turns),
        first / len(answerable),
        two / len(answerable),
    )


def tradeoff(pipeline: Pipeline, answerable: list[dict], unanswerable: list[dict]) -> list[tuple[float, float, float]]:
    """(threshold, right-citation, declined) over relevance thresholds, same pipeline otherwise."""
    retriever = pipeline.stages.retriever
    original = retriever.threshold
    points = []
    try:
        for threshold in (0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60):
            retriever.threshold = threshold
            result = score("", answerable, ask_all(pipeline, answerable), ask_all(pipeline, unanswerable))
            points.append((threshold, result.right, result.declined))
    finally:
        retriever.threshold = original
    return points


def latency(pipeline: Pipeline, questions: list[dict], rounds: int) -> None:
    ask_all(pipeline, questions[:10])  # warm-up: models loaded, snapshot built
    timings: dict[str, list[float]] = {stage: [] for stage in STAGES}
    started = time.perf_counter()
    n = 0
    cache = pipeline.stages.retriever.embedder  # the per-turn query cache (bot.embedding.QueryCache)
    for _ in range(rounds):
        for q in questions:
            cache.clear()  # every question is new to the pipeline, as it would be for a real user
            turn = pipeline.run(q["question"], q["intent"], User(f"bench-{q['id']}"))
            n += 1
            for stage in STAGES:
                if stage in turn.timings_ms:
                    timings[stage].append(turn.timings_ms[stage])
    wall = time.perf_counter() - started
    print(f"\nLatency of a full offline turn ({n} turns, one thread), ms:")
    print(f"  {'stage':10} {'p50':>8} {'p95':>8} {'max':>8}  n")
    for stage, values in timings.items():
        if values:
            p50, p95 = statistics.median(values), pct(values, 95)
            print(f"  {stage:10} {p50:8.2f} {p95:8.2f} {max(values):8.2f}  {len(values)}")
    print(f"  throughput: {n / wall:.1f} turns/s on one thread; peak RSS {peak_rss_mb():.0f} MB")


def report(result: Result) -> None:
    print(f"\n{result.name}")
    print(f"  answerable:   right article cited {result.right:.3f}   decisions {dict(result.answerable)}")
    print(
        f"                right article cited first {result.right_first:.3f}; "
        f"a second article cited in {result.two_sources:.0%} of answers"
    )
    print(f"  unanswerable: declined + hand-off {result.declined:.3f}   decisions {dict(result.unanswerable)}")


def plot(curves: dict[str, list[tuple[float, float, float]]], current: float) -> Path | None:
    plt = pyplot()
    if plt is None:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for name, points in curves.items():
        ax.plot([p[2] for p in points], [p[1] for p in points], marker="o", label=name)
        for t, right, declined in points:
            ax.annotate(f"{t:.2f}", (declined, right), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.axhline(0.9, color="grey", lw=0.8, ls="--")
    ax.axvline(0.9, color="grey", lw=0.8, ls="--")
    ax.set_xlabel("unanswerable questions declined with hand-off")
    ax.set_ylabel("answerable questions: right article cited")
    ax.set_title(f"Extractive turns over relevance thresholds (setting: {current})")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(loc="lower left")
    return save_figure(fig, "turn-decline-tradeoff.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="sample KB only")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the sample questions for latency")
    args = parser.parse_args()

    curves: dict[str, list[tuple[float, float, float]]] = {}
    sample = bench_settings("turn-sample")
    ingest(sample, ["--prune"])
    answerable, unanswerable = (
        read_jsonl(DATA / "sample_questions.jsonl"),
        read_jsonl(DATA / "sample_unanswerable.jsonl"),
    )
    pipeline = pipeline_for(sample)
    report(score("Sample KB (tuned on)", answerable, ask_all(pipeline, answerable), ask_all(pipeline, unanswerable)))
    curves["sample KB"] = tradeoff(pipeline, answerable, unanswerable)

    if not args.quick:
        plausible = plausible_settings("turn-plausible")
        ingest(
            plausible,
            [
                str(PLAUSIBLE_DOCS),
                "--mapping",
                str(PLAUSIBLE_IMPORT / "mapping.yaml"),
                "--verified-by",
                "bench",
                "--prune",
            ],
        )
        p_answerable = read_jsonl(DATA / "plausible_questions.jsonl")
        p_unanswerable = read_jsonl(DATA / "plausible_unanswerable.jsonl")
        p_pipeline = pipeline_for(plausible)
        report(
            score(
                "Plausible help centre (held out)",
                p_answerable,
                ask_all(p_pipeline, p_answerable),
                ask_all(p_pipeline, p_unanswerable),
            )
        )
        curves["Plausible (held out)"] = tradeoff(p_pipeline, p_answerable, p_unanswerable)

    print("\nRight-citation / declined over relevance thresholds:")
    for name, points in curves.items():
        print(f"  {name}: " + "  ".join(f"{t:.2f}: {r:.2f}/{d:.2f}" for t, r, d in points))
    path = plot(curves, sample.relevance_threshold)
    if path:
        print(f"figure: {path.relative_to(ROOT)}")
    latency(pipeline, answerable + unanswerable, args.rounds)


if __name__ == "__main__":
    main()
