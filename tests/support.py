"""Small helpers the test servers and app tests share: loopback ports, logs, stopping by pid,
reading records back."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.config import Settings
from bot.storage.db import open_database


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (another process could take it before use: callers fail clearly)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def log_tail(path: Path, max_chars: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-max_chars:]
    except OSError as exc:
        return f"<cannot read {path}: {exc}>"


def stop(proc: subprocess.Popen[Any], grace: float = 10.0) -> None:
    """SIGTERM the process by its pid, wait, then SIGKILL."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=grace)


def stored(settings: Settings, model: type) -> list[Any]:
    """Every row of one model in the app's database, detached from the session."""
    db = open_database(settings)
    with db.transaction() as session:
        found = list(session.scalars(select(model)))
        session.expunge_all()
    db.close()
    return found
