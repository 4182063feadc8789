"""The gate, first stage of a turn: rate limit, then strikes (users who keep tripping the screens
are slowed, then blocked for a while), and blocks placed by staff.

A strike is a question blocked by moderation or the injection screen, weighted by how severe it
was (`strike_weight`); over-long or empty input is not a strike. The policy lives here; the state
lives in a `LimitStore`: in memory for one process (`MemoryLimits`, the CLI and the tests), or in
the records database (`bot.storage.limits.DatabaseLimits`), which every app process behind one load
balancer shares, so a limit or a block holds across processes and restarts.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TypeVar

from bot.config import Settings
from bot.safety.verdict import Verdict

if TYPE_CHECKING:
    from bot.storage.db import Database

_LOG = logging.getLogger(__name__)
_T = TypeVar("_T")

STRIKE_SCREENS = frozenset({"moderation-in", "injection"})
UNLIMITED = 1 << 62
RATE_WINDOW_S = 60.0
FOREVER = float("inf")

# Severity of a blocked question, by the moderation categories it was flagged for. Threats and abuse
# of children count double; self-harm counts half, so a person in distress is the last to be stopped.
SEVERE_CATEGORIES = frozenset(
    {"sexual/minors", "hate/threatening", "harassment/threatening", "illicit/violent", "violence/graphic"}
)
GENTLE_CATEGORIES = frozenset({"self-harm", "self-harm/intent", "self-harm/instructions"})

BLOCKED_REASON = "blocked after repeated unsafe messages"
STAFF_BLOCKED_REASON = "blocked by staff"
BLOCK_REASONS = frozenset({BLOCKED_REASON, STAFF_BLOCKED_REASON})


def strike_weight(verdict: Verdict) -> float:
    """How much one blocked question counts: 2 for severe categories, 0.5 for self-harm alone, else 1."""
    flagged = {reason.removeprefix("flagged: ") for reason in verdict.reasons if reason.startswith("flagged: ")}
    if flagged & SEVERE_CATEGORIES:
        return 2.0
    if flagged and flagged <= GENTLE_CATEGORIES:
        return 0.5
    return 1.0


class LimitState(Protocol):
    """One user's limits, read and changed while the store holds that user's lock. Times are `Gate.clock` seconds."""

    def admissions_since(self, cutoff: float) -> list[float]: ...  # oldest first
    def last_admission(self) -> float: ...  # -inf when none is kept
    def strikes_since(self, cutoff: float) -> float: ...  # the sum of their weights
    def blocked_until(self) -> float: ...  # -inf when not blocked, FOREVER when blocked by staff
    def admit(self, now: float) -> None: ...
    def strike(self, now: float, weight: float, screen: str) -> None: ...
    def block(self, until: float) -> None: ...  # a temporary block; never shortens a staff block
    def clear_strikes(self) -> None: ...


class LimitStore(Protocol):
    unavailable: tuple[type[Exception], ...]  # errors that mean the store cannot be reached just now

    def locked(self, user_id: str) -> AbstractContextManager[LimitState]: ...


@dataclass
class _UserState:
    turns: deque[float] = field(default_factory=deque)
    strikes: deque[tuple[float, float]] = field(default_factory=deque)
    last_turn: float = float("-inf")
    until: float = float("-inf")

    def admissions_since(self, cutoff: float) -> list[float]:
        while self.turns and self.turns[0] <= cutoff:
            self.turns.popleft()
        return list(self.turns)

    def last_admission(self) -> float:
        return self.last_turn

    def strikes_since(self, cutoff: float) -> float:
        while self.strikes and self.strikes[0][0] <= cutoff:
            self.strikes.popleft()
        return sum(weight for _, weight in self.strikes)

    def blocked_until(self) -> float:
        return self.until

    def admit(self, now: float) -> None:
        self.turns.append(now)
        self.last_turn = now

    def strike(self, now: float, weight: float, screen: str) -> None:
        self.strikes.append((now, weight))

    def block(self, until: float) -> None:
        self.until = max(self.until, until)

    def clear_strikes(self) -> None:
        self.strikes.clear()


class MemoryLimits:
    """State in this process only, behind one lock (Streamlit serves sessions from threads)."""

    unavailable: tuple[type[Exception], ...] = ()

    def __init__(self) -> None:
        self._users: dict[str, _UserState] = {}
        self._lock = threading.Lock()

    @contextmanager
    def locked(self, user_id: str) -> Iterator[LimitState]:
        with self._lock:
            yield self._users.setdefault(user_id, _UserState())


class Gate:
    name = "gate"

    def __init__(
        self,
        per_minute: int,
        strikes_to_slow: int,
        strikes_to_block: int,
        window_seconds: float,
        slow_seconds: float,
        block_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        store: LimitStore | None = None,
    ) -> None:
        self.per_minute = per_minute
        self.strikes_to_slow = strikes_to_slow
        self.strikes_to_block = strikes_to_block
        self.window_seconds = window_seconds
        self.slow_seconds = slow_seconds
        self.block_seconds = block_seconds
        self.clock = clock
        self.store: LimitStore = store if store is not None else MemoryLimits()
        # While the records cannot be reached (a locked or broken database), limits and strikes are
        # kept in this process instead: the customer still gets an answer, and the log says why.
        self._local = self.store if isinstance(self.store, MemoryLimits) else MemoryLimits()

    @classmethod
    def from_settings(
        cls, settings: Settings, *, rate_limited: bool = True, strikes: bool = True, db: Database | None = None
    ) -> Gate:
        """The configured gate; `rate_limited=False` (staff batch runs) drops the per-minute limit,
        `strikes=False` (evaluation and red-team batches) never slows or blocks after strikes.

        With `db`, the state is kept in the records, keyed by the user's hashed id, on the wall clock
        (which every process shares, unlike the monotonic one)."""
        store: LimitStore | None = None
        clock: Callable[[], float] = time.monotonic
        if db is not None:
            from bot.identity import safety_identifier, server_secret
            from bot.storage.limits import DatabaseLimits

            secret = server_secret(settings)
            store = DatabaseLimits(
                db, key=lambda user_id: safety_identifier(secret, user_id), slow_seconds=settings.slow_seconds
            )
            clock = time.time
        return cls(
            settings.rate_limit_per_minute if rate_limited else UNLIMITED,
            settings.strikes_to_slow if strikes else UNLIMITED,
            settings.strikes_to_block if strikes else UNLIMITED,
            settings.strike_window_minutes * 60.0,
            float(settings.slow_seconds),
            settings.block_minutes * 60.0,
            clock=clock,
            store=store,
        )

    def admit(self, user_id: str) -> Verdict:
        """Let the question through (and count it), or say why not and for how long."""
        return self._with_store(lambda store: self._admit(store, user_id))

    def strike(self, user_id: str, weight: float = 1.0, screen: str = "") -> float:
        """Count a blocked question against the user; returns their weighted strikes in the window."""
        if not weight > 0:
            raise ValueError(f"a strike weighs more than 0, got {weight!r}")
        return self._with_store(lambda store: self._strike(store, user_id, weight, screen))

    def _with_store(self, work: Callable[[LimitStore], _T]) -> _T:
        try:
            return work(self.store)
        except self.store.unavailable as err:  # a bad user id or a bug still raises
            _LOG.warning("limits kept in this process for now: the records failed (%s)", type(err).__name__)
            return work(self._local)

    def _admit(self, store: LimitStore, user_id: str) -> Verdict:
        now = self.clock()
        with store.locked(user_id) as state:
            turns = state.admissions_since(now - RATE_WINDOW_S)
            strikes = state.strikes_since(now - self.window_seconds)
            scores = {"strikes": float(strikes), "turns_last_minute": float(len(turns))}
            until = state.blocked_until()
            if until == FOREVER:
                return self._refuse(
                    STAFF_BLOCKED_REASON,
                    scores,
                    "Your access to the assistant has been paused by our support team. "
                    "Please contact us directly for help.",
                )
            if now < until:
                minutes = max(1, round((until - now) / 60))
                return self._refuse(
                    BLOCKED_REASON,
                    scores,
                    f"Too many of your messages were blocked, so asking is paused for about {minutes} minute(s). "
                    "If you need help now, please contact us directly.",
                )
            if len(turns) >= self.per_minute:
                wait = max(1, round(turns[0] + RATE_WINDOW_S - now))
                return self._refuse(
                    "rate limit", scores, f"You're asking very quickly. Please wait {wait} seconds and try again."
                )
            last = state.last_admission()
            if strikes >= self.strikes_to_slow and now - last < self.slow_seconds:
                wait = max(1, round(last + self.slow_seconds - now))
                return self._refuse(
                    "slowed after blocked messages",
                    scores,
                    f"Several of your messages were blocked, so please wait {wait} seconds between questions.",
                )
            state.admit(now)
            return Verdict(self.name, True, "", scores=scores)

    def _strike(self, store: LimitStore, user_id: str, weight: float, screen: str) -> float:
        now = self.clock()
        with store.locked(user_id) as state:
            state.strike(now, weight, screen)
            strikes = state.strikes_since(now - self.window_seconds)
            if strikes >= self.strikes_to_block:
                state.block(now + self.block_seconds)
                state.clear_strikes()  # a fresh start once the block has run out
            return strikes

    def _refuse(self, reason: str, scores: dict[str, float], message: str) -> Verdict:
        return Verdict(self.name, False, "", scores=scores, reasons=(reason,), user_message=message)
