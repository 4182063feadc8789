"""The dashboard's figures on known records, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from bot.safety.verdict import Verdict
from bot.storage import dashboard
from bot.storage.audit import Staff
from bot.storage.db import Database
from bot.storage.limits import block_user
from bot.storage.models import Block, Feedback, Report, TurnFlag, TurnRecord
from bot.storage.records import add_report, record_turn, set_feedback
from bot.storage.review import set_report_status
from bot.turn import Decision, VerdictRecord
from tests.bot.storage.factories import make_turn, new_conversation, user_hash

ALICE = user_hash("alice")
LEAD = Staff(user_hash("lead"), "Sam")
DAY1 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
DAY2 = datetime(2026, 11, 3, 23, 59, tzinfo=UTC)
RANGE = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 5, tzinfo=UTC))


def turn_at(
    db: Database,
    when: datetime,
    decision: Decision | str = Decision.ANSWERED,
    total_ms: float = 100.0,
    intent: str = "returns-refunds",
    flags: tuple[str, ...] = (),
    blocked_by: str = "",
) -> str:
    turn = make_turn(ALICE)
    turn.intent = intent
    turn.timings_ms["total"] = total_ms
    if flags:
        reasons = (*(f"flagged: {f}" for f in flags), "model: local")
        turn.verdicts.append(VerdictRecord.of(Verdict("moderation-in", False, "", reasons=reasons)))
    if blocked_by:
        turn.verdicts.append(VerdictRecord.of(Verdict(blocked_by, False, "", reasons=("x",))))
    record_turn(db, turn, ALICE, new_conversation())
    with db.transaction() as session:
        session.execute(
            update(TurnRecord).where(TurnRecord.id == turn.id).values(created_at=when, decision=str(decision))
        )
        session.execute(update(TurnFlag).where(TurnFlag.turn_id == turn.id).values(created_at=when))
    return turn.id


def test_turns_per_day_by_decision_including_new_decisions(db: Database) -> None:
    turn_at(db, DAY1)
    turn_at(db, DAY1 + timedelta(hours=13))  # 23:00 UTC, still day 1
    turn_at(db, DAY1, Decision.BLOCKED_INPUT)
    turn_at(db, DAY2, "suggested")
    turn_at(db, RANGE[1])  # the end of the range is left out
    assert dashboard.turns_per_day(db, *RANGE) == [
        ("2026-11-02", "answered", 2),
        ("2026-11-02", "blocked_input", 1),
        ("2026-11-03", "suggested", 1),
    ]


def test_flags_by_category_count_moderation_categories_and_other_screens(db: Database) -> None:
    turn_at(db, DAY1, Decision.BLOCKED_INPUT, flags=("violence", "illicit/violent"))
    turn_at(db, DAY2, Decision.BLOCKED_INPUT, flags=("violence",))
    turn_at(db, DAY2, Decision.BLOCKED_INPUT, blocked_by="injection")
    turn_at(db, DAY2)  # its verdicts all passed
    assert dashboard.flags_by_category(db, *RANGE) == [("violence", 2), ("illicit/violent", 1), ("injection", 1)]


def test_top_intents_and_thumbs(db: Database) -> None:
    ids = [turn_at(db, DAY1, intent="billing") for _ in range(3)] + [turn_at(db, DAY1)]
    assert dashboard.top_intents(db, *RANGE) == [("billing", 3), ("returns-refunds", 1)]
    assert dashboard.top_intents(db, *RANGE, limit=1) == [("billing", 3)]
    set_feedback(db, ids[0], ALICE, 1)
    set_feedback(db, ids[1], ALICE, -1, "wrong_answer")
    set_feedback(db, ids[2], ALICE, -1)
    with db.transaction() as session:
        session.execute(update(Feedback).values(created_at=DAY1))
    thumbs = dashboard.thumbs(db, *RANGE)
    assert (thumbs.up, thumbs.down) == (1, 2) and thumbs.down_rate == pytest.approx(2 / 3)
    assert dashboard.thumbs(db, DAY2, RANGE[1]).down_rate is None


def test_reports_opened_and_closed_per_day_and_the_median_time_to_resolve(db: Database) -> None:
    turn_id = turn_at(db, DAY1)
    filed = [add_report(db, turn_id, ALICE, "other", str(i)) for i in range(4)]
    for report_id in filed[:3]:
        set_report_status(db, report_id, "resolved" if report_id != filed[2] else "dismissed", LEAD)
    hours = {filed[0]: 1, filed[1]: 5, filed[2]: 30}
    with db.transaction() as session:
        for report_id in filed:
            session.execute(update(Report).where(Report.id == report_id).values(created_at=DAY1))
        for report_id, h in hours.items():
            session.execute(update(Report).where(Report.id == report_id).values(resolved_at=DAY1 + timedelta(hours=h)))
    assert dashboard.reports_per_day(db, *RANGE) == [
        dashboard.ReportDay("2026-11-02", 4, 2),
        dashboard.ReportDay("2026-11-03", 0, 1),
    ]
    assert dashboard.median_seconds_to_resolve(db, *RANGE) == pytest.approx(5 * 3600)
    assert dashboard.median_seconds_to_resolve(db, DAY2 + timedelta(hours=1), RANGE[1]) is None


def test_latency_percentiles_per_day_are_nearest_rank(db: Database) -> None:
    for ms in range(1, 21):  # 1..20 ms on day 1
        turn_at(db, DAY1, total_ms=float(ms))
    turn_at(db, DAY2, total_ms=7.5)
    assert dashboard.latency_per_day(db, *RANGE) == [
        dashboard.LatencyDay("2026-11-02", 20, 10.0, 19.0),
        dashboard.LatencyDay("2026-11-03", 1, 7.5, 7.5),
    ]


def test_blocked_users_by_kind(db: Database) -> None:
    block_user(db, LEAD, user_hash("eve"), "abuse")
    block_user(db, LEAD, user_hash("mallory"), "abuse")
    with db.transaction() as session:  # one of them now a temporary block that has run out
        session.execute(update(Block).where(Block.user_id == user_hash("mallory")).values(kind="temporary", until=DAY1))
    assert dashboard.blocked_users(db, DAY1 - timedelta(minutes=1)) == {"permanent": 1, "temporary": 1}
    assert dashboard.blocked_users(db) == {"permanent": 1}


def test_a_range_must_be_aware_and_forward(db: Database) -> None:
    with pytest.raises(ValueError):
        dashboard.turns_per_day(db, RANGE[1], RANGE[0])
    with pytest.raises(ValueError):
        dashboard.thumbs(db, datetime(2026, 11, 1), RANGE[1])
