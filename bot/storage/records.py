"""What the app and the CLI record, and what staff read back. Each function is one transaction.

Users are identified by `user_hash`, the 64-hex safety identifier of `bot.identity`: an email or a
raw OIDC subject is refused. Free text from users (report text, feedback comments) is PII-redacted
and capped (`bot.safety.input.pii.redact_prefix`) before it is stored. Reads return plain dataclasses,
never ORM objects, so nothing depends on a session that has closed. Reads use `Database.read()`: a
plain transaction, which a writer holding SQLite never delays.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.safety.input.pii import redact_prefix
from bot.safety.verdict import OUTCOMES
from bot.storage import ids
from bot.storage.db import Database
from bot.storage.flags import flags_of, latency_of
from bot.storage.models import (
    CONTACT_MAX_CHARS,
    FEEDBACK_REASONS,
    REPORT_REASONS,
    TEXT_MAX_CHARS,
    Acknowledgement,
    Conversation,
    Feedback,
    Report,
    TurnArticle,
    TurnFlag,
    TurnRecord,
    User,
    utcnow,
)
from bot.storage.turn_articles import articles_of
from bot.storage.upsert import insert_ignore, upsert
from bot.turn import Citation, Decision, Turn

USER_HASH = re.compile(r"[0-9a-f]{64}")
CONVERSATION_ID = re.compile(r"[0-9a-f]{32}")  # uuid4().hex
NOTICE_VERSION_MAX_CHARS = 32
REPORT_ID_ATTEMPTS = 20
# A plain address: local@domain.tld, no spaces, no display name. Deliberately simple: it catches typos
# and pasted text, and anything it accepts is a string a person can copy into a mail client.
CONTACT_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


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
    contact: str | None = None  # an email the user chose to leave, unredacted: for staff eyes only


@dataclass(frozen=True)
class PastTurn:
    """A recorded turn as the chat shows it again after a reload, with this user's feedback and report."""

    id: str
    started_at: datetime
    intent: str
    question: str  # as recorded: personal data already removed
    decision: Decision
    answer: str
    citations: tuple[Citation, ...] = ()
    notes: tuple[str, ...] = ()
    handoff: str = ""
    feedback: int | None = None  # +1, -1, or None when none was given
    report_id: str | None = None  # the user's latest report on this turn


@dataclass(frozen=True)
class PastConversation:
    """A user's conversation: its id (to continue it), and its last turns, oldest first (maybe none yet)."""

    id: str
    intent: str
    started_at: datetime
    turns: list[PastTurn]


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
    _check_conversation_id(conversation_id)
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
        body = _json_safe(turn.to_dict())
        created_at = utcnow()
        inserted = insert_ignore(
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
                "turn": body,
                "created_at": created_at,
                "latency_ms": latency_of(body),
                "moderation": turn.moderation_outcome if turn.moderation_outcome in OUTCOMES else None,
            },
            conflict=["id"],
        )
        if inserted:  # the staff dashboard and article health count these rows (flags, turn_articles)
            for category in flags_of(body):
                session.add(TurnFlag(turn_id=turn.id, category=category, created_at=created_at))
            for article_id, used in articles_of(body):
                session.add(TurnArticle(turn_id=turn.id, article_id=article_id, used=used, created_at=created_at))


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


def add_report(db: Database, turn_id: str, user_hash: str, reason: str, text: str, contact: str | None = None) -> str:
    """File a report on one of the user's turns; returns its id (e.g. R-7K3Q9).

    The text is PII-redacted, then capped at TEXT_MAX_CHARS. The turn's JSON is copied into the
    report, so the reviewer sees exactly what the user saw even if the turn is later removed.
    `contact` is an email address the user chose to leave (see `check_contact`): it is stored as
    given, not redacted, because the user asked to be contacted there; only staff reads show it.
    """
    _check_user(user_hash)
    if reason not in REPORT_REASONS:
        raise ValueError(f"unknown report reason {reason!r}; expected one of {', '.join(REPORT_REASONS)}")
    address = check_contact(contact) if contact is not None else None
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
                "contact": address,
            }
            if insert_ignore(session, Report, values, conflict=["id"]):
                return report_id
    raise RuntimeError(f"no free report id after {REPORT_ID_ATTEMPTS} attempts")


def start_conversation(db: Database, user_hash: str, conversation_id: str, intent: str = "") -> None:
    """Record a conversation before its first turn (the chat's "New conversation"), so that it, not the one
    before, is the user's last conversation. Starting the same conversation again changes nothing."""
    _check_user(user_hash)
    _check_conversation_id(conversation_id)
    with db.transaction() as session:
        _ensure_user(session, user_hash)
        insert_ignore(
            session,
            Conversation,
            {"id": conversation_id, "user_id": user_hash, "intent": intent[:64], "started_at": utcnow()},
            conflict=["id"],
        )
        owner = session.scalar(select(Conversation.user_id).where(Conversation.id == conversation_id))
        if owner != user_hash:
            raise ValueError(f"conversation {conversation_id} belongs to another user")


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


def check_contact(contact: str) -> str:
    """The contact address to store: an email, surrounding spaces removed. Raises ValueError otherwise."""
    address = contact.strip()
    if not address:
        raise ValueError("the contact address is empty")
    local = address.rpartition("@")[0]
    if len(address) > CONTACT_MAX_CHARS or len(local) > 64 or not CONTACT_EMAIL.fullmatch(address):
        # The value stays out of the message: it is personal data, and messages end up in logs.
        raise ValueError("the contact address is not an email address such as name@example.com")
    return address


# --- reading -------------------------------------------------------------------------------------


def has_acknowledged(db: Database, user_hash: str, version: str) -> bool:
    _check_user(user_hash)
    _check_version(version)
    with db.read() as session:
        found = session.scalar(
            select(Acknowledgement.id).where(
                Acknowledgement.user_id == user_hash, Acknowledgement.notice_version == version
            )
        )
    return found is not None


def last_conversation(db: Database, user_hash: str, limit: int = 50) -> PastConversation | None:
    """The user's most recently active conversation with its last `limit` turns, or None if there is none.

    Active means its latest turn, or its start when it has no turn yet: a conversation started with
    "New conversation" is the last one even before anything is asked in it.
    """
    _check_user(user_hash)
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    last_activity = func.coalesce(func.max(TurnRecord.started_at), Conversation.started_at)
    with db.transaction() as session:
        conversation = session.execute(
            select(Conversation.id, Conversation.intent, Conversation.started_at)
            .outerjoin(TurnRecord, TurnRecord.conversation_id == Conversation.id)
            .where(Conversation.user_id == user_hash)
            .group_by(Conversation.id, Conversation.intent, Conversation.started_at)
            .order_by(last_activity.desc(), Conversation.started_at.desc(), Conversation.id)
            .limit(1)
        ).first()
        if conversation is None:
            return None
        rows = session.scalars(
            select(TurnRecord)
            .where(TurnRecord.conversation_id == conversation.id, TurnRecord.user_id == user_hash)
            .order_by(TurnRecord.started_at.desc(), TurnRecord.created_at.desc(), TurnRecord.id)
            .limit(limit)
        ).all()
        turn_ids = [row.id for row in rows]
        scores: dict[str, int] = {
            turn_id: score
            for turn_id, score in session.execute(
                select(Feedback.turn_id, Feedback.score).where(
                    Feedback.turn_id.in_(turn_ids), Feedback.user_id == user_hash
                )
            )
        }
        reports: dict[str, str] = {}
        for turn_id, report_id in session.execute(
            select(Report.turn_id, Report.id)
            .where(Report.turn_id.in_(turn_ids), Report.user_id == user_hash)
            .order_by(Report.created_at)
        ):
            reports[turn_id] = report_id  # the latest wins
        turns = [_past_turn(row, scores.get(row.id), reports.get(row.id)) for row in reversed(rows)]
    return PastConversation(conversation.id, conversation.intent, conversation.started_at, turns)


def open_reports(db: Database, limit: int = 100) -> list[ReportView]:
    """Open reports, oldest first (the review queue)."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    with db.read() as session:
        rows = session.scalars(
            select(Report).where(Report.status == "open").order_by(Report.created_at, Report.id).limit(limit)
        ).all()
        return [_view(row) for row in rows]


def get_report(db: Database, report_id: str) -> ReportView | None:
    """A report by id (case and surrounding spaces ignored), or None."""
    with db.read() as session:
        row = session.get(Report, report_id.strip().upper())
        return _view(row) if row is not None else None


def safety_counts(db: Database, since: datetime) -> SafetyCounts:
    if since.tzinfo is None or since.utcoffset() is None:
        raise ValueError("since must be timezone-aware")
    with db.read() as session:
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


def _check_conversation_id(conversation_id: str) -> None:
    if not isinstance(conversation_id, str) or not CONVERSATION_ID.fullmatch(conversation_id):
        raise ValueError(f"conversation id must be 32 lowercase hex characters (uuid4().hex), got {conversation_id!r}")


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
    """Redacted, then capped. Only a prefix is redacted (bounded work, whatever the length), twice the
    cap so that labels shorter than what they replace still leave a full text; a value the cut goes
    through is redacted whole."""
    redacted, _kinds = redact_prefix(_no_nul(text).strip(), 2 * TEXT_MAX_CHARS)
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


def _past_turn(row: TurnRecord, feedback: int | None, report_id: str | None) -> PastTurn:
    """What the chat shows of a recorded turn, from its columns and the `Turn` JSON kept with it."""
    data = row.turn
    citations = tuple(
        Citation(int(c["number"]), str(c["article_id"]), str(c["title"]), str(c["url"]), str(c.get("heading") or ""))
        for c in data.get("citations") or []
    )
    return PastTurn(
        id=row.id,
        started_at=row.started_at,
        intent=row.intent,
        question=row.question,
        decision=Decision(row.decision),
        answer=row.answer,
        citations=citations,
        notes=tuple(str(note) for note in data.get("notes") or []),
        handoff=str(data.get("handoff") or ""),
        feedback=feedback,
        report_id=report_id,
    )


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
        contact=row.contact,
    )
