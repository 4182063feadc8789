"""Responders write the answer from the retrieved passages: extractive (offline) or LLM."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.kb.retrieval import Passage


@dataclass(frozen=True)
class Answer:
    """Answer text with [n] markers, n being 1-based positions in the passages it was given."""

    text: str
    model: str
    not_in_kb: bool = False  # the responder judged that the passages do not answer the question
    usage: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Exchange:
    """An earlier question and answer of the same conversation (both already screened)."""

    question: str
    answer: str


class Responder(Protocol):
    model: str

    def respond(
        self,
        question: str,
        topic: str,
        passages: Sequence[Passage],
        history: Sequence[Exchange] = (),
        *,
        canary: str = "",
        safety_identifier: str = "",
    ) -> Answer:
        """Answer `question` (about `topic`, the intent's label) from `passages` only."""
        ...
