"""The articles a turn put before the customer, worked out from its JSON and kept as rows when it is recorded."""

from __future__ import annotations

from sqlalchemy import select

from bot.storage.db import Database
from bot.storage.models import TurnArticle, TurnRecord
from bot.storage.records import record_turn
from bot.storage.turn_articles import articles_of
from bot.turn import Citation, Decision, Suggestion
from tests.bot.storage.factories import make_turn, new_conversation, user_hash


def test_articles_are_the_cited_ones_or_the_suggested_ones_each_once() -> None:
    turn = {
        "citations": [{"article_id": "returns"}, {"article_id": "returns"}, {"article_id": "delivery"}],
        "suggestions": [{"article_id": "delivery"}, {"article_id": "warranty"}, {"article_id": ""}, "junk"],
    }
    assert articles_of(turn) == [("returns", "cited"), ("delivery", "cited"), ("warranty", "suggested")]
    assert articles_of({"citations": None}) == [] and articles_of({}) == []
    assert articles_of({"citations": [{"article_id": "x" * 300}]}) == [("x" * 200, "cited")]


def test_recording_a_turn_keeps_its_articles_once(db: Database) -> None:
    alice = user_hash("alice")
    answered = make_turn(alice)
    answered.citations.append(Citation(2, "returns-policy", "Returns policy", "https://help.example/r", "Sofas"))
    answered.citations.append(Citation(3, "delivery", "Delivery", "https://help.example/d", "When"))
    suggested = make_turn(alice, decision=Decision.SUGGESTED)
    suggested.citations = []
    suggested.suggestions = [Suggestion("warranty", "Warranty", "https://help.example/w", "Cover", "Two years.")]
    conversation = new_conversation()
    for turn in (answered, answered, suggested):  # a Streamlit rerun records the same turn again
        record_turn(db, turn, alice, conversation)
    with db.read() as session:
        rows = session.execute(
            select(TurnArticle.turn_id, TurnArticle.article_id, TurnArticle.used, TurnArticle.created_at).order_by(
                TurnArticle.id
            )
        ).all()
        created = dict(session.execute(select(TurnRecord.id, TurnRecord.created_at)).all())
    assert rows == [
        (answered.id, "returns-policy", "cited", created[answered.id]),
        (answered.id, "delivery", "cited", created[answered.id]),
        (suggested.id, "warranty", "suggested", created[suggested.id]),
    ]
