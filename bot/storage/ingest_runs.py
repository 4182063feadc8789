"""Each ingest run, as the KB health view needs it: when, by whom, what it indexed, what it rejected and why."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bot.storage.db import Database
from bot.storage.models import STAFF_NAME_MAX_CHARS, IngestRun


@dataclass(frozen=True)
class IngestRunView:
    id: int
    started_at: datetime
    finished_at: datetime
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
    with db.transaction() as session:
        run = IngestRun(
            started_at=started_at,
            finished_at=finished_at,
            by=(by.strip() or "unknown")[:STAFF_NAME_MAX_CHARS],
            articles=articles,
            chunks=chunks,
            counts={str(k): int(v) for k, v in counts.items()},
            rejects=[{str(k): str(v) for k, v in r.items()} for r in rejects],
        )
        session.add(run)
        session.flush()
        return run.id


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
