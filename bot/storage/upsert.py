"""INSERT ... ON CONFLICT for the two backends we support (SQLite and PostgreSQL share the syntax).

Used instead of "select, then insert if missing", which two writers at once can both pass.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.storage.models import Base


def _insert(session: Session, model: type[Base]) -> Any:
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(model)
    if name == "sqlite":
        return sqlite.insert(model)
    raise ValueError(f"unsupported database backend {name!r}")


def insert_ignore(session: Session, model: type[Base], values: Mapping[str, Any], conflict: Sequence[str]) -> bool:
    """Insert a row unless one with the same `conflict` columns exists; True when it was inserted.

    Told by RETURNING, not rowcount: psycopg 3 under SQLAlchemy reports -1 for this statement.
    """
    primary_key = list(model.__table__.primary_key.columns)
    statement = (
        _insert(session, model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=list(conflict))
        .returning(*primary_key)
    )
    return session.execute(statement).first() is not None


def upsert(
    session: Session, model: type[Base], values: Mapping[str, Any], conflict: Sequence[str], update: Sequence[str]
) -> None:
    """Insert a row, or set the `update` columns of the one with the same `conflict` columns."""
    statement = _insert(session, model).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=list(conflict), set_={name: statement.excluded[name] for name in update}
    )
    session.execute(statement)
