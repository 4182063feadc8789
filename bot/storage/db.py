"""Engines, sessions and migrations: SQLite under the data directory, or PostgreSQL (psycopg 3).

`open_database(settings)` is what the app and the CLI call: it builds the engine for
`settings.database_url_or_default`, brings the schema to the newest migration, and returns a
`Database` whose `transaction()` commits on success and rolls back on any exception, and whose
`read()` is a plain transaction for reads (on SQLite it never waits for a writer).
"""

from __future__ import annotations

import sqlite3
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.private_files import create_private_file, private_dir

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_S = 30.0  # how long a writer waits for another one to commit (SAFEDESK_DB_BUSY_TIMEOUT_SECONDS)
READ = "safedesk_read"  # execution option of read() sessions: a plain BEGIN on SQLite, not BEGIN IMMEDIATE
MIGRATION_LOCK_KEY = 0x5AFE_DE5C  # PostgreSQL advisory lock: two processes opening a fresh database
# The newest migration (tests/bot/storage/test_db.py checks it against alembic's head). A database
# already there is opened without importing alembic, which costs a short-lived CLI ~0.4 s.
HEAD_REVISION = "0006_ingest_progress"


def normalize_url(url: str | URL) -> URL:
    """A SQLAlchemy URL; plain `postgresql://` and `postgres://` mean psycopg 3, the driver we install."""
    if isinstance(url, str):
        url = url.strip()
        if not url:
            raise ValueError("the database URL is empty")
        if url.startswith("postgres://"):
            url = "postgresql://" + url.removeprefix("postgres://")
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str | URL, busy_timeout_s: float = SQLITE_BUSY_TIMEOUT_S) -> Engine:
    """An engine for SQLite (parent folder created, foreign keys on, WAL) or PostgreSQL via psycopg 3."""
    parsed = normalize_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed, busy_timeout_s)
    if backend == "postgresql":
        if parsed.get_driver_name() != "psycopg":
            raise ValueError(f"use postgresql+psycopg:// (psycopg 3), not {parsed.drivername}://")
        return create_engine(parsed, pool_pre_ping=True)
    raise ValueError(
        f"unsupported database URL {parsed.render_as_string(hide_password=True)!r}: use sqlite:/// or postgresql://"
    )


def _sqlite_engine(url: URL, busy_timeout_s: float) -> Engine:
    if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        # Created 0600 in a folder created 0700 before SQLite opens it (its -wal and -shm files take
        # the database file's mode): the records hold every user's questions.
        path = Path(url.database).expanduser()
        create_private_file(private_dir(path.parent) / path.name)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": busy_timeout_s})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
            _enable_wal(cursor)
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # IMMEDIATE takes the write lock up front, so a read-then-write transaction never fails
        # half-way with "database is locked" when another writer got in between; writers queue
        # for up to the busy timeout instead. Reads (Database.read) take no lock: with WAL, a
        # writer holding the database never delays them.
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ) else "BEGIN IMMEDIATE")

    return engine


def _enable_wal(cursor: Any) -> None:
    """Switch a SQLite file to WAL (persistent: once per file). The switch needs the file to itself and does not
    wait on the busy timeout, so two processes opening a fresh database at once retry for a bounded time."""
    if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
        return
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")  # answers "memory" for :memory:, which stays so
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, built in code: works from any working directory, needs no alembic.ini."""
    from alembic.config import Config

    # stdout passed now: Config's default is the sys.stdout of the moment alembic was first imported.
    config = Config(stdout=sys.stdout)
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Run `alembic upgrade <revision>` on this engine, in one transaction."""
    from alembic import command

    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":  # SQLite: BEGIN IMMEDIATE already serialises this
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        command.upgrade(alembic_config(connection), revision)


class Database:
    """The engine and a session factory. Sessions do not expire objects on commit."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.read_sessions = sessionmaker(engine.execution_options(**{READ: True}), expire_on_commit=False)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One session in one transaction: committed when the block ends, rolled back if it raises."""
        with self.sessions.begin() as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """One session in a plain transaction, for reads only: on SQLite it takes no write lock, so
        a page that only reads is never held up by a writer (nor fails after the busy timeout)."""
        with self.read_sessions.begin() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()


def at_head(engine: Engine) -> bool:
    """Whether the schema is at the newest migration, read without alembic (and on SQLite without
    the write lock). Any doubt (no version table, an older or unknown version) answers False."""
    try:
        with engine.execution_options(**{READ: True}).connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except SQLAlchemyError:
        return False
    return versions == [HEAD_REVISION]


def open_database(settings: Settings) -> Database:
    """The records database of these settings, migrated to the newest schema."""
    engine = make_engine(settings.database_url_or_default, settings.db_busy_timeout_seconds)
    try:
        if not at_head(engine):
            migrate(engine)
    except BaseException:
        engine.dispose()
        raise
    return Database(engine)
