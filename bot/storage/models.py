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
REPORT_STATUSES = ("open", "reviewed")
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
    __table_args__ = (Index(None, "created_at", "decision"),)

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
