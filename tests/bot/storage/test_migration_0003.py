"""Migrating a database of today's schema (0002) to the staff console (0003), with its records, and back."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from bot.config import Settings
from bot.storage import dashboard
from bot.storage.audit import Staff
from bot.storage.db import Database, alembic_config, make_engine, migrate
from bot.storage.records import add_report
from bot.storage.review import set_report_status
from bot.turn import Decision, VerdictRecord
from tests.bot.storage.factories import make_turn, new_conversation, user_hash

ALICE = user_hash("alice")


def test_reports_of_todays_schema_survive_the_upgrade_and_reviewed_becomes_resolved(
    storage_settings: Settings,
) -> None:
    engine = make_engine(storage_settings.database_url_or_default)
    try:
        migrate(engine, "0002_report_contact")
        assert "audit_events" not in inspect(engine).get_table_names()
        db = Database(engine)
        turn = make_turn(ALICE, decision=Decision.BLOCKED_INPUT)
        turn.timings_ms["total"] = 42.5
        turn.verdicts.append(VerdictRecord("moderation-in", False, {}, ("flagged: violence", "model: x"), False, 1.0))
        turn.verdicts.append(VerdictRecord("injection", False, {}, ("injection",), False, 1.0))
        conversation = new_conversation()
        with engine.begin() as conn:  # rows as the 0002 schema holds them
            created = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
            stamp = created if engine.dialect.name == "postgresql" else "2026-11-01 09:30:00.000000"
            conn.execute(
                text("INSERT INTO users (id, created_at, is_staff) VALUES (:u, :t, false)"), {"u": ALICE, "t": stamp}
            )
            conn.execute(
                text("INSERT INTO conversations (id, user_id, intent, started_at) VALUES (:c, :u, 'billing', :t)"),
                {"c": conversation, "u": ALICE, "t": stamp},
            )
            conn.execute(
                text(
                    "INSERT INTO turns (id, conversation_id, user_id, started_at, intent, decision, question, answer,"
                    " model, turn, created_at) VALUES (:id, :c, :u, :t, 'billing', 'blocked_input', 'q', 'a', '',"
                    " :body, :t)"
                ),
                {"id": turn.id, "c": conversation, "u": ALICE, "t": stamp, "body": json.dumps(turn.to_dict())},
            )
            for report_id, status in (("R-AAAAA", "open"), ("R-BBBBB", "reviewed")):
                conn.execute(
                    text(
                        "INSERT INTO reports (id, turn_id, user_id, reason, text, status, turn, created_at, contact)"
                        " VALUES (:id, :turn, :user, 'other', 'x', :status, '{}', :created, 'ann@mail.example')"
                    ),
                    {
                        "id": report_id,
                        "turn": turn.id,
                        "user": ALICE,
                        "status": status,
                        "created": stamp,
                    },
                )
        migrate(engine)
        with engine.connect() as conn:
            rows = dict(conn.execute(text("SELECT id, status FROM reports")).all())
            assert conn.scalar(text("SELECT latency_ms FROM turns")) == 42.5  # backfilled from the JSON
        assert dashboard.flags_by_category(db, created, created + timedelta(days=1)) == [
            ("injection", 1),
            ("violence", 1),
        ]
        assert rows == {"R-AAAAA": "open", "R-BBBBB": "resolved"}
        assert {"audit_events", "kb_gaps", "article_fixes", "blocks", "strikes", "admissions", "ingest_runs"} <= set(
            inspect(engine).get_table_names()
        )
        lead = Staff(user_hash("lead"), "Sam")
        assert set_report_status(db, "R-AAAAA", "in_review", lead).status == "in_review"  # the new CHECK allows it
        reviewed = set_report_status(db, "R-BBBBB", "open", lead)
        assert reviewed.status == "open" and reviewed.resolved_at is None
        add_report(db, turn.id, ALICE, "unsafe", "after the upgrade")
        with pytest.raises(IntegrityError), engine.begin() as conn:  # the CHECK constraint still holds
            conn.execute(text("UPDATE reports SET status = 'reviewed' WHERE id = 'R-AAAAA'"))

        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0002_report_contact")
        assert "audit_events" not in inspect(engine).get_table_names()
        with engine.connect() as conn:
            statuses = sorted(conn.execute(text("SELECT status FROM reports")).scalars())
        assert statuses == ["open", "open", "reviewed"]
        migrate(engine)
    finally:
        engine.dispose()
