"""The throw-away PostgreSQL server of the storage tests: tools/postgres_server.py (shared with `make run-scaled`)."""

from tools.postgres_server import (
    PostgresServerError,
    create_database,
    drop_database,
    find_binaries,
    running_postgres,
)

__all__ = ["PostgresServerError", "create_database", "drop_database", "find_binaries", "running_postgres"]
