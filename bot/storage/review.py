"""The review queue: reports and flagged turns, the whole turn behind each, and what staff do with
them (status changes with a note, "KB gap", "article needs a fix", a review item from a flagged
turn). Every change is audited (bot.storage.audit) in the transaction that makes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from bot.safety.verdict import REVIEW
from bot.storage import ids
from bot.storage.audit import Staff, audit, clean_note
from bot.storage.db import Database
from bot.storage.models import (
    ARTICLE_ID_MAX_CHARS,
    FIX_STATUSES,
    GAP_STATUSES,
    REPORT_REASONS,
    REPORT_STATUSES,
    REPORT_TRANSITIONS,
    ArticleFix,
    Feedback,
    KBGap,
    Report,
    TurnFlag,
    TurnRecord,
    utcnow,
)
from bot.storage.upsert import insert_ignore

CLOSED = ("resolved", "dismissed")
FLAGGED_DECISIONS = ("blocked_input", "blocked_output", "error")
STAFF_REPORT_TEXT = "Opened by staff from the flagged turns."
REPORT_ID_ATTEMPTS = 20


@dataclass(frozen=True)
class ReportRow:
    """A line of the review queue."""

    id: str
    created_at: datetime
    status: str
    reason: str
    intent: str
    decision: str
    question: str
    text: str
    note: str | None
    resolved_at: datetime | None
    turn_id: str
    user_hash: str


@dataclass(frozen=True)
class FeedbackRow:
    score: int
    reason: str | None
    comment: str | None
    created_at: datetime


@dataclass(frozen=True)
class TurnDetail:
    """Everything a reviewer needs about one turn: the turn's JSON (question, intent, passages with
    scores and links, verdicts with category scores, answer, citations, model), its feedback, its
    reports (with the contact address where the customer left one) and the conversation before it."""

    turn_id: str
    conversation_id: str
    user_hash: str
    created_at: datetime
    turn: dict[str, Any]
    feedback: list[FeedbackRow] = field(default_factory=list)
    reports: list[ReportRow] = field(default_factory=list)
    contacts: dict[str, str] = field(default_factory=dict)  # report id -> the address the customer left
    before: list[dict[str, Any]] = field(default_factory=list)  # earlier turns of the conversation, oldest first


@dataclass(frozen=True)
class FlaggedTurn:
    turn_id: str
    created_at: datetime
    intent: str
    decision: str
    question: str
    why: str  # blocked_input, blocked_output, error, "moderation: review", "thumbs down: <reason>",
    # or "flagged: <categories>"
    reported: bool


@dataclass(frozen=True)
class GapRow:
    id: int
    question: str
    intent: str
    status: str
    note: str | None
    turn_id: str | None
    report_id: str | None
    created_at: datetime


@dataclass(frozen=True)
class FixRow:
    id: int
    article_id: str
    note: str
    status: str
    turn_id: str | None
    report_id: str | None
    created_at: datetime
    report_status: str | None = None  # the status of the report it came from, if any


# --- reports -------------------------------------------------------------------------------------


def _report_query() -> Select[tuple[Report, TurnRecord]]:
    return select(Report, TurnRecord).join(TurnRecord, TurnRecord.id == Report.turn_id)


def _row(report: Report, turn: TurnRecord) -> ReportRow:
    return ReportRow(
        id=report.id,
        created_at=report.created_at,
        status=report.status,
        reason=report.reason,
        intent=turn.intent,
        decision=turn.decision,
        question=turn.question,
        text=report.text,
        note=report.note,
        resolved_at=report.resolved_at,
        turn_id=report.turn_id,
        user_hash=report.user_id,
    )


def list_reports(
    db: Database,
    *,
    status: str | None = None,
    intent: str | None = None,
    reason: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    search: str | None = None,
    limit: int = 200,
) -> list[ReportRow]:
    """The review queue, newest first, filtered by status, intent, reason, date range [since, until) and
    a report id (whole or a part of it, case ignored)."""
    if status is not None and status not in REPORT_STATUSES:
        raise ValueError(f"unknown status {status!r}; expected one of {', '.join(REPORT_STATUSES)}")
    if reason is not None and reason not in REPORT_REASONS:
        raise ValueError(f"unknown reason {reason!r}; expected one of {', '.join(REPORT_REASONS)}")
    query = _report_query().order_by(Report.created_at.desc(), Report.id).limit(limit)
    if status is not None:
        query = query.where(Report.status == status)
    if intent is not None:
        query = query.where(TurnRecord.intent == intent)
    if reason is not None:
        query = query.where(Report.reason == reason)
    if since is not None:
        query = query.where(Report.created_at >= since)
    if until is not None:
        query = query.where(Report.created_at < until)
    if search and search.strip():
        query = query.where(Report.id.contains(search.strip().upper(), autoescape=True))
    with db.read() as session:
        return [_row(report, turn) for report, turn in session.execute(query).all()]


def report_row(db: Database, report_id: str) -> ReportRow | None:
    with db.read() as session:
        found = session.execute(_report_query().where(Report.id == report_id.strip().upper())).first()
        return _row(*found) if found is not None else None


def set_report_status(db: Database, report_id: str, status: str, staff: Staff, note: str = "") -> ReportRow:
    """Move a report along open -> in_review -> resolved | dismissed (or reopen it), with a note. Audited."""
    if status not in REPORT_STATUSES:
        raise ValueError(f"unknown status {status!r}; expected one of {', '.join(REPORT_STATUSES)}")
    with db.transaction() as session:
        report = session.get(Report, report_id.strip().upper(), with_for_update=True)
        if report is None:
            raise LookupError(f"no report {report_id!r}")
        before = report.status
        if status not in REPORT_TRANSITIONS[before]:
            raise ValueError(f"report {report.id} is {before}: it cannot become {status}")
        now = utcnow()
        report.status = status
        report.updated_at = now
        report.resolved_at = now if status in CLOSED else None
        cleaned = clean_note(note)
        if cleaned is not None:
            report.note = cleaned
        audit(session, staff, "report_status", report.id, before, status, note)
        session.flush()
        turn = session.get(TurnRecord, report.turn_id)
        assert turn is not None
        return _row(report, turn)


def review_item_from_turn(db: Database, staff: Staff, turn_id: str, note: str = "") -> str:
    """Open a report on a flagged turn (on its user's behalf, reason "other") so it joins the review queue."""
    with db.transaction() as session:
        turn = session.get(TurnRecord, turn_id)
        if turn is None:
            raise LookupError(f"no turn {turn_id!r}")
        for _ in range(REPORT_ID_ATTEMPTS):
            report_id = ids.new_report_id()
            values = {
                "id": report_id,
                "turn_id": turn.id,
                "user_id": turn.user_id,
                "reason": "other",
                "text": STAFF_REPORT_TEXT,
                "status": "open",
                "turn": turn.turn,
                "created_at": utcnow(),
                "note": clean_note(note),
            }
            if insert_ignore(session, Report, values, conflict=["id"]):
                audit(session, staff, "review_item", report_id, None, "open", note)
                return report_id
    raise RuntimeError(f"no free report id after {REPORT_ID_ATTEMPTS} attempts")


# --- turns ---------------------------------------------------------------------------------------


def turn_detail(db: Database, turn_id: str) -> TurnDetail | None:
    with db.read() as session:
        turn = session.get(TurnRecord, turn_id)
        if turn is None:
            return None
        feedback = session.scalars(select(Feedback).where(Feedback.turn_id == turn_id).order_by(Feedback.created_at))
        reports = session.execute(_report_query().where(Report.turn_id == turn_id).order_by(Report.created_at)).all()
        before = session.scalars(
            select(TurnRecord)
            .where(
                TurnRecord.conversation_id == turn.conversation_id,
                TurnRecord.started_at < turn.started_at,
            )
            .order_by(TurnRecord.started_at)
        ).all()
        return TurnDetail(
            turn_id=turn.id,
            conversation_id=turn.conversation_id,
            user_hash=turn.user_id,
            created_at=turn.created_at,
            turn=dict(turn.turn),
            feedback=[FeedbackRow(f.score, f.reason, f.comment, f.created_at) for f in feedback],
            reports=[_row(report, reported) for report, reported in reports],
            contacts={report.id: report.contact for report, _ in reports if report.contact},
            before=[
                {
                    "id": t.id,
                    "started_at": t.started_at,
                    "question": t.question,
                    "answer": t.answer,
                    "decision": t.decision,
                }
                for t in before
            ],
        )


def flagged_turns(
    db: Database, since: datetime, until: datetime, *, decision: str | None = None, limit: int = 200
) -> list[FlaggedTurn]:
    """Turns blocked at input or output or failed, turns moderation sent to review (answered from
    quoted text only), turns a screen flagged though they were answered (an output screen refused the
    first answer and a fallback passed), and turns thumbed down, in [since, until), newest first."""
    down = select(Feedback.turn_id, Feedback.reason).where(Feedback.score == -1).subquery()
    reported = select(Report.turn_id).distinct().subquery()
    screened = select(TurnFlag.turn_id).where(TurnFlag.created_at >= since, TurnFlag.created_at < until)
    query = (
        select(TurnRecord, down.c.reason, down.c.turn_id, reported.c.turn_id)
        .outerjoin(down, down.c.turn_id == TurnRecord.id)
        .outerjoin(reported, reported.c.turn_id == TurnRecord.id)
        .where(TurnRecord.created_at >= since, TurnRecord.created_at < until)
        .where(
            or_(
                TurnRecord.decision.in_(FLAGGED_DECISIONS),
                TurnRecord.moderation == REVIEW,
                down.c.turn_id.is_not(None),
                TurnRecord.id.in_(screened),
            )
        )
        .order_by(TurnRecord.created_at.desc(), TurnRecord.id)
        .limit(limit)
    )
    if decision is not None:
        query = query.where(TurnRecord.decision == decision)
    with db.read() as session:
        rows = session.execute(query).all()
        flags: dict[str, list[str]] = {}
        for turn_id, category in session.execute(
            select(TurnFlag.turn_id, TurnFlag.category)
            .where(TurnFlag.turn_id.in_([t.id for t, *_ in rows]))
            .order_by(TurnFlag.id)
        ):
            flags.setdefault(turn_id, []).append(category)
    return [
        FlaggedTurn(
            turn_id=t.id,
            created_at=t.created_at,
            intent=t.intent,
            decision=t.decision,
            question=t.question,
            why=_why(t, down_id is not None, reason, flags.get(t.id, [])),
            reported=reported_id is not None,
        )
        for t, reason, down_id, reported_id in rows
    ]


def _why(turn: TurnRecord, thumbed_down: bool, reason: str | None, flags: list[str]) -> str:
    if turn.decision in FLAGGED_DECISIONS:
        return turn.decision
    if turn.moderation == REVIEW:
        return f"moderation: {REVIEW}"
    if thumbed_down:
        return f"thumbs down: {reason or 'no reason'}"
    return f"flagged: {', '.join(flags)}"


# --- KB gaps and article fixes -------------------------------------------------------------------


def add_kb_gap(
    db: Database, staff: Staff, turn_id: str, report_id: str | None = None, note: str = "", status: str = "open"
) -> int:
    """The turn's question becomes a gap entry (open, or straight to needs_article). Audited."""
    if status not in GAP_STATUSES:
        raise ValueError(f"unknown gap status {status!r}; expected one of {', '.join(GAP_STATUSES)}")
    with db.transaction() as session:
        turn = session.get(TurnRecord, turn_id)
        if turn is None:
            raise LookupError(f"no turn {turn_id!r}")
        gap = KBGap(
            question=turn.question,
            intent=turn.intent,
            turn_id=turn.id,
            report_id=_report_id(session, report_id),
            status=status,
            note=clean_note(note),
            created_by=staff.id,
            created_at=utcnow(),
        )
        session.add(gap)
        session.flush()
        audit(session, staff, "kb_gap", f"gap:{gap.id}", None, status, note)
        return gap.id


def set_gap_status(db: Database, staff: Staff, gap_id: int, status: str, note: str = "") -> None:
    _set_status(db, staff, KBGap, gap_id, status, note)


def kb_gaps(db: Database, status: str | None = None, limit: int = 500) -> list[GapRow]:
    query = select(KBGap).order_by(KBGap.created_at.desc(), KBGap.id.desc()).limit(limit)
    if status is not None:
        query = query.where(KBGap.status == status)
    with db.read() as session:
        return [
            GapRow(g.id, g.question, g.intent, g.status, g.note, g.turn_id, g.report_id, g.created_at)
            for g in session.scalars(query)
        ]


def flag_article(
    db: Database, staff: Staff, article_id: str, note: str, turn_id: str | None = None, report_id: str | None = None
) -> int:
    """ "This article needs a fix", listed on the KB page until marked fixed. Audited."""
    article_id = article_id.strip()
    if not article_id or len(article_id) > ARTICLE_ID_MAX_CHARS:
        raise ValueError(f"an article id is 1 to {ARTICLE_ID_MAX_CHARS} characters, got {article_id!r}")
    with db.transaction() as session:
        if turn_id is not None and session.get(TurnRecord, turn_id) is None:
            raise LookupError(f"no turn {turn_id!r}")
        fix = ArticleFix(
            article_id=article_id,
            note=clean_note(note) or "",
            turn_id=turn_id,
            report_id=_report_id(session, report_id),
            status="open",
            created_by=staff.id,
            created_at=utcnow(),
        )
        session.add(fix)
        session.flush()
        audit(session, staff, "article_fix", article_id, None, "open", note)
        return fix.id


def set_fix_status(db: Database, staff: Staff, fix_id: int, status: str, note: str = "") -> None:
    _set_status(db, staff, ArticleFix, fix_id, status, note)


# What each list's status change is called in errors and in the audit trail, and what it is about.
_LISTS = {
    KBGap: ("KB gap", GAP_STATUSES, "kb_gap", lambda row: f"gap:{row.id}"),
    ArticleFix: ("article fix", FIX_STATUSES, "article_fix", lambda row: row.article_id),
}


def _set_status(
    db: Database, staff: Staff, model: type[KBGap] | type[ArticleFix], row_id: int, status: str, note: str
) -> None:
    """Move a KB gap or an article fix to `status`. Audited."""
    name, statuses, action, subject = _LISTS[model]
    if status not in statuses:
        raise ValueError(f"unknown {name} status {status!r}; expected one of {', '.join(statuses)}")
    with db.transaction() as session:
        row = session.get(model, row_id)
        if row is None:
            raise LookupError(f"no {name} {row_id}")
        before, row.status = row.status, status
        audit(session, staff, action, subject(row), before, status, note)


def article_fixes(db: Database, status: str | None = "open") -> list[FixRow]:
    """Articles flagged as needing a fix (open ones by default; None: all), by article, oldest first,
    each with the report it came from and that report's status."""
    if status is not None and status not in FIX_STATUSES:
        raise ValueError(f"unknown fix status {status!r}; expected one of {', '.join(FIX_STATUSES)}")
    query = (
        select(ArticleFix, Report.status)
        .outerjoin(Report, Report.id == ArticleFix.report_id)
        .order_by(ArticleFix.article_id, ArticleFix.created_at, ArticleFix.id)
    )
    if status is not None:
        query = query.where(ArticleFix.status == status)
    with db.read() as session:
        return [
            FixRow(f.id, f.article_id, f.note, f.status, f.turn_id, f.report_id, f.created_at, report_status)
            for f, report_status in session.execute(query)
        ]


def _report_id(session: Session, report_id: str | None) -> str | None:
    if report_id is None:
        return None
    normalised = report_id.strip().upper()
    if session.get(Report, normalised) is None:
        raise LookupError(f"no report {report_id!r}")
    return normalised
