"""Ingest runs in the records, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.storage.db import Database
from bot.storage.ingest_runs import (
    finish_ingest_run,
    ingest_in_progress,
    ingest_runs,
    record_ingest_run,
    start_ingest_run,
    update_ingest_run,
)


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


def test_a_run_is_in_progress_from_its_start_until_it_finishes(db: Database) -> None:
    start = datetime(2026, 11, 28, 9, tzinfo=UTC)
    stale = timedelta(seconds=30)
    run = start_ingest_run(db, started_at=start, by="anna")
    progress = ingest_in_progress(db, stale, now=start + timedelta(seconds=1))
    assert progress is not None and progress.id == run
    assert (progress.chunks_done, progress.chunks_planned, progress.stored_articles) == (0, None, None)
    assert progress.first_load  # not planned yet: it may be loading an empty store

    update_ingest_run(db, run, at=start + timedelta(seconds=20), chunks_planned=370, stored_articles=0)
    update_ingest_run(db, run, at=start + timedelta(seconds=40), chunks_done=128)
    progress = ingest_in_progress(db, stale, now=start + timedelta(seconds=41))
    assert progress is not None
    assert (progress.chunks_done, progress.chunks_planned, progress.stored_articles) == (128, 370, 0)
    assert progress.heartbeat_at == start + timedelta(seconds=40) and progress.first_load
    assert ingest_runs(db)[0].finished_at is None

    finish_ingest_run(
        db, run, finished_at=start + timedelta(seconds=60), articles=46, chunks=370, counts={"loaded": 46}, rejects=[]
    )
    assert ingest_in_progress(db, stale, now=start + timedelta(seconds=61)) is None
    (done,) = ingest_runs(db)
    assert (done.finished_at, done.articles, done.chunks) == (start + timedelta(seconds=60), 46, 370)


def test_a_run_whose_heartbeat_stopped_is_not_in_progress(db: Database) -> None:
    """A killed ingest never finishes: once its heartbeat is older than the stale limit, nothing shows it loading."""
    start = datetime(2026, 11, 28, 9, tzinfo=UTC)
    stale = timedelta(seconds=30)
    run = start_ingest_run(db, started_at=start, by="anna")
    update_ingest_run(db, run, at=start + timedelta(seconds=10), chunks_planned=370, stored_articles=12)
    assert ingest_in_progress(db, stale, now=start + timedelta(seconds=40)) is not None  # 30 s since its last beat
    assert ingest_in_progress(db, stale, now=start + timedelta(seconds=41)) is None
    progress = ingest_in_progress(db, stale, now=start + timedelta(seconds=39))
    assert progress is not None and not progress.first_load  # the store held articles: an update, not a first load


def test_the_newest_live_run_is_the_one_in_progress(db: Database) -> None:
    start = datetime(2026, 11, 28, 9, tzinfo=UTC)
    killed = start_ingest_run(db, started_at=start, by="anna")
    later = start_ingest_run(db, started_at=start + timedelta(minutes=5), by="ben")
    now = start + timedelta(minutes=5, seconds=2)
    progress = ingest_in_progress(db, timedelta(seconds=30), now=now)
    assert progress is not None and progress.id == later != killed


def test_before_it_plans_a_run_is_a_first_load_only_if_no_earlier_run_left_articles(db: Database) -> None:
    """A run reads its articles and loads its models before it knows what the store holds: an update
    run must not show customers a loading page meanwhile."""
    start = datetime(2026, 11, 28, 9, tzinfo=UTC)
    stale, now = timedelta(seconds=30), start + timedelta(minutes=10, seconds=1)
    record_ingest_run(db, started_at=start, finished_at=start, by="a", articles=0, chunks=0, counts={}, rejects=[])
    record_ingest_run(db, started_at=start, finished_at=start, by="b", articles=0, chunks=0,
                      counts={"failed": 1}, rejects=[])  # fmt: skip
    start_ingest_run(db, started_at=start + timedelta(minutes=10), by="c")
    progress = ingest_in_progress(db, stale, now=now)
    assert progress is not None and progress.first_load  # nothing was ever loaded

    done = start_ingest_run(db, started_at=start + timedelta(minutes=10), by="d")
    finish_ingest_run(db, done, finished_at=now, articles=46, chunks=370, counts={"loaded": 46}, rejects=[])
    update = start_ingest_run(db, started_at=start + timedelta(minutes=10, seconds=1), by="e")
    progress = ingest_in_progress(db, stale, now=now)
    assert progress is not None and progress.id == update and not progress.first_load
    update_ingest_run(db, update, at=now, chunks_planned=0, stored_articles=0)  # its plan says: an empty store
    progress = ingest_in_progress(db, stale, now=now)
    assert progress is not None and progress.first_load  # the plan wins over the history
