"""Migrating a database of the staff console's schema (0003) to turns carrying moderation's outcome (0004), and back."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from alembic import command
from sqlalchemy import inspect, text

from bot.config import Settings
from bot.storage.db import Database, alembic_config, make_engine, migrate
from bot.storage.records import record_turn
from bot.storage.review import flagged_turns
from bot.turn import Decision, VerdictRecord
from tests.bot.storage.factories import make_turn, new_conversation, user_hash

ALICE = user_hash("alice")
WIDE = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


def columns(engine: object) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns("turns")}  # type: ignore[arg-type]


def test_turns_of_the_0003_schema_survive_and_new_review_turns_are_flagged(storage_settings: Settings) -> None:
    engine = make_engine(storage_settings.database_url_or_default)
    try:
        migrate(engine, "0003_staff_console")
        assert "moderation" not in columns(engine)
        old = make_turn(ALICE, decision=Decision.BLOCKED_INPUT)
        conversation = new_conversation()
        with engine.begin() as conn:  # a turn as the 0003 schema holds it
            stamp = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
            at = stamp if engine.dialect.name == "postgresql" else "2026-11-01 09:30:00.000000"
            conn.execute(
                text("INSERT INTO users (id, created_at, is_staff) VALUES (:u, :t, false)"), {"u": ALICE, "t": at}
            )
            conn.execute(
                text("INSERT INTO conversations (id, user_id, intent, started_at) VALUES (:c, :u, 'billing', :t)"),
                {"c": conversation, "u": ALICE, "t": at},
            )
            conn.execute(
                text(
                    "INSERT INTO turns (id, conversation_id, user_id, started_at, intent, decision, question, answer,"
                    " model, turn, created_at) VALUES (:id, :c, :u, :t, 'billing', 'blocked_input', 'q', 'a', '',"
                    " :body, :t)"
                ),
                {"id": old.id, "c": conversation, "u": ALICE, "t": at, "body": json.dumps(old.to_dict())},
            )
        migrate(engine)
        assert "moderation" in columns(engine)
        db = Database(engine)
        unsure = make_turn(ALICE)
        unsure.note_moderation([VerdictRecord("moderation-in", True, {}, (), False, 1.0, "review")])
        record_turn(db, unsure, ALICE, conversation)
        with engine.connect() as conn:
            stored = dict(conn.execute(text("SELECT id, moderation FROM turns")).all())
        assert stored == {old.id: None, unsure.id: "review"}
        assert {f.turn_id: f.why for f in flagged_turns(db, *WIDE)} == {
            old.id: "blocked_input",
            unsure.id: "moderation: review",
        }

        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0003_staff_console")
        assert "moderation" not in columns(engine)
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM turns")) == 2
            assert conn.scalar(text("SELECT count(*) FROM reports")) == 0
        migrate(engine)
        assert "moderation" in columns(engine)
    finally:
        engine.dispose()
