"""Retention (purge) and data-subject requests (forget), on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from bot.storage.audit import Staff, audit_trail
from bot.storage.db import Database
from bot.storage.limits import block_user
from bot.storage.models import (
    Acknowledgement,
    Block,
    Conversation,
    Feedback,
    Report,
    TurnFlag,
    TurnRecord,
    User,
    utcnow,
)
from bot.storage.records import acknowledge, add_report, record_turn, set_feedback
from bot.storage.retention import forget, purge
from bot.turn import Decision
from tests.bot.storage.factories import make_turn, new_conversation, user_hash

ALICE, BOB = user_hash("alice"), user_hash("bob")
LEAD = Staff(user_hash("lead"), "Sam")


def count(db: Database, model: type, *where: object) -> int:
    with db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def turn(db: Database, user: str = ALICE, conversation: str | None = None) -> str:
    t = make_turn(user, decision=Decision.BLOCKED_INPUT)
    t.verdicts[0] = t.verdicts[0].__class__("moderation-in", False, {}, ("flagged: hate",), False, 1.0)
    record_turn(db, t, user, conversation or new_conversation())
    return t.id


def age(db: Database, days: int, *turn_ids: str) -> None:
    when = utcnow() - timedelta(days=days)
    with db.transaction() as session:
        session.execute(update(TurnRecord).where(TurnRecord.id.in_(turn_ids)).values(created_at=when))
        session.execute(update(Feedback).where(Feedback.turn_id.in_(turn_ids)).values(created_at=when))
        session.execute(
            update(Conversation)
            .where(Conversation.id.in_(select(TurnRecord.conversation_id).where(TurnRecord.id.in_(turn_ids))))
            .values(started_at=when)
        )


def test_purge_deletes_old_turns_feedback_and_closed_reports_but_keeps_open_ones(db: Database) -> None:
    old, kept_for_report, closed, recent = turn(db), turn(db), turn(db), turn(db)
    for turn_id in (old, recent):
        set_feedback(db, turn_id, ALICE, -1, "unsafe")
    open_report = add_report(db, kept_for_report, ALICE, "unsafe", "x")
    closed_report = add_report(db, closed, ALICE, "unsafe", "y")
    age(db, 40, old, kept_for_report, closed)
    with db.transaction() as session:
        session.execute(
            update(Report)
            .where(Report.id == closed_report)
            .values(status="dismissed", resolved_at=utcnow() - timedelta(days=35))
        )
    purged = purge(db, 30)
    assert (purged.turns, purged.feedback, purged.reports, purged.conversations) == (2, 1, 1, 2)
    with db.transaction() as session:
        assert set(session.scalars(select(TurnRecord.id))) == {kept_for_report, recent}
        assert set(session.scalars(select(Report.id))) == {open_report}
        assert set(session.scalars(select(TurnFlag.turn_id))) == {kept_for_report, recent}
    assert count(db, Feedback) == 1
    assert purge(db, 30).turns == 0  # nothing more to do


def test_a_report_closed_recently_is_kept_with_its_old_turn(db: Database) -> None:
    old = turn(db)
    report_id = add_report(db, old, ALICE, "other", "x")
    age(db, 40, old)
    with db.transaction() as session:
        session.execute(update(Report).where(Report.id == report_id).values(status="resolved", resolved_at=utcnow()))
    assert purge(db, 30).turns == 0 and count(db, Report) == 1


def test_forget_deletes_everything_about_one_user_and_nobody_else(db: Database) -> None:
    conversation = new_conversation()
    first = turn(db, ALICE, conversation)
    turn(db, ALICE, conversation)
    set_feedback(db, first, ALICE, 1)
    add_report(db, first, ALICE, "other", "x")
    acknowledge(db, ALICE, "v1")
    block_user(db, LEAD, ALICE, "abuse")
    bob_turn = turn(db, BOB)
    gone = forget(db, LEAD, ALICE)
    assert (gone.found, gone.turns, gone.reports) == (True, 2, 1)
    for model in (TurnRecord, Feedback, Report, Conversation, Acknowledgement, Block):
        assert count(db, model, model.user_id == ALICE) == 0, model.__tablename__
    assert count(db, TurnFlag, TurnFlag.turn_id != bob_turn) == 0
    with db.transaction() as session:
        assert set(session.scalars(select(TurnRecord.id))) == {bob_turn}
        assert set(session.scalars(select(User.id))) == {BOB}
    assert [e.action for e in audit_trail(db, ALICE)] == ["block", "forget"]
    assert forget(db, LEAD, ALICE).found is False
