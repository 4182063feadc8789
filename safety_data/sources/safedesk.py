"""The safedesk source family."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Final

from evals.jsonl import read_jsonl
from safety_data.records import Dataset, Item
from safety_data.taxonomy import BENIGN

SAFEDESK_QUESTIONS_DIR: Final = Path(__file__).resolve().parents[2] / "bench" / "data"

SAFEDESK_FILES: Final = {
    "safedesk-sample": ("sample_questions.jsonl", "sample_unanswerable.jsonl"),
    "safedesk-plausible": ("plausible_questions.jsonl", "plausible_unanswerable.jsonl"),
}


def safedesk_texts(family: str) -> Iterator[tuple[str, str]]:
    for name in SAFEDESK_FILES[family]:
        for row in read_jsonl(SAFEDESK_QUESTIONS_DIR / name):
            yield row["question"], f"safedesk/bench/data/{name}"


def moderation_safedesk(ds: Dataset, family: str) -> None:
    for text, source in safedesk_texts(family):
        ds.add(Item(text, source, family, labels=BENIGN))


def injection_safedesk(ds: Dataset, family: str) -> None:
    for text, source in safedesk_texts(family):
        ds.add(Item(text, source, family, label=0))
