"""The gate's state in the records (`bot.gate.LimitStore`), keyed by the user's hashed id, and the
blocks staff place and lift.

Every process behind one load balancer reads and writes the same rows, so the sliding-window limit,
the weighted strikes and the blocks hold across processes and restarts. A user's state is read and
changed in one transaction that holds that user's lock: the `users` row `FOR UPDATE` on PostgreSQL;
on SQLite every writing transaction is already serialised (`BEGIN IMMEDIATE`, bot.storage.db).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.gate import FOREVER, RATE_WINDOW_S, LimitState
from bot.storage.audit import Staff, audit
from bot.storage.db import Database
from bot.storage.models import Admission, Block, Strike, User, utcnow
from bot.storage.records import _check_user, _ensure_user
from bot.storage.upsert import upsert

GATE = "gate"  # created_by of the blocks the gate places
BLOCK_REASON_MAX_CHARS = 200


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _seconds(at: datetime) -> float:
    return at.timestamp()


class _DatabaseState:
    """One user's limits inside one locked transaction."""

    def __init__(self, session: Session, user_hash: str, keep_admissions_s: float) -> None:
        self.session = session
        self.user = user_hash
        self.keep_admissions_s = keep_admissions_s

    def admissions_since(self, cutoff: float) -> list[float]:
        return [
            _seconds(at)
            for at in self.session.scalars(
                select(Admission.at)
                .where(Admission.user_id == self.user, Admission.at > _at(cutoff))
                .order_by(Admission.at)
            )
        ]

    def last_admission(self) -> float:
        last = self.session.scalar(select(func.max(Admission.at)).where(Admission.user_id == self.user))
        return _seconds(last) if last is not None else float("-inf")

    def strikes_since(self, cutoff: float) -> float:
        total = self.session.scalar(
            select(func.sum(Strike.weight)).where(Strike.user_id == self.user, Strike.at > _at(cutoff))
        )
        return float(total or 0.0)

    def blocked_until(self) -> float:
        block = self.session.get(Block, self.user)
        if block is None:
            return float("-inf")
        return FOREVER if block.until is None else _seconds(block.until)

    def admit(self, now: float) -> None:
        # Only what the window and the slow-down can still see is kept.
        self.session.execute(
            delete(Admission).where(Admission.user_id == self.user, Admission.at <= _at(now - self.keep_admissions_s))
        )
        self.session.add(Admission(user_id=self.user, at=_at(now)))

    def strike(self, now: float, weight: float, screen: str) -> None:
        self.session.add(Strike(user_id=self.user, at=_at(now), weight=weight, screen=screen[:32]))

    def block(self, until: float) -> None:
        current = self.session.get(Block, self.user)
        if current is not None and (current.until is None or _seconds(current.until) >= until):
            return
        upsert(
            self.session,
            Block,
            {
                "user_id": self.user,
                "kind": "temporary",
                "until": _at(until),
                "reason": "repeated unsafe messages",
                "created_by": GATE,
                "created_at": utcnow(),
            },
            conflict=["user_id"],
            update=["kind", "until", "reason", "created_by", "created_at"],
        )

    def clear_strikes(self) -> None:
        self.session.execute(delete(Strike).where(Strike.user_id == self.user))


class DatabaseLimits:
    """A `LimitStore` in the records. `key` turns the gate's user id into the hashed id the rows are keyed by."""

    unavailable: tuple[type[Exception], ...] = (SQLAlchemyError,)  # the records cannot be reached or are locked

    def __init__(
        self, db: Database, key: Callable[[str], str] = lambda user_id: user_id, slow_seconds: float = 3600
    ) -> None:
        self.db = db
        self.key = key
        self.keep_admissions_s = max(RATE_WINDOW_S, slow_seconds)

    @contextmanager
    def locked(self, user_id: str) -> Iterator[LimitState]:
        user_hash = self.key(user_id)
        _check_user(user_hash)
        with self.db.transaction() as session:
            _ensure_user(session, user_hash)
            session.execute(select(User.id).where(User.id == user_hash).with_for_update())
            yield _DatabaseState(session, user_hash, self.keep_admissions_s)


# --- staff ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BlockView:
    user_hash: str
    kind: str  # temporary | permanent
    until: datetime | None  # None: until staff unblock
    reason: str
    created_by: str
    created_at: datetime


def block_user(db: Database, staff: Staff, user_hash: str, reason: str) -> None:
    """A permanent block, lifted only by staff (`unblock_user`). Audited."""
    _check_user(user_hash)
    reason = reason.strip()[:BLOCK_REASON_MAX_CHARS] or "blocked by staff"
    with db.transaction() as session:
        _ensure_user(session, user_hash)
        before = session.get(Block, user_hash)
        was = before.kind if before is not None else "none"
        upsert(
            session,
            Block,
            {
                "user_id": user_hash,
                "kind": "permanent",
                "until": None,
                "reason": reason,
                "created_by": staff.id,
                "created_at": utcnow(),
            },
            conflict=["user_id"],
            update=["kind", "until", "reason", "created_by", "created_at"],
        )
        audit(session, staff, "block", user_hash, was, "permanent", reason)


def unblock_user(db: Database, staff: Staff, user_hash: str, note: str = "") -> bool:
    """Lift any block and clear the strikes; False when the user was not blocked. Audited either way."""
    _check_user(user_hash)
    with db.transaction() as session:
        before = session.get(Block, user_hash)
        was = before.kind if before is not None else "none"
        session.execute(delete(Block).where(Block.user_id == user_hash))
        session.execute(delete(Strike).where(Strike.user_id == user_hash))
        audit(session, staff, "unblock", user_hash, was, "none", note)
    return before is not None


def blocked_users(db: Database, now: datetime | None = None) -> list[BlockView]:
    """Users blocked now: every permanent block, and temporary ones not yet run out. Newest first."""
    now = now or utcnow()
    with db.read() as session:
        rows = session.scalars(
            select(Block)
            .where((Block.until.is_(None)) | (Block.until > now))
            .order_by(Block.created_at.desc(), Block.user_id)
        ).all()
        return [BlockView(r.user_id, r.kind, r.until, r.reason, r.created_by, r.created_at) for r in rows]
