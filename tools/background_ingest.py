"""`python -m ingest --prune` beside the app (`make run`): the page comes up while the KB loads, and
shows the load's progress from the records (bot.ui.kb_loading).

The child writes to a log file, runs in a session of its own (Ctrl-C in the terminal reaches the
app; the launcher stops the child), and is stopped by its pid when the block ends: SIGINT first,
which ingest honours after its current batch (every article whole or absent, the run recorded as
interrupted), then SIGTERM, then SIGKILL, each wait bounded.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMAND = ("-m", "ingest", "--prune", "--quiet")
# ingest prints one of these once its run is (or cannot be) in the records (ingest.progress)
RECORDED_MARKS = ("ingest: run ", "ingest: the run is not recorded")
RECORD_WAIT_SECONDS = 60.0
STOP_SECONDS = (20.0, 5.0, 5.0)  # after SIGINT (a batch under load), SIGTERM, SIGKILL


@dataclass
class IngestChild:
    proc: subprocess.Popen[bytes]
    log: Path
    offset: int  # where this run's output starts in the log

    def wait_until_recorded(self, timeout: float = RECORD_WAIT_SECONDS) -> bool:
        """Wait until the run is in the records (so the app shows the KB as loading from its first
        page), or the child has exited; False if neither happened within `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(mark in self.output() for mark in RECORDED_MARKS) or self.proc.poll() is not None:
                return True
            time.sleep(0.05)
        return False

    def output(self) -> str:
        try:
            with self.log.open("rb") as file:
                file.seek(self.offset)
                return file.read().decode("utf-8", errors="replace")
        except OSError:
            return ""


@contextmanager
def background_ingest(log: Path, env: Mapping[str, str] | None = None) -> Iterator[IngestChild]:
    """The ingest child while the block runs; says in the terminal when it has finished."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        out.write(f"\n== {time.strftime('%Y-%m-%d %H:%M:%S')} python {' '.join(COMMAND)}\n".encode())
        out.flush()
        offset = out.tell()
        proc = subprocess.Popen(
            [sys.executable, *COMMAND],
            cwd=ROOT,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    child = IngestChild(proc, log, offset)
    print(f"ingest: loading the KB in the background, pid {proc.pid} (log {log})", flush=True)
    stopping = threading.Event()
    threading.Thread(target=_announce_end, args=(child, stopping), daemon=True, name="ingest-end").start()
    try:
        yield child
    finally:
        stopping.set()
        stop_ingest(proc)


def _announce_end(child: IngestChild, stopping: threading.Event) -> None:
    status = child.proc.wait()
    if stopping.is_set():
        return
    if status == 0:
        print("ingest: the KB is loaded; the app serves it", flush=True)
    else:
        print(f"ingest: exited with status {status}; see {child.log}", flush=True)


def stop_ingest(proc: subprocess.Popen[bytes], waits: tuple[float, float, float] = STOP_SECONDS) -> int | None:
    """Stop the child by its pid: SIGINT, SIGTERM, SIGKILL, each followed by a bounded wait.
    Returns its exit status, or None if it outlived even SIGKILL's wait."""
    for send, wait in zip((lambda: proc.send_signal(signal.SIGINT), proc.terminate, proc.kill), waits, strict=True):
        if proc.poll() is not None:
            return proc.returncode
        send()
        try:
            return proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
    return proc.poll()
