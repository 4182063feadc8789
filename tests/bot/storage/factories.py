"""Users and turns for the storage tests: real safety identifiers and real `Turn` objects."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from bot.identity import safety_identifier
from bot.safety.verdict import Verdict
from bot.turn import Citation, Decision, PassageRecord, Turn, VerdictRecord


def user_hash(name: str) -> str:
    """A real safety identifier, as bot.identity makes it."""
    return safety_identifier(b"test-secret", name)


def new_conversation() -> str:
    return uuid.uuid4().hex


def make_turn(
    user: str, *, decision: Decision = Decision.ANSWERED, question: str = "How long do I have to return a sofa?"
) -> Turn:
    """A Turn as the pipeline returns it, with a citation, a passage and verdicts with scores."""
    return Turn(
        id=uuid.uuid4().hex,
        started_at=datetime.now(UTC).isoformat(timespec="milliseconds"),
        intent="returns-refunds",
        question=question,
        safety_identifier=user,
        decision=decision,
        answer="You can return a sofa within 30 days [1].",
        citations=[Citation(1, "returns-policy", "Returns policy", "https://help.example/returns", "Furniture")],
        notes=[],
        handoff="",
        passages=[
            PassageRecord(
                "returns-policy#0",
                "returns-policy",
                "Returns policy",
                "https://help.example/returns",
                "Furniture",
                "Sofas can be returned within 30 days.",
                0.81,
                0.79,
                0.9,
            )
        ],
        verdicts=[
            VerdictRecord.of(Verdict("moderation", True, question, scores={"violence": 0.01, "hate": 0.0})),
            VerdictRecord.of(Verdict("injection", True, question, scores={"injection": 0.02}, reasons=("clean",))),
        ],
        timings_ms={"retrieve": 12.5, "respond": 3.25},
        model="extractive",
        moderation_model="local",
    )
