"""Alembic's environment for SafeDesk's records.

Run by `bot.storage.db.migrate` with an open connection in `config.attributes["connection"]`
(so the caller's transaction holds the whole upgrade). From the command line
(`alembic -c bot/storage/alembic.ini ...`) it opens its own engine on `sqlalchemy.url` if set, else
on the app's database (`DATABASE_URL`, or SQLite under the data directory).
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection

from bot.config import get_settings
from bot.storage.db import make_engine
from bot.storage.models import Base, UTCDateTime

target_metadata = Base.metadata


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Autogenerate writes our UTCDateTime as the plain type it stores, so migrations import nothing of ours."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        render_item=render_item,
        compare_type=True,
        compare_server_default=True,
    )


def _url() -> str:
    """`sqlalchemy.url` if the configuration has one, else the app's own: DATABASE_URL or SQLite under the data dir."""
    return context.config.get_main_option("sqlalchemy.url") or get_settings().database_url_or_default


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as own:
            _configure(own)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
