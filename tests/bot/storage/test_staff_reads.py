"""Every staff page's reads go through while another process holds the SQLite write lock: they
take none (Database.read), so a busy chat never holds up the console, nor the console the chat."""

from __future__ import annotations

import io
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.gaps import unanswered
from bot.storage import article_health, dashboard, export, review
from bot.storage.audit import Staff, audit_trail
from bot.storage.db import Database, make_engine, migrate
from bot.storage.ingest_runs import ingest_runs
from bot.storage.limits import blocked_users
from bot.storage.records import add_report, record_turn, set_feedback
from bot.turn import Decision
from tests.bot.storage.factories import make_turn, new_conversation, user_hash

ALICE = user_hash("alice")
LEAD = Staff(user_hash("lead"), "Sam Lead")


def test_staff_reads_go_through_while_another_process_holds_the_write_lock(tmp_path: Path) -> None:
    db = Database(make_engine(f"sqlite:///{tmp_path / 'safedesk.db'}", busy_timeout_s=0))
    migrate(db.engine)
    turn = make_turn(ALICE, decision=Decision.NOT_IN_KB)
    record_turn(db, turn, ALICE, new_conversation())
    set_feedback(db, turn.id, ALICE, -1, "wrong_answer")
    report_id = add_report(db, turn.id, ALICE, "wrong_answer", "x")
    review.set_report_status(db, report_id, "in_review", LEAD)
    review.flag_article(db, LEAD, "returns-policy", "x", report_id=report_id)
    review.add_kb_gap(db, LEAD, turn.id)
    day = (datetime.now(UTC) - timedelta(days=1), datetime.now(UTC) + timedelta(days=1))
    holder = sqlite3.connect(tmp_path / "safedesk.db", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        assert [r.id for r in review.list_reports(db)] == [report_id]
        assert review.report_row(db, report_id) is not None and review.turn_detail(db, turn.id) is not None
        assert [t.turn_id for t in review.flagged_turns(db, *day)] == [turn.id]
        assert len(review.kb_gaps(db)) == 1 and len(review.article_fixes(db)) == 1
        assert [u.turn_id for u in unanswered(db, *day)] == [turn.id]
        assert len(audit_trail(db)) == 3 and blocked_users(db) == [] and ingest_runs(db) == []
        assert sum(n for _, _, n in dashboard.turns_per_day(db, *day)) == 1
        assert dashboard.thumbs(db, *day).down == 1 and dashboard.top_intents(db, *day)
        assert dashboard.flags_by_category(db, *day) == [] and dashboard.reports_per_day(db, *day)
        assert dashboard.median_seconds_to_resolve(db, *day) is None and dashboard.latency_per_day(db, *day) == []
        assert dashboard.blocked_users(db) == {}
        assert article_health.most_cited(db, *day) == [("returns-policy", 1)]
        assert article_health.most_thumbed_down(db, *day) == [("returns-policy", 1)]
        assert article_health.most_reported(db, *day) == [("returns-policy", 1)]
        assert export.write(db, "reports", *day, "json", io.StringIO()) == 1
    finally:
        holder.close()
        db.close()
