"""The tables, as typed SQLAlchemy 2 models. Users are known only by their hashed id.

Timestamps are timezone-aware UTC on every backend (`UTCDateTime`). Constraint names follow one
naming convention, so SQLite and PostgreSQL agree and later migrations can name what they change.
The migration in `migrations/versions` must match these models (a test runs `alembic check`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    MetaData,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

FEEDBACK_REASONS = ("wrong_answer", "wrong_citation", "unsafe", "other")
REPORT_REASONS = FEEDBACK_REASONS
REPORT_STATUSES = ("open", "in_review", "resolved", "dismissed")
REPORT_TRANSITIONS = {  # open -> in review -> resolved | dismissed; a closed report may be reopened
    "open": ("in_review", "resolved", "dismissed"),
    "in_review": ("open", "resolved", "dismissed"),
    "resolved": ("open",),
    "dismissed": ("open",),
}
GAP_STATUSES = ("open", "needs_article", "closed")
FIX_STATUSES = ("open", "fixed")
BLOCK_KINDS = ("temporary", "permanent")
ARTICLE_USES = ("cited", "suggested")  # how a turn put an article before the customer (bot.storage.turn_articles)
ARTICLE_ID_MAX_CHARS = 200
STAFF_NAME_MAX_CHARS = 200
NOTE_MAX_CHARS = 2000
TEXT_MAX_CHARS = 1000  # report text and feedback comment, after PII redaction
CONTACT_MAX_CHARS = 254  # the longest valid email address (RFC 5321 path limit)

USER_ID_LENGTH = 64  # the hex HMAC-SHA256 safety identifier (bot.identity)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    PostgreSQL stores `timestamptz`. SQLite has no time zones: values are stored as naive UTC
    (so text comparison orders them) and read back with UTC attached. Naive input is refused.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: timestamps must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class User(Base):
    """A person, by the hashed `safety_identifier` only: never an email, a name or an OIDC sub."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(f"length(id) = {USER_ID_LENGTH}", name="id_length"),)

    id: Mapped[str] = mapped_column(String(USER_ID_LENGTH), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    is_staff: Mapped[bool] = mapped_column(default=False, server_default=false())


class Acknowledgement(Base):
    """A user has read the limitations notice of this version (once per user and version)."""

    __tablename__ = "acknowledgements"
    __table_args__ = (UniqueConstraint("user_id", "notice_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    notice_version: Mapped[str] = mapped_column(String(32))
    acknowledged_at: Mapped[datetime] = mapped_column(default=utcnow)


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # uuid4 hex
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    intent: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)


class TurnRecord(Base):
    """One turn as the pipeline returned it: a few columns to query by, and the whole `Turn` as JSON."""

    __tablename__ = "turns"
    # Covering indexes for the dashboard: no figure reads the rows (and their JSON) themselves.
    __table_args__ = (
        Index(None, "created_at", "decision"),
        Index(None, "created_at", "intent", "latency_ms"),
        Index(None, "created_at", "moderation"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # Turn.id
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime]
    intent: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(32))
    question: Mapped[str] = mapped_column(Text)  # already PII-redacted by the pipeline
    answer: Mapped[str] = mapped_column(Text)
    model: Mapped[str] = mapped_column(String(200))
    turn: Mapped[dict[str, Any]]  # Turn.to_dict(): passages, verdicts and scores, timings, citations
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    latency_ms: Mapped[float | None] = mapped_column(Float)  # timings_ms.total, for the dashboard
    # Turn.moderation_outcome: pass, review (answered from quoted text only) or block; None before 0004.
    moderation: Mapped[str | None] = mapped_column(String(16))


class TurnFlag(Base):
    """One thing a turn was flagged for (bot.storage.flags): a moderation category or a screen's name."""

    __tablename__ = "turn_flags"
    __table_args__ = (Index(None, "created_at", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    turn_id: Mapped[str] = mapped_column(ForeignKey("turns.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]  # the turn's


class TurnArticle(Base):
    """An article a turn put before the customer: cited in its answer, or suggested (bot.storage.turn_articles).

    Kept as rows when the turn is recorded, so article health counts them with an index instead of
    parsing every turn's JSON."""

    __tablename__ = "turn_articles"
    __table_args__ = (
        UniqueConstraint("turn_id", "article_id"),
        CheckConstraint(_in("used", ARTICLE_USES), name="used"),
        Index(None, "created_at", "used", "article_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    turn_id: Mapped[str] = mapped_column(ForeignKey("turns.id", ondelete="CASCADE"))
    article_id: Mapped[str] = mapped_column(String(ARTICLE_ID_MAX_CHARS))
    used: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]  # the turn's


class Feedback(Base):
    """Thumbs up (+1, no reason) or down (-1, a reason once given). One per user and turn; a change replaces it."""

    __tablename__ = "feedback"
    __table_args__ = (
        UniqueConstraint("turn_id", "user_id"),
        CheckConstraint("score IN (1, -1)", name="score"),
        CheckConstraint(f"reason IS NULL OR {_in('reason', FEEDBACK_REASONS)}", name="reason"),
        CheckConstraint("score = -1 OR reason IS NULL", name="reason_only_when_down"),
        Index(None, "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    turn_id: Mapped[str] = mapped_column(ForeignKey("turns.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    score: Mapped[int] = mapped_column(SmallInteger)
    reason: Mapped[str | None] = mapped_column(String(32))
    comment: Mapped[str | None] = mapped_column(String(TEXT_MAX_CHARS))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Report(Base):
    """A user's report of a problem with an answer, with a copy of the turn so a reviewer needs nothing else."""

    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint(_in("reason", REPORT_REASONS), name="reason"),
        CheckConstraint(_in("status", REPORT_STATUSES), name="status"),
        Index(None, "status", "created_at"),
        Index(None, "created_at"),
    )

    id: Mapped[str] = mapped_column(String(16), primary_key=True)  # e.g. R-7K3Q9
    turn_id: Mapped[str] = mapped_column(ForeignKey("turns.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(String(TEXT_MAX_CHARS))  # PII-redacted, then capped
    status: Mapped[str] = mapped_column(String(16), default="open")
    turn: Mapped[dict[str, Any]]  # the turn's JSON as it was when reported
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # An email the user chose to leave so staff can reply: kept as given (not redacted), shown to staff only.
    contact: Mapped[str | None] = mapped_column(String(CONTACT_MAX_CHARS))
    note: Mapped[str | None] = mapped_column(String(NOTE_MAX_CHARS))  # the reviewer's latest note
    updated_at: Mapped[datetime | None]  # the last status change
    resolved_at: Mapped[datetime | None]  # when it was resolved or dismissed; None while open or in review


class AuditEvent(Base):
    """Every change staff make: who (hashed id and display name), when, what, from what to what."""

    __tablename__ = "audit_events"
    __table_args__ = (Index(None, "subject", "at"), Index(None, "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    staff_id: Mapped[str] = mapped_column(String(USER_ID_LENGTH))  # no FK: the trail outlives a forgotten user
    staff_name: Mapped[str] = mapped_column(String(STAFF_NAME_MAX_CHARS))
    action: Mapped[str] = mapped_column(String(32))  # report_status, kb_gap, article_fix, block, unblock, ...
    subject: Mapped[str] = mapped_column(String(200))  # a report id, a user's hashed id, an article id, a gap id
    from_value: Mapped[str | None] = mapped_column(String(64))
    to_value: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(NOTE_MAX_CHARS))


class KBGap(Base):
    """A question the KB could not answer, which staff (or the gap grouping) put on the list."""

    __tablename__ = "kb_gaps"
    __table_args__ = (CheckConstraint(_in("status", GAP_STATUSES), name="status"), Index(None, "status", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    question: Mapped[str] = mapped_column(Text)  # redacted, as recorded
    intent: Mapped[str] = mapped_column(String(64))
    turn_id: Mapped[str | None] = mapped_column(ForeignKey("turns.id", ondelete="SET NULL"), index=True)
    report_id: Mapped[str | None] = mapped_column(ForeignKey("reports.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="open")
    note: Mapped[str | None] = mapped_column(String(NOTE_MAX_CHARS))
    created_by: Mapped[str] = mapped_column(String(USER_ID_LENGTH))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ArticleFix(Base):
    """ "This article needs a fix": listed on the KB page until someone marks it fixed."""

    __tablename__ = "article_fixes"
    __table_args__ = (CheckConstraint(_in("status", FIX_STATUSES), name="status"), Index(None, "status", "article_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[str] = mapped_column(String(ARTICLE_ID_MAX_CHARS))
    note: Mapped[str] = mapped_column(String(NOTE_MAX_CHARS))
    turn_id: Mapped[str | None] = mapped_column(ForeignKey("turns.id", ondelete="SET NULL"))
    report_id: Mapped[str | None] = mapped_column(ForeignKey("reports.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_by: Mapped[str] = mapped_column(String(USER_ID_LENGTH))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Block(Base):
    """A blocked user: temporary (by the gate, after strikes; `until` set) or permanent (by staff; `until` NULL).

    One row per user at most; unblocking deletes it."""

    __tablename__ = "blocks"
    __table_args__ = (
        CheckConstraint(_in("kind", BLOCK_KINDS), name="kind"),
        CheckConstraint("(kind = 'permanent') = (until IS NULL)", name="until_when_temporary"),
    )

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    until: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(USER_ID_LENGTH))  # a staff hashed id, or "gate"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Strike(Base):
    """A question blocked by a screen, weighted by severity; counted in a sliding window."""

    __tablename__ = "strikes"
    __table_args__ = (Index(None, "user_id", "at"), CheckConstraint("weight > 0", name="weight"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    weight: Mapped[float] = mapped_column(Float)
    screen: Mapped[str] = mapped_column(String(32))


class Admission(Base):
    """A question let through by the gate: the sliding-window rate limit counts these."""

    __tablename__ = "admissions"
    __table_args__ = (Index(None, "user_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    at: Mapped[datetime]


class IngestRun(Base):
    """One ingest: when, by whom, what it indexed and what it rejected (with the reason).

    Recorded when the run starts, so that every app process can show its progress: until it
    finishes, `finished_at` is empty, `chunks` counts the chunks written so far, and the run
    updates `heartbeat_at` every few seconds (a run whose heartbeat stopped was killed)."""

    __tablename__ = "ingest_runs"
    __table_args__ = (Index(None, "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    by: Mapped[str] = mapped_column(String(STAFF_NAME_MAX_CHARS))
    articles: Mapped[int]
    chunks: Mapped[int]
    heartbeat_at: Mapped[datetime | None]
    chunks_planned: Mapped[int | None]  # chunks this run writes; empty until it has read its articles
    stored_articles: Mapped[int | None]  # articles the store held when it planned: 0 is a first load
    counts: Mapped[dict[str, Any]]  # anything else the ingest counted
    rejects: Mapped[list[dict[str, str]]] = mapped_column(JSON)  # [{"article": ..., "reason": ...}]
