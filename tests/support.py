"""Small helpers the test servers and app tests share: loopback ports, logs, stopping by pid,
reading records back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.config import Settings
from bot.storage.db import open_database
from tools.processes import free_port, log_tail, stop  # noqa: F401  (shared by the tests)


def stored(settings: Settings, model: type) -> list[Any]:
    """Every row of one model in the app's database, detached from the session."""
    db = open_database(settings)
    with db.transaction() as session:
        found = list(session.scalars(select(model)))
        session.expunge_all()
    db.close()
    return found
