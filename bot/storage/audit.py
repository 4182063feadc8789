"""Who changed what: every staff action is written, in the same transaction as the change, to the
audit trail (the staff member's hashed id and display name, when, what, from what to what)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.db import Database
from bot.storage.models import NOTE_MAX_CHARS, STAFF_NAME_MAX_CHARS, USER_ID_LENGTH, AuditEvent, utcnow
from bot.storage.records import _check_user, _clean_user_text


@dataclass(frozen=True)
class Staff:
    """A staff member as the records know them: the hashed id (bot.identity) and a display name."""

    id: str
    name: str

    def __post_init__(self) -> None:
        _check_user(self.id)
        if not self.name.strip():
            raise ValueError("a staff member needs a display name")


@dataclass(frozen=True)
class AuditView:
    at: datetime
    staff_id: str
    staff_name: str
    action: str
    subject: str
    from_value: str | None
    to_value: str | None
    note: str | None


def clean_note(note: str | None) -> str | None:
    """Staff notes are redacted like user text (a note may quote a customer), then capped."""
    cleaned = _clean_user_text(note or "")[:NOTE_MAX_CHARS]
    return cleaned or None


def audit(
    session: Session,
    staff: Staff,
    action: str,
    subject: str,
    from_value: str | None,
    to_value: str | None,
    note: str | None = None,
) -> None:
    assert len(staff.id) == USER_ID_LENGTH
    session.add(
        AuditEvent(
            at=utcnow(),
            staff_id=staff.id,
            staff_name=staff.name.strip()[:STAFF_NAME_MAX_CHARS],
            action=action,
            subject=subject[:200],
            from_value=from_value[:64] if from_value is not None else None,
            to_value=to_value[:64] if to_value is not None else None,
            note=clean_note(note),
        )
    )


def audit_trail(db: Database, subject: str | None = None, limit: int = 200) -> list[AuditView]:
    """The audit trail, oldest first: of one subject (a report id, a user's hashed id, ...) or all of it."""
    query = select(AuditEvent).order_by(AuditEvent.at, AuditEvent.id).limit(limit)
    if subject is not None:
        query = query.where(AuditEvent.subject == subject)
    with db.read() as session:
        return [
            AuditView(e.at, e.staff_id, e.staff_name, e.action, e.subject, e.from_value, e.to_value, e.note)
            for e in session.scalars(query)
        ]
