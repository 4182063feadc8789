"""What the app and the CLI record, and what staff read back. Each function is one transaction.

Users are identified by `user_hash`, the 64-hex safety identifier of `bot.identity`: an email or a
raw OIDC subject is refused. Free text from users (report text, feedback comments) is PII-redacted
with `bot.safety.input.pii.redact` and then capped before it is stored. Reads return plain dataclasses,
never ORM objects, so nothing depends on a session that has closed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.safety.input.pii import redact
from bot.storage import ids
from bot.storage.db import Database
from bot.storage.models import (
    FEEDBACK_REASONS,
    REPORT_REASONS,
    TEXT_MAX_CHARS,
    Acknowledgement,
    Conversation,
    Feedback,
    Report,
    TurnRecord,
    User,
    utcnow,
)
from bot.storage.upsert import insert_ignore, upsert
from bot.turn import Decision, Turn

USER_HASH = re.compile(r"[0-9a-f]{64}")
CONVERSATION_ID = re.compile(r"[0-9a-f]{32}")  # uuid4().hex
NOTICE_VERSION_MAX_CHARS = 32
REPORT_ID_ATTEMPTS = 20


@dataclass(frozen=True)
class ReportView:
    """A report as a reviewer sees it: the turn is the JSON recorded when the report was made."""

    id: str
    turn_id: str
    user_hash: str
    reason: str
    text: str
    status: str
    created_at: datetime
    turn: dict[str, Any]


@dataclass(frozen=True)
class SafetyCounts:
    """Figures for the staff dashboard, from `since` on (except `open_reports`: open now, whenever filed)."""

    since: datetime
    turns: dict[str, int]  # per decision (answered, not_in_kb, blocked_input, blocked_output, error)
    feedback_up: int
    feedback_down: int
    feedback_down_reasons: dict[str, int] = field(default_factory=dict)  # "none" when no reason was given
    reports: int = 0  # filed since `since`
    open_reports: int = 0

    @property
    def total_turns(self) -> int:
        return sum(self.turns.values())


# --- writing -------------------------------------------------------------------------------------


def record_turn(db: Database, turn: Turn, user_hash: str, conversation_id: str) -> None:
    """Store a turn (and its user and conversation when new). Recording the same turn again changes nothing."""
    _check_user(user_hash)
    if turn.safety_identifier and turn.safety_identifier != user_hash:
        raise ValueError(f"turn {turn.id} belongs to another safety identifier than the user recording it")
    if not CONVERSATION_ID.fullmatch(conversation_id):
        raise ValueError(f"conversation id must be 32 lowercase hex characters (uuid4().hex), got {conversation_id!r}")
    if not turn.id or len(turn.id) > 64:
        raise ValueError(f"turn id must be 1 to 64 characters, got {turn.id!r}")
    started_at = _parse_time(turn.started_at)
    with db.transaction() as session:
        _ensure_user(session, user_hash)
        insert_ignore(
            session,
            Conversation,
            {"id": conversation_id, "user_id": user_hash, "intent": turn.intent, "started_at": started_at},
            conflict=["id"],
        )
        owner = session.scalar(select(Conversation.user_id).where(Conversation.id == conversation_id))
        if owner != user_hash:
            raise ValueError(f"conversation {conversation_id} belongs to another user")
        insert_ignore(
            session,
            TurnRecord,
            {
                "id": turn.id,
                "conversation_id": conversation_id,
                "user_id": user_hash,
                "started_at": started_at,
                "intent": turn.intent,
                "decision": Decision(turn.decision).value,
                "question": _no_nul(turn.question),
                "answer": _no_nul(turn.answer),
                "model": turn.model[:200],
                "turn": _json_safe(turn.to_dict()),
            },
            conflict=["id"],
        )


def set_feedback(
    db: Database,
    turn_id: str,
    user_hash: str,
    score: int,
    reason: str | None = None,
    comment: str | None = None,
) -> None:
    """Thumbs up (+1) or down (-1, optionally with a reason and a comment) on one of the user's turns.

    One per user and turn: a second call replaces the first (score, reason, comment and time).
    """
    _check_user(user_hash)
    if isinstance(score, bool) or score not in (1, -1):
        raise ValueError(f"feedback score must be 1 or -1, got {score!r}")
    if reason is not None and reason not in FEEDBACK_REASONS:
        raise ValueError(f"unknown feedback reason {reason!r}; expected one of {', '.join(FEEDBACK_REASONS)}")
    if score == 1 and reason is not None:
        raise ValueError("a thumbs up takes no reason")
    cleaned = _clean_user_text(comment or "") or None
    with db.transaction() as session:
        _owned_turn(session, turn_id, user_hash)
        upsert(
            session,
            Feedback,
            {
                "turn_id": turn_id,
                "user_id": user_hash,
                "score": score,
                "reason": reason,
                "comment": cleaned,
                "created_at": utcnow(),
            },
            conflict=["turn_id", "user_id"],
            update=["score", "reason", "comment", "created_at"],
        )


def add_report(db: Database, turn_id: str, user_hash: str, reason: str, text: str) -> str:
    """File a report on one of the user's turns; returns its id (e.g. R-7K3Q9).

    The text is PII-redacted, then capped at TEXT_MAX_CHARS. The turn's JSON is copied into the
    report, so the reviewer sees exactly what the user saw even if the turn is later removed.
    """
    _check_user(user_hash)
    if reason not in REPORT_REASONS:
        raise ValueError(f"unknown report reason {reason!r}; expected one of {', '.join(REPORT_REASONS)}")
    cleaned = _clean_user_text(text)
    with db.transaction() as session:
        turn = _owned_turn(session, turn_id, user_hash)
        for _ in range(REPORT_ID_ATTEMPTS):
            report_id = ids.new_report_id()
            values = {
                "id": report_id,
                "turn_id": turn_id,
                "user_id": user_hash,
                "reason": reason,
                "text": cleaned,
                "status": "open",
                "turn": turn.turn,
                "created_at": utcnow(),
            }
            if insert_ignore(session, Report, values, conflict=["id"]):
                return report_id
    raise RuntimeError(f"no free report id after {REPORT_ID_ATTEMPTS} attempts")


def acknowledge(db: Database, user_hash: str, version: str) -> None:
    """The user has read the limitations notice of `version`. Acknowledging again changes nothing."""
    _check_user(user_hash)
    _check_version(version)
    with db.transaction() as session:
        _ensure_user(session, user_hash)
        insert_ignore(
            session,
            Acknowledgement,
            {"user_id": user_hash, "notice_version": version},
            conflict=["user_id", "notice_version"],
        )


# --- reading -------------------------------------------------------------------------------------


def has_acknowledged(db: Database, user_hash: str, version: str) -> bool:
    _check_user(user_hash)
    _check_version(version)
    with db.transaction() as session:
        found = session.scalar(
            select(Acknowledgement.id).where(
                Acknowledgement.user_id == user_hash, Acknowledgement.notice_version == version
            )
        )
    return found is not None


def open_reports(db: Database, limit: int = 100) -> list[ReportView]:
    """Open reports, oldest first (the review queue)."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    with db.transaction() as session:
        rows = session.scalars(
            select(Report).where(Report.status == "open").order_by(Report.created_at, Report.id).limit(limit)
        ).all()
        return [_view(row) for row in rows]


def get_report(db: Database, report_id: str) -> ReportView | None:
    """A report by id (case and surrounding spaces ignored), or None."""
    with db.transaction() as session:
        row = session.get(Report, report_id.strip().upper())
        return _view(row) if row is not None else None


def safety_counts(db: Database, since: datetime) -> SafetyCounts:
    if since.tzinfo is None or since.utcoffset() is None:
        raise ValueError("since must be timezone-aware")
    with db.transaction() as session:
        turns = session.execute(
            select(TurnRecord.decision, func.count())
            .where(TurnRecord.created_at >= since)
            .group_by(TurnRecord.decision)
        ).all()
        feedback = session.execute(
            select(Feedback.score, Feedback.reason, func.count())
            .where(Feedback.created_at >= since)
            .group_by(Feedback.score, Feedback.reason)
        ).all()
        reports = session.scalar(select(func.count()).select_from(Report).where(Report.created_at >= since))
        still_open = session.scalar(select(func.count()).select_from(Report).where(Report.status == "open"))
    down_reasons: dict[str, int] = {}
    for score, reason, count in feedback:
        if score == -1:
            down_reasons[reason or "none"] = down_reasons.get(reason or "none", 0) + int(count)
    return SafetyCounts(
        since=since.astimezone(UTC),
        turns={decision: int(count) for decision, count in turns},
        feedback_up=sum(int(count) for score, _, count in feedback if score == 1),
        feedback_down=sum(down_reasons.values()),
        feedback_down_reasons=down_reasons,
        reports=int(reports or 0),
        open_reports=int(still_open or 0),
    )


# --- helpers -------------------------------------------------------------------------------------


def _check_user(user_hash: str) -> None:
    if not isinstance(user_hash, str) or not USER_HASH.fullmatch(user_hash):
        raise ValueError(
            "user_hash must be the 64-hex safety identifier (bot.identity.safety_identifier), never an email or raw id"
        )


def _check_version(version: str) -> None:
    if not version or len(version) > NOTICE_VERSION_MAX_CHARS:
        raise ValueError(f"notice version must be 1 to {NOTICE_VERSION_MAX_CHARS} characters, got {version!r}")


def _ensure_user(session: Session, user_hash: str) -> None:
    insert_ignore(session, User, {"id": user_hash}, conflict=["id"])


def _owned_turn(session: Session, turn_id: str, user_hash: str) -> TurnRecord:
    turn = session.get(TurnRecord, turn_id)
    # One message for both: whether another user's turn exists is no business of this user.
    if turn is None or turn.user_id != user_hash:
        raise ValueError(f"unknown turn {turn_id!r} for this user")
    return turn


def _parse_time(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"turn started_at is not an ISO 8601 time: {value!r}") from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _no_nul(text: str) -> str:
    return text.replace("\x00", "")  # PostgreSQL text cannot hold NUL


def _clean_user_text(text: str) -> str:
    """Redact personal data from the whole text first (a cut could split a card number past recognition), then cap."""
    redacted, _kinds = redact(_no_nul(text))
    return redacted.strip()[:TEXT_MAX_CHARS]


def _json_safe(value: Any) -> Any:
    """JSON that both backends accept: NaN and infinities (which PostgreSQL refuses) become null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    return value


def _view(row: Report) -> ReportView:
    return ReportView(
        id=row.id,
        turn_id=row.turn_id,
        user_hash=row.user_id,
        reason=row.reason,
        text=row.text,
        status=row.status,
        created_at=row.created_at,
        turn=dict(row.turn),
    )
