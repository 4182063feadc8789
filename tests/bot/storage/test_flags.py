"""A turn's flags and latency, worked out from its JSON and kept in columns when it is recorded."""

from __future__ import annotations

from sqlalchemy import select

from bot.storage.db import Database
from bot.storage.flags import flags_of, latency_of
from bot.storage.models import TurnFlag, TurnRecord
from bot.storage.records import record_turn
from bot.turn import Decision, VerdictRecord
from tests.bot.storage.factories import make_turn, new_conversation, user_hash


def verdict(screen: str, ok: bool, *reasons: str) -> dict[str, object]:
    return {"screen": screen, "ok": ok, "reasons": list(reasons)}


def test_flags_are_moderation_categories_or_the_screen_that_said_no() -> None:
    turn = {
        "verdicts": [
            verdict("moderation-in", False, "flagged: violence", "flagged: hate", "model: local"),
            verdict("injection", True, "clean"),
            verdict("groundedness", False, "unsupported sentence"),
            verdict("moderation-out", False, "flagged: violence"),
        ]
    }
    assert flags_of(turn) == ["violence", "hate", "groundedness"]
    assert flags_of({"verdicts": [verdict("moderation-in", True, "flagged: violence")]}) == []
    assert flags_of({}) == []


def test_latency_is_the_total_timing() -> None:
    assert latency_of({"timings_ms": {"total": 120.5, "gate": 0.1}}) == 120.5
    assert latency_of({"timings_ms": {}}) is None and latency_of({}) is None


def test_recording_a_turn_keeps_its_flags_and_latency_once(db: Database) -> None:
    alice = user_hash("alice")
    turn = make_turn(alice, decision=Decision.BLOCKED_INPUT)
    turn.timings_ms["total"] = 88.0
    turn.verdicts.append(VerdictRecord("moderation-in", False, {}, ("flagged: illicit",), False, 1.0))
    conversation = new_conversation()
    for _ in range(2):  # a Streamlit rerun records the same turn again
        record_turn(db, turn, alice, conversation)
    with db.transaction() as session:
        assert session.scalar(select(TurnRecord.latency_ms)) == 88.0
        rows = session.execute(select(TurnFlag.turn_id, TurnFlag.category, TurnFlag.created_at)).all()
        created = session.scalar(select(TurnRecord.created_at))
    assert rows == [(turn.id, "illicit", created)]
