"""The most cited, thumbed-down and reported articles, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from bot.storage.article_health import most_cited, most_reported, most_thumbed_down
from bot.storage.db import Database
from bot.storage.models import Feedback, Report, TurnArticle
from bot.storage.records import add_report, record_turn, set_feedback
from bot.turn import Citation, Decision, Suggestion
from tests.bot.storage.factories import make_turn, new_conversation, user_hash

ALICE, BOB = user_hash("alice"), user_hash("bob")
WIDE = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


def recorded(db: Database, user: str, *articles: str, suggested: bool = False) -> str:
    turn = make_turn(user, decision=Decision.SUGGESTED if suggested else Decision.ANSWERED)
    turn.citations = [] if suggested else [Citation(n, a, a, f"https://help.example/{a}", "") for n, a in
                                           enumerate(articles, 1)]  # fmt: skip
    turn.suggestions = [Suggestion(a, a, f"https://help.example/{a}", "", "") for a in articles] if suggested else []
    record_turn(db, turn, user, new_conversation())
    return turn.id


def test_articles_are_ranked_by_citations_thumbs_down_and_reports(db: Database) -> None:
    returns = [recorded(db, ALICE, "returns") for _ in range(3)]
    both = recorded(db, BOB, "delivery", "returns")
    recorded(db, ALICE, "delivery")
    shown = recorded(db, ALICE, "warranty", suggested=True)  # suggested, not cited
    assert most_cited(db, *WIDE) == [("returns", 4), ("delivery", 2)]
    assert most_cited(db, *WIDE, limit=1) == [("returns", 4)]

    set_feedback(db, both, BOB, -1, "wrong_answer")
    set_feedback(db, shown, ALICE, -1, "other")
    set_feedback(db, returns[0], ALICE, -1)
    set_feedback(db, returns[1], ALICE, 1)  # a thumbs up does not count
    assert most_thumbed_down(db, *WIDE) == [("returns", 2), ("delivery", 1), ("warranty", 1)]

    for turn_id, user in ((both, BOB), (returns[2], ALICE), (shown, ALICE)):
        add_report(db, turn_id, user, "wrong_answer", "x")
    add_report(db, both, BOB, "unsafe", "again")
    assert most_reported(db, *WIDE) == [("returns", 3), ("delivery", 2), ("warranty", 1)]


def test_each_figure_goes_by_its_own_time(db: Database) -> None:
    turn_id = recorded(db, ALICE, "returns")
    set_feedback(db, turn_id, ALICE, -1, "wrong_answer")
    add_report(db, turn_id, ALICE, "wrong_answer", "x")
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    with db.transaction() as session:  # the turn is old; its feedback and report are recent
        session.execute(update(TurnArticle).values(created_at=long_ago))
    recent = (datetime.now(UTC) - timedelta(days=1), datetime.now(UTC) + timedelta(days=1))
    assert most_cited(db, *recent) == [] and most_cited(db, long_ago, long_ago + timedelta(days=1)) == [("returns", 1)]
    assert most_thumbed_down(db, *recent) == [("returns", 1)] and most_reported(db, *recent) == [("returns", 1)]
    with db.transaction() as session:
        session.execute(update(Feedback).values(created_at=long_ago))
        session.execute(update(Report).values(created_at=long_ago))
    assert most_thumbed_down(db, *recent) == [] and most_reported(db, *recent) == []


def test_a_range_must_be_aware_and_forward(db: Database) -> None:
    with pytest.raises(ValueError, match="after"):
        most_cited(db, WIDE[1], WIDE[0])
    with pytest.raises(ValueError, match="timezone"):
        most_reported(db, datetime(2020, 1, 1), datetime(2021, 1, 1))
