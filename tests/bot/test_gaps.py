"""Unanswered questions grouped by meaning, with the real offline MiniLM embedder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.embedding import local_embedder
from bot.gaps import Unanswered, group_by_meaning, unanswered
from bot.storage.db import Database, open_database
from bot.storage.records import record_turn, set_feedback
from bot.turn import Decision
from tests.bot.storage.factories import make_turn, new_conversation, user_hash

ALICE = user_hash("alice")


def item(n: int, question: str, intent: str = "orders-delivery") -> Unanswered:
    return Unanswered(f"t{n}", question, intent)


def test_questions_with_the_same_meaning_form_one_group() -> None:
    items = [
        item(1, "Do you deliver to Jersey?"),
        item(2, "How do I reset my password?", "account"),
        item(3, "Can you ship my order to Jersey?"),
        item(4, "Is delivery to Jersey possible?", "billing"),
        item(5, "I forgot my password, how can I change it?", "account"),
    ]
    groups = group_by_meaning(items, local_embedder())
    assert [(g.intent, g.count, g.turn_ids) for g in groups] == [
        ("orders-delivery", 3, ("t1", "t3", "t4")),
        ("account", 2, ("t2", "t5")),
    ]
    assert groups[0].examples == ("Do you deliver to Jersey?", "Can you ship my order to Jersey?",
                                  "Is delivery to Jersey possible?")  # fmt: skip
    assert group_by_meaning([], local_embedder()) == []


@pytest.fixture
def db(settings) -> Database:  # type: ignore[no-untyped-def]
    database = open_database(settings)
    yield database  # type: ignore[misc]
    database.close()


def test_unanswered_are_not_in_kb_suggested_and_thumbed_down_as_wrong(db: Database) -> None:
    ids = {}
    for name, decision in (("none", Decision.NOT_IN_KB), ("fine", Decision.ANSWERED), ("wrong", Decision.ANSWERED),
                           ("unsafe", Decision.ANSWERED)):  # fmt: skip
        turn = make_turn(ALICE, decision=decision, question=f"question {name}")
        record_turn(db, turn, ALICE, new_conversation())
        ids[name] = turn.id
    set_feedback(db, ids["wrong"], ALICE, -1, "wrong_answer")
    set_feedback(db, ids["unsafe"], ALICE, -1, "unsafe")
    now = datetime.now(UTC)
    found = unanswered(db, now - timedelta(hours=1), now + timedelta(hours=1))
    assert {u.turn_id for u in found} == {ids["none"], ids["wrong"]}
