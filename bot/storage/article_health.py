"""Article health from the records, for the staff KB page: the most cited, most thumbed-down and
most reported articles over a date range [since, until). One SQL query each, the same on SQLite
and PostgreSQL, counting `turn_articles` rows (bot.storage.turn_articles) through indexes: no
turn's JSON is read.

A thumbs-down or a report counts against every article its turn put before the customer (cited, or
suggested), since the customer judged what they were shown. Ranges go by the feedback's and the
report's own time, as the dashboard's do.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from bot.storage.dashboard import check_range, count_by
from bot.storage.db import Database
from bot.storage.models import Feedback, Report, TurnArticle

TOP = 10


def most_cited(db: Database, since: datetime, until: datetime, limit: int = TOP) -> list[tuple[str, int]]:
    """Articles by the number of answers that cited them."""
    check_range(since, until)
    query = select(TurnArticle.article_id, func.count().label("n")).where(
        TurnArticle.created_at >= since, TurnArticle.created_at < until, TurnArticle.used == "cited"
    )
    return count_by(db, query, limit)


def most_thumbed_down(db: Database, since: datetime, until: datetime, limit: int = TOP) -> list[tuple[str, int]]:
    """Articles by the number of thumbs-down given to turns that showed them."""
    check_range(since, until)
    query = (
        select(TurnArticle.article_id, func.count().label("n"))
        .join(Feedback, Feedback.turn_id == TurnArticle.turn_id)
        .where(Feedback.created_at >= since, Feedback.created_at < until, Feedback.score == -1)
    )
    return count_by(db, query, limit)


def most_reported(db: Database, since: datetime, until: datetime, limit: int = TOP) -> list[tuple[str, int]]:
    """Articles by the number of reports filed on turns that showed them."""
    check_range(since, until)
    query = (
        select(TurnArticle.article_id, func.count().label("n"))
        .join(Report, Report.turn_id == TurnArticle.turn_id)
        .where(Report.created_at >= since, Report.created_at < until)
    )
    return count_by(db, query, limit)
