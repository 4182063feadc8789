"""The gate, first stage of a turn: rate limit, then strikes (users who keep tripping the screens
are slowed, then blocked for a while).

A strike is a question blocked by moderation or the injection screen; over-long or empty input
is not a strike. State is kept per user id in memory, behind a lock (Streamlit serves sessions
from threads); one process serves one app, so this is the whole picture for that app.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.config import Settings
from bot.safety.verdict import Verdict

STRIKE_SCREENS = frozenset({"moderation-in", "injection"})
UNLIMITED = 1 << 62


@dataclass
class _UserState:
    turns: deque[float] = field(default_factory=deque)
    strikes: deque[float] = field(default_factory=deque)
    last_turn: float = float("-inf")
    blocked_until: float = float("-inf")


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
    ) -> None:
        self.per_minute = per_minute
        self.strikes_to_slow = strikes_to_slow
        self.strikes_to_block = strikes_to_block
        self.window_seconds = window_seconds
        self.slow_seconds = slow_seconds
        self.block_seconds = block_seconds
        self.clock = clock
        self._users: dict[str, _UserState] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, *, rate_limited: bool = True, strikes: bool = True) -> Gate:
        """The configured gate; `rate_limited=False` (staff batch runs) drops the per-minute limit,
        `strikes=False` (evaluation and red-team batches) never slows or blocks after strikes."""
        return cls(
            settings.rate_limit_per_minute if rate_limited else UNLIMITED,
            settings.strikes_to_slow if strikes else UNLIMITED,
            settings.strikes_to_block if strikes else UNLIMITED,
            settings.strike_window_minutes * 60.0,
            float(settings.slow_seconds),
            settings.block_minutes * 60.0,
        )

    def admit(self, user_id: str) -> Verdict:
        """Let the question through (and count it), or say why not and for how long."""
        now = self.clock()
        with self._lock:
            state = self._users.setdefault(user_id, _UserState())
            _drop_older(state.turns, now - 60.0)
            strikes = len(_drop_older(state.strikes, now - self.window_seconds))
            scores = {"strikes": float(strikes), "turns_last_minute": float(len(state.turns))}
            if now < state.blocked_until:
                minutes = max(1, round((state.blocked_until - now) / 60))
                return self._refuse(
                    "blocked after repeated unsafe messages",
                    scores,
                    f"Too many of your messages were blocked, so asking is paused for about {minutes} minute(s). "
                    "If you need help now, please contact us directly.",
                )
            if len(state.turns) >= self.per_minute:
                wait = max(1, round(state.turns[0] + 60.0 - now))
                return self._refuse(
                    "rate limit", scores, f"You're asking very quickly. Please wait {wait} seconds and try again."
                )
            if strikes >= self.strikes_to_slow and now - state.last_turn < self.slow_seconds:
                wait = max(1, round(state.last_turn + self.slow_seconds - now))
                return self._refuse(
                    "slowed after blocked messages",
                    scores,
                    f"Several of your messages were blocked, so please wait {wait} seconds between questions.",
                )
            state.turns.append(now)
            state.last_turn = now
            return Verdict(self.name, True, "", scores=scores)

    def strike(self, user_id: str) -> int:
        """Count a blocked question against the user; returns their strikes in the window."""
        now = self.clock()
        with self._lock:
            state = self._users.setdefault(user_id, _UserState())
            state.strikes.append(now)
            strikes = len(_drop_older(state.strikes, now - self.window_seconds))
            if strikes >= self.strikes_to_block:
                state.blocked_until = now + self.block_seconds
                state.strikes.clear()  # a fresh start once the block has run out
            return strikes

    def _refuse(self, reason: str, scores: dict[str, float], message: str) -> Verdict:
        return Verdict(self.name, False, "", scores=scores, reasons=(reason,), user_message=message)


def _drop_older(times: deque[float], cutoff: float) -> deque[float]:
    while times and times[0] <= cutoff:
        times.popleft()
    return times
