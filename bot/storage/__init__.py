"""The records: users (by hashed id), conversations, turns, feedback, reports, acknowledgements.

SQLAlchemy 2 with Alembic migrations; SQLite under the data directory by default, PostgreSQL by
`DATABASE_URL`. The app and the CLI call `open_database(settings)` once, then the functions of
`bot.storage.records`, each of which is one transaction.
"""

from bot.storage.db import Database, open_database

__all__ = ["Database", "open_database"]
