"""Retention and data-subject requests.

`purge` keeps `SAFEDESK_RETENTION_DAYS` of turns and feedback. A turn that an unresolved report
points at is kept whatever its age (reports are kept until resolved, and a report needs its turn);
a resolved or dismissed report goes once it was closed longer ago than the retention period.
`forget` deletes everything recorded about one user (their row cascades to all of it); the audit
trail keeps what staff did, with the user's hashed id, which no longer leads anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, func, select

from bot.storage.audit import Staff, audit
from bot.storage.db import Database
from bot.storage.models import (
    Acknowledgement,
    Admission,
    Conversation,
    Feedback,
    Report,
    Strike,
    TurnRecord,
    User,
    utcnow,
)
from bot.storage.records import _check_user

CLOSED = ("resolved", "dismissed")


@dataclass(frozen=True)
class Purged:
    cutoff: datetime
    turns: int
    feedback: int
    reports: int
    conversations: int


def purge(db: Database, retention_days: int, now: datetime | None = None) -> Purged:
    """Delete what is older than the retention period, in one transaction."""
    if retention_days < 1:
        raise ValueError(f"retention must be at least one day, got {retention_days}")
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    with db.transaction() as session:
        reports = session.execute(
            delete(Report)
            .where(Report.status.in_(CLOSED), func.coalesce(Report.resolved_at, Report.created_at) < cutoff)
            .returning(Report.id)
        ).all()
        feedback = session.execute(delete(Feedback).where(Feedback.created_at < cutoff).returning(Feedback.id)).all()
        kept = exists().where(Report.turn_id == TurnRecord.id)
        turns = session.execute(
            delete(TurnRecord).where(TurnRecord.created_at < cutoff, ~kept).returning(TurnRecord.id)
        ).all()
        has_turns = exists().where(TurnRecord.conversation_id == Conversation.id)
        conversations = session.execute(
            delete(Conversation).where(Conversation.started_at < cutoff, ~has_turns).returning(Conversation.id)
        ).all()
        session.execute(delete(Strike).where(Strike.at < cutoff))
        session.execute(delete(Admission).where(Admission.at < cutoff))
    return Purged(cutoff, len(turns), len(feedback), len(reports), len(conversations))


@dataclass(frozen=True)
class Forgotten:
    user_hash: str
    found: bool
    turns: int
    reports: int


def forget(db: Database, staff: Staff, user_hash: str) -> Forgotten:
    """Delete one user's records (turns, feedback, reports, acknowledgements, limits). Audited."""
    _check_user(user_hash)
    with db.transaction() as session:
        turns = session.scalar(select(func.count()).where(TurnRecord.user_id == user_hash)) or 0
        reports = session.scalar(select(func.count()).where(Report.user_id == user_hash)) or 0
        found = session.get(User, user_hash) is not None
        # Every table keyed by the user cascades from `users`; deleted explicitly too, so a backend
        # with foreign keys off (a SQLite opened elsewhere) forgets as much.
        for model in (Feedback, Report, TurnRecord, Conversation, Acknowledgement, Strike, Admission):
            session.execute(delete(model).where(model.user_id == user_hash))
        session.execute(delete(User).where(User.id == user_hash))
        audit(session, staff, "forget", user_hash, "present" if found else "absent", "forgotten")
    return Forgotten(user_hash, found, int(turns), int(reports))
