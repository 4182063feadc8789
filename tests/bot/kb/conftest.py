"""The KB tests' store: embedded Chroma, and a real Chroma server on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from tests.chroma_server import running_chroma_server


@pytest.fixture(params=["embedded", "server"])
def store_settings(request: pytest.FixtureRequest, settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    """The test's settings, once with embedded Chroma and once with a Chroma server of its own."""
    if request.param == "embedded":
        yield settings
        return
    with running_chroma_server(tmp_path / "server") as port:
        yield settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": port})
