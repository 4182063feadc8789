"""A user's last conversation, read back for the chat after a reload (records.last_conversation), and
conversations started before their first turn (records.start_conversation). SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.storage.db import Database
from bot.storage.models import Conversation
from bot.storage.records import (
    PastTurn,
    add_report,
    last_conversation,
    record_turn,
    set_feedback,
    start_conversation,
)
from bot.turn import Citation, Decision, Turn
from tests.bot.storage.factories import make_turn, new_conversation, user_hash

ALICE = user_hash("alice")
BOB = user_hash("bob")
T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def turn_at(user: str, minutes: int, question: str = "How long do I have to return a sofa?", **kwargs: object) -> Turn:
    turn = make_turn(user, question=question, **kwargs)  # type: ignore[arg-type]
    return replace(turn, started_at=(T0 + timedelta(minutes=minutes)).isoformat(timespec="milliseconds"))


def test_no_conversation_yet(db: Database) -> None:
    assert last_conversation(db, ALICE) is None


def test_the_last_conversation_comes_back_as_it_was_shown(db: Database) -> None:
    first, second = new_conversation(), new_conversation()
    record_turn(db, turn_at(ALICE, 0, "old question"), ALICE, first)
    answered = turn_at(ALICE, 10, "which cards?")
    answered.notes.append("Please don't share personal details.")
    declined = replace(
        turn_at(ALICE, 11, "do you sell barbecues?"),
        decision=Decision.NOT_IN_KB,
        answer="I couldn't find an answer.",
        citations=[],
        handoff="Email billing@example.com",
    )
    record_turn(db, declined, ALICE, second)  # recorded out of order: shown in the order asked
    record_turn(db, answered, ALICE, second)
    record_turn(db, turn_at(BOB, 20, "bob's question"), BOB, new_conversation())  # another user's is never shown

    past = last_conversation(db, ALICE)
    assert past is not None
    assert (past.id, past.intent) == (second, "returns-refunds")
    assert [t.question for t in past.turns] == ["which cards?", "do you sell barbecues?"]
    shown = past.turns[0]
    assert shown == PastTurn(
        id=answered.id,
        started_at=T0 + timedelta(minutes=10),
        intent="returns-refunds",
        question="which cards?",
        decision=Decision.ANSWERED,
        answer="You can return a sofa within 30 days [1].",
        citations=(Citation(1, "returns-policy", "Returns policy", "https://help.example/returns", "Furniture"),),
        notes=("Please don't share personal details.",),
        handoff="",
        feedback=None,
        report_id=None,
    )
    assert past.turns[1].decision is Decision.NOT_IN_KB and past.turns[1].handoff == "Email billing@example.com"
    assert past.turns[1].citations == ()


def test_an_older_conversation_continued_later_is_the_last_one(db: Database) -> None:
    older, newer = new_conversation(), new_conversation()
    record_turn(db, turn_at(ALICE, 0, "first"), ALICE, older)
    record_turn(db, turn_at(ALICE, 5, "second"), ALICE, newer)
    record_turn(db, turn_at(ALICE, 9, "back to the first"), ALICE, older)
    past = last_conversation(db, ALICE)
    assert past is not None and past.id == older
    assert [t.question for t in past.turns] == ["first", "back to the first"]


def test_feedback_and_the_latest_report_come_back_with_their_turns(db: Database) -> None:
    conversation = new_conversation()
    turns = [turn_at(ALICE, n, f"question {n}") for n in range(3)]
    for turn in turns:
        record_turn(db, turn, ALICE, conversation)
    set_feedback(db, turns[0].id, ALICE, +1)
    set_feedback(db, turns[1].id, ALICE, -1, "wrong_answer")
    add_report(db, turns[1].id, ALICE, "other", "first")
    latest = add_report(db, turns[1].id, ALICE, "unsafe", "second")
    past = last_conversation(db, ALICE)
    assert past is not None
    assert [(t.feedback, t.report_id) for t in past.turns] == [(1, None), (-1, latest), (None, None)]


def test_only_the_last_turns_up_to_the_limit(db: Database) -> None:
    conversation = new_conversation()
    for n in range(5):
        record_turn(db, turn_at(ALICE, n, f"question {n}"), ALICE, conversation)
    past = last_conversation(db, ALICE, limit=2)
    assert past is not None and [t.question for t in past.turns] == ["question 3", "question 4"]
    with pytest.raises(ValueError, match="limit"):
        last_conversation(db, ALICE, limit=0)


def test_a_new_conversation_is_the_last_one_before_its_first_question(db: Database) -> None:
    record_turn(db, make_turn(ALICE), ALICE, new_conversation())  # now-ish
    fresh = new_conversation()
    start_conversation(db, ALICE, fresh, "billing")
    past = last_conversation(db, ALICE)
    assert past is not None and (past.id, past.intent, past.turns) == (fresh, "billing", [])
    record_turn(db, make_turn(ALICE, question="asked in the new one"), ALICE, fresh)
    past = last_conversation(db, ALICE)
    assert past is not None and past.id == fresh and [t.question for t in past.turns] == ["asked in the new one"]


def test_starting_a_conversation_twice_changes_nothing_and_another_users_is_refused(db: Database) -> None:
    conversation = new_conversation()
    start_conversation(db, ALICE, conversation)
    start_conversation(db, ALICE, conversation)
    with pytest.raises(ValueError, match="belongs to another user"):
        start_conversation(db, BOB, conversation)
    with pytest.raises(ValueError, match="32 lowercase hex"):
        start_conversation(db, ALICE, "not-a-uuid")
    with pytest.raises(ValueError, match="64-hex safety identifier"):
        last_conversation(db, "alice@example.com")
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Conversation)) == 1
