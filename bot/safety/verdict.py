"""The verdict every screen returns, and the chain that runs screens in order.

A screen never raises for bad user input: bad input is a verdict with ok=False.
When a screen itself fails (model missing, API down) the chain turns the
exception into a blocking verdict with `error` set: the turn fails closed.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

# What moderation decided (bot.safety.moderation): answer as usual; answer only with quoted text
# and record the turn as flagged for staff; or refuse.
PASS, REVIEW, BLOCK = "pass", "review", "block"
OUTCOMES = (PASS, REVIEW, BLOCK)


@dataclass(frozen=True)
class ScreenContext:
    """What a screen may need besides the text. Output screens get the retrieved passages."""

    user_id: str = ""
    safety_identifier: str = ""  # HMAC of the user's stable id; sent with every OpenAI request
    intent: str = "all"
    passages: Sequence[Any] = ()  # bot.kb.retrieval.Passage, for output screens
    canary: str = ""  # a secret string placed in the system prompt; must never appear in output
    allowed_urls: frozenset[str] = frozenset()
    question: str = ""  # for output screens: the (screened) question the answer is for


@dataclass(frozen=True)
class Verdict:
    screen: str
    ok: bool
    text: str  # the text to pass on (possibly normalised, redacted or sanitised)
    scores: dict[str, float] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()
    user_message: str = ""  # what the user should be told, if anything
    error: bool = False  # the screen itself failed
    seconds: float = 0.0
    outcome: str = ""  # moderation screens only: PASS, REVIEW or BLOCK


class Screen(Protocol):
    name: str

    def check(self, text: str, context: ScreenContext) -> Verdict: ...


@dataclass(frozen=True)
class ChainResult:
    ok: bool
    text: str
    verdicts: tuple[Verdict, ...]

    @property
    def blocked_by(self) -> Verdict | None:
        return next((v for v in self.verdicts if not v.ok), None)

    @property
    def review(self) -> bool:
        """A moderation screen let the text on but was unsure: only quoted text may answer it."""
        return any(v.outcome == REVIEW for v in self.verdicts)


FAILED_CLOSED = "Sorry, our safety checks are unavailable right now, so I can't answer. Please try again later."


class ScreenChain:
    """Runs screens in order; each gets the previous one's text; stops at the first block."""

    def __init__(self, screens: Sequence[Screen]) -> None:
        self.screens = list(screens)

    def run(self, text: str, context: ScreenContext) -> ChainResult:
        verdicts: list[Verdict] = []
        for screen in self.screens:
            started = time.perf_counter()
            try:
                verdict = screen.check(text, context)
            except Exception as err:
                verdict = Verdict(
                    screen.name,
                    False,
                    text,
                    reasons=(f"screen failed: {type(err).__name__}: {err}",),
                    user_message=FAILED_CLOSED,
                    error=True,
                )
            verdict = _with_time(verdict, time.perf_counter() - started)
            verdicts.append(verdict)
            if not verdict.ok:
                return ChainResult(False, text, tuple(verdicts))
            text = verdict.text
        return ChainResult(True, text, tuple(verdicts))


def _with_time(verdict: Verdict, seconds: float) -> Verdict:
    from dataclasses import replace

    return replace(verdict, seconds=seconds)
