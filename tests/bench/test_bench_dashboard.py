"""The dashboard bench on a small SQLite database: its records are shaped so that every figure has
something to count, and it times every figure over both ranges."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bench import bench_dashboard as bench
from bot.storage import article_health, dashboard
from bot.storage.db import Database, make_engine, migrate


def test_every_figure_counts_something_and_is_timed(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'bench.db'}")
    try:
        migrate(engine)
        db = Database(engine)
        bench.populate(db, 2000)
        since, until = bench.END - timedelta(days=bench.DAYS), bench.END
        assert sum(n for _, _, n in dashboard.turns_per_day(db, since, until)) == 2000
        cited = article_health.most_cited(db, since, until)
        assert len(cited) == 10 and cited[0][1] > cited[-1][1]  # a long tail: the top articles stand out
        assert article_health.most_thumbed_down(db, since, until) and article_health.most_reported(db, since, until)
        results = bench.measure(db)
    finally:
        engine.dispose()
    assert set(results) == set(bench.figures(db, since, until))
    assert all(set(times) == {"30 days", "7 days"} and min(times.values()) > 0 for times in results.values())
