"""Every ingest run is kept in the records (when, by whom, counts, rejects) for the staff's KB health view."""

from __future__ import annotations

import getpass
import shutil
from pathlib import Path

from bot.config import Settings
from bot.storage.db import open_database
from bot.storage.ingest_runs import ingest_runs
from ingest import cli

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_each_run_is_recorded_with_its_counts_and_rejects(settings: Settings, tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    shutil.copytree(FIXTURES / "kb" / "articles", kb)
    assert cli.main([str(kb), "--quiet"], settings) == 0
    shutil.copy(FIXTURES / "rejects" / sorted(p.name for p in (FIXTURES / "rejects").iterdir())[0], kb)
    cli.main([str(kb), "--quiet"], settings)
    db = open_database(settings)
    try:
        latest, first = ingest_runs(db)
    finally:
        db.close()
    assert (first.articles, first.counts["loaded"], first.rejects, first.by) == (3, 3, [], getpass.getuser())
    assert first.chunks > 0 and first.started_at <= first.finished_at <= latest.started_at
    assert (latest.counts["unchanged"], latest.chunks, len(latest.rejects)) == (3, 0, 1)
    assert latest.rejects[0]["reason"] and latest.rejects[0]["source"].endswith(".md")


def test_a_dry_run_is_not_recorded(settings: Settings) -> None:
    assert cli.main([str(FIXTURES / "kb" / "articles"), "--quiet", "--dry-run"], settings) == 0
    db = open_database(settings)
    try:
        assert ingest_runs(db) == []
    finally:
        db.close()
