"""Migration 0002_report_contact, on SQLite and on a real PostgreSQL server: reports filed before it keep
everything and get no contact; a downgrade drops the column and keeps the reports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text

from bot.storage.db import alembic_config, make_engine, migrate

REVISION = "0002_report_contact"
USER = "a" * 64


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def report_columns(engine: Engine) -> dict[str, dict[str, object]]:
    return {column["name"]: column for column in inspect(engine).get_columns("reports")}


def file_a_report_at_0001(engine: Engine) -> None:
    """A report as the first schema stored it, written with plain SQL (the models are already at head)."""
    now = "2026-11-27 10:00:00"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO users (id, created_at, is_staff) VALUES (:u, :t, false)"), {"u": USER, "t": now})
        conn.execute(
            text("INSERT INTO conversations (id, user_id, intent, started_at) VALUES (:c, :u, 'returns', :t)"),
            {"c": "c" * 32, "u": USER, "t": now},
        )
        conn.execute(
            text(
                "INSERT INTO turns (id, conversation_id, user_id, started_at, intent, decision, question, answer,"
                " model, turn, created_at) VALUES ('t1', :c, :u, :t, 'returns', 'answered', 'q', 'a', 'extractive',"
                " '{}', :t)"
            ),
            {"c": "c" * 32, "u": USER, "t": now},
        )
        conn.execute(
            text(
                "INSERT INTO reports (id, turn_id, user_id, reason, text, status, turn, created_at)"
                " VALUES ('R-AAAAA', 't1', :u, 'other', 'kept', 'open', '{}', :t)"
            ),
            {"u": USER, "t": now},
        )


def test_the_contact_column_is_added_empty_and_dropped_again(engine: Engine) -> None:
    migrate(engine, "0001_initial")
    assert "contact" not in report_columns(engine)
    file_a_report_at_0001(engine)

    migrate(engine, REVISION)
    contact = report_columns(engine)["contact"]
    assert contact["nullable"] is True
    assert getattr(contact["type"], "length", None) == 254
    with engine.begin() as conn:
        assert conn.execute(text("SELECT text, contact FROM reports WHERE id = 'R-AAAAA'")).one() == ("kept", None)
        conn.execute(text("UPDATE reports SET contact = 'ann@example.com' WHERE id = 'R-AAAAA'"))

    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0001_initial")
    assert "contact" not in report_columns(engine)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT text FROM reports WHERE id = 'R-AAAAA'")) == "kept"
        assert conn.scalar(text("SELECT version_num FROM alembic_version")) == "0001_initial"


def test_the_revision_follows_the_first_schema() -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config()).get_revision(REVISION)
    assert script is not None and script.down_revision == "0001_initial"
