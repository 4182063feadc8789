"""Migrating a database of the 0004 schema (moderation outcomes) to article health (0005): the
turns recorded before it get their articles from their JSON; and back."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import inspect, text

from bot.config import Settings
from bot.storage.article_health import most_cited, most_reported
from bot.storage.db import Database, alembic_config, make_engine, migrate
from bot.turn import Decision, Suggestion
from tests.bot.storage.factories import make_turn, new_conversation, user_hash

ALICE = user_hash("alice")


def test_turns_of_todays_schema_get_their_articles_and_the_downgrade_drops_them(storage_settings: Settings) -> None:
    engine = make_engine(storage_settings.database_url_or_default)
    try:
        migrate(engine, "0004_moderation_outcome")
        assert "turn_articles" not in inspect(engine).get_table_names()
        answered = make_turn(ALICE)
        suggested = make_turn(ALICE, decision=Decision.SUGGESTED)
        suggested.citations = []
        suggested.suggestions = [Suggestion("warranty", "Warranty", "https://help.example/w", "Cover", "Two years.")]
        created = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
        stamp = created if engine.dialect.name == "postgresql" else "2026-11-01 09:30:00.000000"
        conversation = new_conversation()
        with engine.begin() as conn:  # rows as the 0004 schema holds them
            conn.execute(
                text("INSERT INTO users (id, created_at, is_staff) VALUES (:u, :t, false)"), {"u": ALICE, "t": stamp}
            )
            conn.execute(
                text("INSERT INTO conversations (id, user_id, intent, started_at) VALUES (:c, :u, 'billing', :t)"),
                {"c": conversation, "u": ALICE, "t": stamp},
            )
            for turn in (answered, suggested):
                conn.execute(
                    text(
                        "INSERT INTO turns (id, conversation_id, user_id, started_at, intent, decision, question,"
                        " answer, model, turn, created_at) VALUES (:id, :c, :u, :t, 'billing', :d, 'q', 'a', '',"
                        " :body, :t)"
                    ),
                    {"id": turn.id, "c": conversation, "u": ALICE, "t": stamp, "d": turn.decision.value,
                     "body": json.dumps(turn.to_dict())},
                )  # fmt: skip
            conn.execute(
                text(
                    "INSERT INTO reports (id, turn_id, user_id, reason, text, status, turn, created_at)"
                    " VALUES ('R-AAAAA', :turn, :user, 'other', 'x', 'open', '{}', :t)"
                ),
                {"turn": suggested.id, "user": ALICE, "t": stamp},
            )
        migrate(engine)
        db = Database(engine)
        day = (created, created + timedelta(days=1))
        assert most_cited(db, *day) == [("returns-policy", 1)]  # backfilled from the JSON, at the turn's time
        assert most_reported(db, *day) == [("warranty", 1)]
        with engine.connect() as conn:
            rows = sorted(conn.execute(text("SELECT article_id, used FROM turn_articles")).all())
        assert rows == [("returns-policy", "cited"), ("warranty", "suggested")]

        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0004_moderation_outcome")
        assert "turn_articles" not in inspect(engine).get_table_names()
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM turns")) == 2
        migrate(engine)
        assert most_cited(db, *day) == [("returns-policy", 1)]
    finally:
        engine.dispose()
