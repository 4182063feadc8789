"""The bastioncorpus source family."""

from __future__ import annotations

from typing import Final

from safety_data.records import Dataset, Item
from safety_data.wheels import Wheels, src

BASTION_CANARY: Final = "ZX-41C7-CANARY"


def injection_bastioncorpus(w: Wheels, ds: Dataset) -> None:
    path = "bastioncorpus/corpus/injections.jsonl"
    for row in w.jsonl("bastioncorpus", path):
        label = {"malicious": 1, "benign": 0}[row["label"]]
        # bastionprobe fills {canary} per run; a fixed token keeps the text natural.
        ds.add(
            Item(
                row["text"].replace("{canary}", BASTION_CANARY),
                src("bastioncorpus", path),
                "bastioncorpus",
                label=label,
            )
        )
