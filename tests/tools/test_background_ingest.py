"""The ingest child of `make run`: stopped by its pid, each wait bounded, whatever signals it ignores;
and `make run`'s launcher (run-app --load-kb) starting it beside the app and stopping it with the app."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from bot.config import Settings
from bot.storage.db import open_database
from bot.storage.ingest_runs import ingest_in_progress, ingest_runs
from tools.background_ingest import IngestChild, stop_ingest

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 120  # bounds every wait for a process to come up


def _child(code: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-c", code], stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + START_SECONDS
    while "ready" not in log.read_text():  # its handlers are set
        assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)
    return proc


IGNORES = "import signal, time\n{}\nprint('ready', flush=True)\ntime.sleep(120)\n"


def test_a_child_that_honours_sigint_stops_at_the_first_signal(tmp_path: Path) -> None:
    proc = _child(IGNORES.format(""), tmp_path / "log")
    assert stop_ingest(proc, (30, 30, 30)) == -signal.SIGINT  # Python ends an uncaught KeyboardInterrupt so


def test_a_child_that_ignores_sigint_gets_sigterm(tmp_path: Path) -> None:
    proc = _child(IGNORES.format("signal.signal(signal.SIGINT, signal.SIG_IGN)"), tmp_path / "log")
    assert stop_ingest(proc, (0.5, 30, 30)) == -signal.SIGTERM


def test_a_child_that_ignores_sigint_and_sigterm_is_killed(tmp_path: Path) -> None:
    ignore = "signal.signal(signal.SIGINT, signal.SIG_IGN); signal.signal(signal.SIGTERM, signal.SIG_IGN)"
    proc = _child(IGNORES.format(ignore), tmp_path / "log")
    assert stop_ingest(proc, (0.5, 0.5, 30)) == -signal.SIGKILL


def test_waiting_for_the_record_ends_when_the_child_exits(tmp_path: Path) -> None:
    log = tmp_path / "log"
    log.write_text("older runs' output: ingest: run 1 started\n")
    offset = log.stat().st_size
    with log.open("ab") as out:
        proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(2)"], stdout=out)
    child = IngestChild(proc, log, offset)
    assert child.output() == ""  # an older run's line in the same log does not count
    assert child.wait_until_recorded(timeout=START_SECONDS) and proc.returncode == 2


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_run_app_with_load_kb_starts_the_ingest_beside_the_app_and_stops_it_by_pid(
    settings_factory, tmp_path: Path, free_port: int
) -> None:  # type: ignore[no-untyped-def]
    """The sample KB (370 chunks) takes far longer to embed than this test takes to stop the app once the
    run is recorded: the ingest is stopped mid-run, by its pid, and its run is not left loading."""
    from tests.support import free_port as another_port

    settings: Settings = settings_factory(
        tmp_path / "data", kb_dir=ROOT / "kb" / "articles", intents_file=ROOT / "kb" / "intents.yaml"
    )
    env = {
        **os.environ,
        "SAFEDESK_ENV_FILE": "",
        "SAFEDESK_DATA_DIR": str(settings.data_dir),
        "SAFEDESK_KB_DIR": str(settings.kb_dir),
        "SAFEDESK_INTENTS_FILE": str(settings.intents_file),
        "SAFEDESK_COLLECTION": settings.collection,
    }
    app_port, provider_port = free_port, another_port()
    out = tmp_path / "run-app.log"
    command = [sys.executable, "-m", "tools.local_auth", "run-app", "--load-kb", "--port", str(app_port),
               "--provider-port", str(provider_port), "--secrets", str(tmp_path / "secrets.toml")]  # fmt: skip
    with out.open("wb") as log:
        launcher = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    ingest_pid = 0
    try:
        deadline = time.monotonic() + START_SECONDS
        while not _answers(f"http://localhost:{app_port}/_stcore/health"):
            assert launcher.poll() is None and time.monotonic() < deadline, out.read_text()
            time.sleep(0.2)
        pid = re.search(r"ingest: loading the KB in the background, pid (\d+)", out.read_text())
        assert pid, out.read_text()
        ingest_pid = int(pid.group(1))
        os.kill(ingest_pid, 0)  # running beside the app
        assert "ingest: run 1 started" in (settings.data_dir / "ingest.log").read_text()  # the app came after it
        db = open_database(settings)
        try:
            running = ingest_in_progress(db, timedelta(seconds=settings.ingest_stale_seconds))
        finally:
            db.close()
        assert running is not None and running.first_load  # what the app's page reads
    finally:
        if launcher.poll() is None:
            launcher.send_signal(signal.SIGTERM)  # as `kill <pid>` of the launcher: it stops its children
        status = launcher.wait(timeout=60)
    assert status == 128 + signal.SIGTERM, out.read_text()
    with pytest.raises(ProcessLookupError):
        os.kill(ingest_pid, 0)  # stopped by the launcher (and reaped)
    assert not _answers(f"http://127.0.0.1:{provider_port}/.well-known/openid-configuration")
    db = open_database(settings)
    try:
        (run,) = ingest_runs(db)
    finally:
        db.close()
    # Stopped before it finished: recorded as ended (failed, or interrupted after a batch), not as loading.
    assert run.finished_at is not None and (run.counts.get("failed") or run.counts.get("interrupted")), run
