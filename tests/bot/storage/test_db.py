"""Engines and migrations, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import OperationalError

from bot.config import Settings
from bot.storage.db import (
    HEAD_REVISION,
    Database,
    alembic_config,
    at_head,
    make_engine,
    migrate,
    normalize_url,
    open_database,
)
from bot.storage.models import Base, User

TABLES = {
    "users",
    "acknowledgements",
    "conversations",
    "turns",
    "feedback",
    "reports",
    "audit_events",
    "kb_gaps",
    "article_fixes",
    "blocks",
    "strikes",
    "admissions",
    "ingest_runs",
    "turn_flags",
    "turn_articles",
}


def test_migrations_create_every_table_at_head(db: Database) -> None:
    assert set(inspect(db.engine).get_table_names()) == TABLES | {"alembic_version"}
    assert set(Base.metadata.tables) == TABLES
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with db.engine.connect() as conn:
        assert conn.scalar(text("SELECT version_num FROM alembic_version")) == head


def test_models_and_migrations_agree(db: Database) -> None:
    """`alembic check`: autogenerate finds nothing to change between the models and the migrated schema."""
    with db.engine.connect() as conn:
        command.check(alembic_config(conn))


def test_constraint_names_follow_the_naming_convention(db: Database) -> None:
    inspector = inspect(db.engine)
    assert [fk["name"] for fk in inspector.get_foreign_keys("acknowledgements")] == [
        "fk_acknowledgements_user_id_users"
    ]
    assert {uq["name"] for uq in inspector.get_unique_constraints("feedback")} == {"uq_feedback_turn_id_user_id"}
    assert "ix_turns_created_at_decision" in {ix["name"] for ix in inspector.get_indexes("turns")}


def test_downgrade_to_nothing_and_upgrade_again(db: Database) -> None:
    with db.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    migrate(db.engine)
    assert set(inspect(db.engine).get_table_names()) == TABLES | {"alembic_version"}


def test_migrating_twice_changes_nothing(db: Database) -> None:
    migrate(db.engine)
    assert set(inspect(db.engine).get_table_names()) == TABLES | {"alembic_version"}


def test_head_revision_is_alembics_head() -> None:
    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD_REVISION


def test_at_head_only_when_the_schema_is_at_the_newest_migration(db: Database, storage_settings: Settings) -> None:
    assert at_head(db.engine)
    with db.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "-1")
    assert not at_head(db.engine)
    assert not at_head(make_engine("sqlite://"))  # no version table at all
    open_database(storage_settings).close()  # an older schema is brought up to the head again
    assert at_head(db.engine)


def test_opening_a_database_at_head_does_not_import_alembic(db: Database, storage_settings: Settings) -> None:
    code = (
        "import sys; from bot.storage.db import open_database; from bot.config import Settings; "
        "open_database(Settings(_env_file=None)).close(); print('alembic' in sys.modules)"
    )
    env = {
        **os.environ,
        "SAFEDESK_DATA_DIR": str(storage_settings.data_dir),
        "DATABASE_URL": storage_settings.database_url_or_default,
    }
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "False"


def test_two_processes_opening_a_fresh_database_at_once_both_succeed(storage_settings: Settings) -> None:
    results: list[object] = []
    barrier = threading.Barrier(2)

    def opener() -> None:
        barrier.wait()
        try:
            database = open_database(storage_settings)
            database.close()
            results.append("ok")
        except Exception as exc:  # reported below
            results.append(exc)

    threads = [threading.Thread(target=opener) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results == ["ok", "ok"]


def test_a_failed_transaction_leaves_nothing(db: Database) -> None:
    user = "a" * 64
    with pytest.raises(RuntimeError, match="boom"), db.transaction() as session:
        session.add(User(id=user))
        session.flush()  # the row reached the database inside the transaction...
        raise RuntimeError("boom")
    with db.transaction() as session:
        assert session.get(User, user) is None  # ...and was rolled back


def test_foreign_keys_are_enforced(db: Database) -> None:
    from sqlalchemy.exc import IntegrityError

    from bot.storage.models import Conversation

    with pytest.raises(IntegrityError), db.transaction() as session:
        session.add(Conversation(id="c" * 32, user_id="f" * 64, intent="orders-shipping"))
        session.flush()


def test_default_is_sqlite_under_the_data_dir(settings_factory: Callable[..., Settings], tmp_path: Path) -> None:
    settings = settings_factory(tmp_path / "data", database_url="")
    assert settings.database_url_or_default == f"sqlite:///{(tmp_path / 'data' / 'safedesk.db').resolve()}"
    database = open_database(settings)
    try:
        assert (tmp_path / "data" / "safedesk.db").is_file()
        with database.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        database.close()


def test_the_sqlite_records_and_their_folder_are_private(
    settings_factory: Callable[..., Settings], tmp_path: Path
) -> None:
    """Even with the loosest umask: the folder is created 0700, the database and its WAL 0600."""
    data = tmp_path / "data"
    old = os.umask(0)
    try:
        database = open_database(settings_factory(data, database_url=""))
        try:
            with database.transaction() as session:
                session.add(User(id="a" * 64))
            files = [data / "safedesk.db", *data.glob("safedesk.db-*")]  # the WAL and its index while open
            modes = {f.name: f.stat().st_mode & 0o777 for f in files}
        finally:
            database.close()
    finally:
        os.umask(old)
    assert data.stat().st_mode & 0o777 == 0o700
    assert modes == {"safedesk.db": 0o600, "safedesk.db-wal": 0o600, "safedesk.db-shm": 0o600}


def test_reads_are_not_held_up_by_a_writer_holding_sqlite(
    settings_factory: Callable[..., Settings], tmp_path: Path
) -> None:
    """Another process holds the write lock: a write fails after the busy timeout (0 here), a read
    goes through at once (it used to take the write lock too, and failed the same way)."""
    database = open_database(settings_factory(tmp_path / "data", database_url="", db_busy_timeout_seconds=0))
    with database.transaction() as session:
        session.add(User(id="a" * 64))
    holder = sqlite3.connect(tmp_path / "data" / "safedesk.db", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(OperationalError, match="database is locked"), database.transaction() as session:
            session.add(User(id="b" * 64))
        with database.read() as session:
            assert session.scalars(select(User.id)).all() == ["a" * 64]
    finally:
        holder.close()
        database.close()


def test_database_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.config import load_settings

    monkeypatch.setenv("DATABASE_URL", " postgresql://u:secret@db.internal:5432/safedesk ")
    settings = load_settings(env_file=None)
    assert settings.database_url_or_default == "postgresql://u:secret@db.internal:5432/safedesk"
    assert "secret" not in repr(settings)


def test_urls_are_normalised_to_psycopg_3() -> None:
    assert normalize_url("postgres://u:p@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgresql://u:p@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgresql+psycopg://u:p@h/db").drivername == "postgresql+psycopg"
    with pytest.raises(ValueError, match="unsupported database URL") as err:
        make_engine("mysql://u:hunter2@h/db")
    assert "hunter2" not in str(err.value)
    with pytest.raises(ValueError, match="psycopg"):
        make_engine("postgresql+psycopg2://u:p@h/db")
    with pytest.raises(ValueError, match="empty"):
        make_engine(" ")
