"""bench_load's plan (who asks what) and its server measurements (/proc), without the browser."""

from __future__ import annotations

import os

from bench.bench_load import ServerUsage, plan
from bench.common import DATA, ROOT
from bot.intents import load_catalogue
from evals.jsonl import read_jsonl


def test_each_session_asks_its_own_questions_of_one_topic() -> None:
    labels = {intent.label: intent.id for intent in load_catalogue(ROOT / "kb" / "intents.yaml").intents}
    topic_of = {row["question"]: row["intent"] for row in read_jsonl(DATA / "sample_questions.jsonl")}
    sessions = plan(20, 3)
    assert len(sessions) == 20
    asked = [question for _, questions in sessions for question in questions]
    assert len(asked) == 60 and len(set(asked)) == 60  # 7 topics of 12 to 21 questions: none asked twice
    for label, questions in sessions:
        assert {topic_of[q] for q in questions} == {labels[label]}
    assert plan(1, 1, first=-1)[0][1][0] not in asked  # the warm-up question is not one of the measured ones


def test_server_usage_reads_cpu_and_rss_of_a_process() -> None:
    with ServerUsage(os.getpid(), every_s=0.01) as usage:
        sum(n * n for n in range(3_000_000))  # some CPU time of our own
    assert usage.cpu_percent > 0
    assert 1 < usage.peak_rss_mb < 100_000
