"""Each ingest run, as the KB health view needs it: when, by whom, what it indexed, what it rejected and why;
and, while it runs, its progress, which every app process reads (`ingest_in_progress`).

A run is recorded when it starts (`start_ingest_run`), reports its plan and each batch
(`update_ingest_run`, which also beats its heartbeat), and is finished (`finish_ingest_run`). A run
whose heartbeat is older than the stale limit was killed: it is not in progress any more.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from bot.storage.db import Database
from bot.storage.models import STAFF_NAME_MAX_CHARS, IngestRun


@dataclass(frozen=True)
class IngestRunView:
    id: int
    started_at: datetime
    finished_at: datetime | None  # None: still running, or killed (see `IngestProgress.live`)
    by: str
    articles: int
    chunks: int
    counts: dict[str, int]
    rejects: list[dict[str, str]]  # {"source", "article", "reason"}


def record_ingest_run(
    db: Database,
    *,
    started_at: datetime,
    finished_at: datetime,
    by: str,
    articles: int,
    chunks: int,
    counts: Mapping[str, int],
    rejects: Sequence[Mapping[str, str]],
) -> int:
    """A whole run at once (one that could not be recorded when it started)."""
    run_id = start_ingest_run(db, started_at=started_at, by=by)
    finish_ingest_run(
        db, run_id, finished_at=finished_at, articles=articles, chunks=chunks, counts=counts, rejects=rejects
    )
    return run_id


def start_ingest_run(db: Database, *, started_at: datetime, by: str) -> int:
    """The run, in progress from now: no finish time, its heartbeat at `started_at`."""
    with db.transaction() as session:
        run = IngestRun(
            started_at=started_at,
            finished_at=None,
            heartbeat_at=started_at,
            by=(by.strip() or "unknown")[:STAFF_NAME_MAX_CHARS],
            articles=0,
            chunks=0,
            counts={},
            rejects=[],
        )
        session.add(run)
        session.flush()
        return run.id


def update_ingest_run(
    db: Database,
    run_id: int,
    *,
    at: datetime,
    chunks_done: int | None = None,
    chunks_planned: int | None = None,
    stored_articles: int | None = None,
) -> None:
    """Beat the run's heartbeat, with whatever else it reports (None: unchanged)."""
    values: dict[str, object] = {"heartbeat_at": at}
    for column, value in (("chunks", chunks_done), ("chunks_planned", chunks_planned),
                          ("stored_articles", stored_articles)):  # fmt: skip
        if value is not None:
            values[column] = value
    with db.transaction() as session:
        session.execute(update(IngestRun).where(IngestRun.id == run_id).values(**values))


def finish_ingest_run(
    db: Database,
    run_id: int,
    *,
    finished_at: datetime,
    articles: int,
    chunks: int,
    counts: Mapping[str, int],
    rejects: Sequence[Mapping[str, str]],
) -> None:
    with db.transaction() as session:
        session.execute(
            update(IngestRun)
            .where(IngestRun.id == run_id)
            .values(
                finished_at=finished_at,
                heartbeat_at=finished_at,
                articles=articles,
                chunks=chunks,
                counts={str(k): int(v) for k, v in counts.items()},
                rejects=[{str(k): str(v) for k, v in r.items()} for r in rejects],
            )
        )


@dataclass(frozen=True)
class IngestProgress:
    """A run that has not finished, as the app shows it."""

    id: int
    started_at: datetime
    heartbeat_at: datetime
    chunks_done: int
    chunks_planned: int | None  # None until the run has read its articles and planned
    stored_articles: int | None  # articles in the store when it planned; None until then
    loaded_before: bool = False  # an earlier run finished with articles in the store

    @property
    def first_load(self) -> bool:
        """Loading into an empty store: until it finishes there is no KB to answer from, only part of
        one. Before the run has planned, it is a first load if no earlier run left articles."""
        if self.stored_articles is None:
            return not self.loaded_before
        return self.stored_articles == 0


def ingest_in_progress(db: Database, stale_after: timedelta, now: datetime | None = None) -> IngestProgress | None:
    """The newest run that has not finished and whose heartbeat is within `stale_after` of `now`:
    a killed run stops beating, so it does not show as in progress for longer than that."""
    now = now or datetime.now(UTC)
    with db.read() as session:
        run = session.scalars(
            select(IngestRun)
            .where(IngestRun.finished_at.is_(None), IngestRun.heartbeat_at >= now - stale_after)
            .order_by(IngestRun.started_at.desc(), IngestRun.id.desc())
            .limit(1)
        ).first()
        if run is None or run.heartbeat_at is None:
            return None
        loaded_before = session.scalar(
            select(IngestRun.id)
            .where(IngestRun.id < run.id, IngestRun.finished_at.is_not(None), IngestRun.articles > 0)
            .limit(1)
        )
        return IngestProgress(
            run.id,
            run.started_at,
            run.heartbeat_at,
            run.chunks,
            run.chunks_planned,
            run.stored_articles,
            loaded_before is not None,
        )


def ingest_runs(db: Database, limit: int = 20) -> list[IngestRunView]:
    """The latest runs, newest first."""
    with db.read() as session:
        rows = session.scalars(
            select(IngestRun).order_by(IngestRun.started_at.desc(), IngestRun.id.desc()).limit(limit)
        )
        return [
            IngestRunView(
                r.id, r.started_at, r.finished_at, r.by, r.articles, r.chunks, dict(r.counts), list(r.rejects)
            )
            for r in rows
        ]
