"""Migrating a database of the 0005 schema to ingest progress (0006): the runs recorded before it stay,
finished; a run recorded in progress after it is closed at its last heartbeat by the downgrade."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import inspect, text

from bot.config import Settings
from bot.storage.db import Database, alembic_config, make_engine, migrate
from bot.storage.ingest_runs import ingest_in_progress, ingest_runs, start_ingest_run, update_ingest_run

NEW_COLUMNS = {"heartbeat_at", "chunks_planned", "stored_articles"}


def _columns(engine) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    return {c["name"]: c for c in inspect(engine).get_columns("ingest_runs")}


def test_runs_of_the_0005_schema_stay_finished_and_the_downgrade_closes_open_runs(storage_settings: Settings) -> None:
    engine = make_engine(storage_settings.database_url_or_default)
    try:
        migrate(engine, "0005_turn_articles")
        assert not NEW_COLUMNS & set(_columns(engine)) and not _columns(engine)["finished_at"]["nullable"]
        started = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
        stamps = (
            (started, started + timedelta(minutes=1))
            if engine.dialect.name == "postgresql"
            else ("2026-11-01 09:30:00.000000", "2026-11-01 09:31:00.000000")
        )
        with engine.begin() as conn:  # a run as the 0005 schema holds it
            conn.execute(
                text(
                    "INSERT INTO ingest_runs (started_at, finished_at, by, articles, chunks, counts, rejects)"
                    " VALUES (:s, :f, 'anna', 46, 370, '{\"loaded\": 46}', '[]')"
                ),
                {"s": stamps[0], "f": stamps[1]},
            )
        migrate(engine)
        columns = _columns(engine)
        assert set(columns) >= NEW_COLUMNS and columns["finished_at"]["nullable"]
        db = Database(engine)
        (old,) = ingest_runs(db)
        assert (old.finished_at, old.articles, old.chunks, old.counts) == (
            started + timedelta(minutes=1),
            46,
            370,
            {"loaded": 46},
        )
        now = datetime.now(UTC)
        assert ingest_in_progress(db, timedelta(seconds=30), now=now) is None  # a finished run is not loading

        running = start_ingest_run(db, started_at=now, by="ben")
        update_ingest_run(db, running, at=now + timedelta(seconds=5), chunks_done=64, chunks_planned=370)
        assert ingest_in_progress(db, timedelta(seconds=30), now=now + timedelta(seconds=6)) is not None

        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0005_turn_articles")
        assert not NEW_COLUMNS & set(_columns(engine)) and not _columns(engine)["finished_at"]["nullable"]
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT by, chunks FROM ingest_runs ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [("anna", 370), ("ben", 64)]

        migrate(engine)
        latest, first = ingest_runs(db)
        assert latest.finished_at == now + timedelta(seconds=5)  # closed at its last heartbeat
        assert first.finished_at == started + timedelta(minutes=1)
    finally:
        engine.dispose()
