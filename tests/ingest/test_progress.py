"""An ingest run's progress, as the app reads it from the records while the run goes on: real
embedder, real embedded Chroma, real SQLite, the fixture KB in batches of one chunk."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import Settings
from bot.embedding import make_embedder
from bot.kb.store import open_kb
from bot.storage.db import open_database
from bot.storage.ingest_runs import IngestProgress, ingest_in_progress, ingest_runs
from ingest import cli, sync

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
STALE = timedelta(seconds=30)


def _seen_during_batches(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> list[IngestProgress | None]:
    """What another process reads from the records after each batch is written."""
    seen: list[IngestProgress | None] = []
    write = sync.KBSync._write

    def write_then_look(self, batch, flagged):  # type: ignore[no-untyped-def]
        write(self, batch, flagged)
        db = open_database(settings)
        try:
            seen.append(ingest_in_progress(db, STALE))
        finally:
            db.close()

    monkeypatch.setattr(sync.KBSync, "_write", write_then_look)
    monkeypatch.setattr(sync, "BATCH_CHUNKS", 1)  # one batch per article
    return seen


def _stored_chunks(settings: Settings) -> int:
    _, collection = open_kb(settings, make_embedder(settings), create=False)
    return collection.count()


def test_a_run_reports_its_plan_and_each_batch_then_finishes(settings: Settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    seen = _seen_during_batches(settings, monkeypatch)
    assert cli.main([str(FIXTURES / "kb" / "articles"), "--quiet"], settings) == 0
    total = _stored_chunks(settings)
    assert len(seen) == 3 and all(p is not None for p in seen)  # three articles, each a batch, all seen in progress
    progress = [p for p in seen if p is not None]
    assert {p.id for p in progress} == {progress[0].id}
    assert {(p.chunks_planned, p.stored_articles) for p in progress} == {(total, 0)}  # planned, into an empty store
    assert all(p.first_load for p in progress)
    done = [p.chunks_done for p in progress]
    # The record after a batch holds at least the batches before it (the report of this one follows its write).
    assert done == sorted(done) and done[0] == 0 and 0 < done[-1] < total

    db = open_database(settings)
    try:
        assert ingest_in_progress(db, STALE) is None  # finished: nothing loading
        (run,) = ingest_runs(db)
    finally:
        db.close()
    assert run.finished_at is not None and run.chunks == total and run.counts["loaded"] == 3

    seen.clear()
    assert cli.main([str(FIXTURES / "kb" / "articles"), "--quiet"], settings) == 0  # unchanged: nothing to write
    assert seen == []
    db = open_database(settings)
    try:
        latest = ingest_runs(db)[0]
    finally:
        db.close()
    assert (latest.chunks, latest.counts["unchanged"], latest.finished_at is not None) == (0, 3, True)


def test_the_planned_chunks_and_a_populated_store_are_recorded_for_an_update(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    articles = sorted((FIXTURES / "kb" / "articles").iterdir())
    (kb / articles[0].name).write_bytes(articles[0].read_bytes())
    assert cli.main([str(kb), "--quiet"], settings) == 0
    first = _stored_chunks(settings)
    for article in articles[1:]:
        (kb / article.name).write_bytes(article.read_bytes())
    seen = _seen_during_batches(settings, monkeypatch)
    assert cli.main([str(kb), "--quiet"], settings) == 0
    progress = [p for p in seen if p is not None]
    assert len(progress) == 2 == len(seen)
    assert {(p.chunks_planned, p.stored_articles) for p in progress} == {(_stored_chunks(settings) - first, 1)}
    assert not any(p.first_load for p in progress)  # the store already answers: an update, not a first load


def test_a_run_that_stops_early_is_finished_as_failed_not_left_loading(settings: Settings, tmp_path: Path) -> None:
    bad = settings.model_copy(update={"intents_file": tmp_path / "missing.yaml"})
    assert cli.main([str(FIXTURES / "kb" / "articles"), "--quiet"], bad) == cli.EXIT_USAGE
    db = open_database(settings)
    try:
        assert ingest_in_progress(db, STALE) is None
        (run,) = ingest_runs(db)
    finally:
        db.close()
    assert run.finished_at is not None and run.counts == {"failed": 1}
