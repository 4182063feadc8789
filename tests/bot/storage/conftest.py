"""Every storage test runs twice: on SQLite in a temporary folder, and on a real PostgreSQL server.

The PostgreSQL server (tests/postgres_server.py) starts once per session on loopback; each test
gets a database of its own, created empty and migrated by `open_database`, dropped afterwards.
Missing server binaries fail the PostgreSQL tests with the apt package to install; they never skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.storage.db import Database, open_database

os.environ.pop("DATABASE_URL", None)  # a developer's own database must never be touched by the tests

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    from tests.postgres_server import PostgresServerError, find_binaries, running_postgres

    try:
        find_binaries()
    except PostgresServerError as exc:
        pytest.fail(str(exc))
    with running_postgres() as url:
        yield url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each backend: a SQLite file, or a new database on the test server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'records' / 'safedesk.db'}"
        return
    from tests.postgres_server import create_database, drop_database

    server_url = request.getfixturevalue("postgres_server_url")
    name = f"test_{uuid.uuid4().hex[:16]}"
    url = create_database(server_url, name)
    yield url
    drop_database(server_url, name)


@pytest.fixture
def storage_settings(settings_factory: Callable[..., Settings], tmp_path: Path, database_url: str) -> Settings:
    return settings_factory(tmp_path / "data", database_url=database_url)


@pytest.fixture
def db(storage_settings: Settings) -> Iterator[Database]:
    database = open_database(storage_settings)
    yield database
    database.close()
