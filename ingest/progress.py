"""An ingest run's progress in the records, where every app process reads it (bot.storage.ingest_runs).

The run is recorded when it starts, then reports its plan and the chunks written after each batch;
a thread beats its heartbeat every `stale_seconds / 6` meanwhile, so a run busy in one long stage
still shows as alive, and a killed one stops beating and is soon not shown as loading. A records
failure never fails the ingest: it is reported once, and the run goes on without progress.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.config import Settings

if TYPE_CHECKING:
    from bot.storage.db import Database

BEATS_PER_STALE = 6  # heartbeats within the stale limit: a few may be late under load


class RunProgress:
    def __init__(self, db: Database | None, run_id: int | None, beat_seconds: float) -> None:
        """Use `start`; with no database (it could not be opened) every call does nothing."""
        self._db, self._run_id = db, run_id
        self._lock = threading.Lock()  # one write at a time from the run and its heartbeat thread
        self._stopped = threading.Event()
        self._finished = False
        self._failed = False
        self._beats: threading.Thread | None = None
        if db is not None and run_id is not None:
            self._beats = threading.Thread(target=self._beat_every, args=(beat_seconds,), daemon=True, name="heartbeat")
            self._beats.start()

    @classmethod
    def start(cls, settings: Settings, started_at: datetime, by: str) -> RunProgress:
        from bot.storage.db import open_database  # here: what `import ingest.cli` loads stays small
        from bot.storage.ingest_runs import start_ingest_run

        try:
            db = open_database(settings)
        except Exception as err:
            print(f"ingest: the run is not recorded in the records: {err}", file=sys.stderr)
            return cls(None, None, 0)
        try:
            run_id = start_ingest_run(db, started_at=started_at, by=by)
        except Exception as err:
            print(f"ingest: the run is not recorded in the records: {err}", file=sys.stderr)
            db.close()
            return cls(None, None, 0)
        print(f"ingest: run {run_id} started; its progress is in the records", flush=True)
        return cls(db, run_id, settings.ingest_stale_seconds / BEATS_PER_STALE)

    @property
    def recorded(self) -> bool:
        return self._run_id is not None

    def planned(self, chunks: int, stored_articles: int) -> None:
        self._update(chunks_planned=chunks, stored_articles=stored_articles)

    def done(self, chunks: int) -> None:
        self._update(chunks_done=chunks)

    def finish(
        self, *, articles: int, chunks: int, counts: Mapping[str, int], rejects: Sequence[Mapping[str, str]]
    ) -> None:
        from bot.storage.ingest_runs import finish_ingest_run

        run = lambda db, run_id: finish_ingest_run(  # noqa: E731
            db, run_id, finished_at=datetime.now(UTC), articles=articles, chunks=chunks, counts=counts, rejects=rejects
        )
        self._stopped.set()
        self._write(run)
        self._finished = True

    def close(self) -> None:
        """Stop the heartbeat; a run that did not reach `finish` (an error, Ctrl-C before the writes)
        is finished here as failed, so that it does not show as loading."""
        self._stopped.set()
        if self._beats is not None:
            self._beats.join(timeout=10)
        if not self._finished and self._run_id is not None:
            self.finish(articles=0, chunks=0, counts={"failed": 1}, rejects=[])
        if self._db is not None:
            self._db.close()
            self._db = None

    def _update(self, **values: Any) -> None:
        from bot.storage.ingest_runs import update_ingest_run

        self._write(lambda db, run_id: update_ingest_run(db, run_id, at=datetime.now(UTC), **values))

    def _beat_every(self, seconds: float) -> None:
        while not self._stopped.wait(seconds):
            self._update()

    def _write(self, write: Callable[[Database, int], None]) -> None:
        if self._db is None or self._run_id is None:
            return
        with self._lock:
            try:
                write(self._db, self._run_id)
            except Exception as err:
                if not self._failed:  # once: a records outage would otherwise print every few seconds
                    print(f"ingest: the run's progress could not be recorded: {err}", file=sys.stderr)
                self._failed = True
