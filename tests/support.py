"""Small helpers the test servers and app tests share: loopback ports, logs, stopping by pid,
reading records back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
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


class CountingEmbedder:
    """The real MiniLM embedder, keeping the texts it is asked to embed."""

    def __init__(self) -> None:
        from bot.embedding import local_embedder

        self.inner = local_embedder()
        self.model_id, self.dimensions = self.inner.model_id, self.inner.dimensions
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return self.inner.embed(texts)
