"""The test server helper itself: a missing PostgreSQL must fail with the package to install."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.postgres_server import PostgresServerError, find_binaries


def test_missing_binaries_name_the_apt_package(tmp_path: Path) -> None:
    with pytest.raises(PostgresServerError) as err:
        find_binaries(tmp_path / "no-postgres-here")
    assert "'postgresql'" in str(err.value)
    assert "apt-get install -y postgresql" in str(err.value)


def test_the_installed_binaries_are_found() -> None:
    folder = find_binaries()
    assert (folder / "initdb").is_file()
    assert (folder / "postgres").is_file()
