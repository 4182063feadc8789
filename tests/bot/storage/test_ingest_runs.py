"""Ingest runs in the records, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.storage.db import Database
from bot.storage.ingest_runs import ingest_runs, record_ingest_run


def test_runs_are_kept_and_read_newest_first(db: Database) -> None:
    start = datetime(2026, 11, 20, 8, tzinfo=UTC)
    for n in range(3):
        record_ingest_run(
            db,
            started_at=start + timedelta(days=n),
            finished_at=start + timedelta(days=n, minutes=2),
            by="  ",
            articles=10 + n,
            chunks=40,
            counts={"loaded": n},
            rejects=[{"source": "kb/x.md", "article": "x", "reason": "past its review date"}] * n,
        )
    runs = ingest_runs(db, limit=2)
    assert [r.articles for r in runs] == [12, 11]
    assert runs[0].by == "unknown" and runs[0].counts == {"loaded": 2} and runs[0].started_at.tzinfo is UTC
    assert runs[0].rejects == [{"source": "kb/x.md", "article": "x", "reason": "past its review date"}] * 2
