"""Moderation with OpenAI's 13 categories: one interface, two implementations.

`OpenAIModerator` calls `omni-moderation-latest`; `LocalModerator` (bot.safety.classifiers.local_moderator)
runs offline. Both return `ModerationResult`, the shape of OpenAI's moderation result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.safety.input.normalize import is_noise
from bot.safety.verdict import BLOCK, PASS, REVIEW, ScreenContext, Verdict

CATEGORIES: tuple[str, ...] = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)


@dataclass(frozen=True)
class ModerationResult:
    flagged: bool
    categories: dict[str, bool]
    category_scores: dict[str, float]
    category_applied_input_types: dict[str, list[str]]
    model: str
    outcome: str = ""  # PASS, REVIEW or BLOCK; empty for a binary moderator (flagged is BLOCK)
    reasons: tuple[str, ...] = ()  # why, beyond the categories (rules, context, acceptance)

    @property
    def decision(self) -> str:
        return self.outcome or (BLOCK if self.flagged else PASS)

    @classmethod
    def from_scores(cls, scores: dict[str, float], thresholds: dict[str, float], model: str) -> ModerationResult:
        flags = {c: scores.get(c, 0.0) >= thresholds.get(c, 0.5) for c in CATEGORIES}
        return cls(
            flagged=any(flags.values()),
            categories=flags,
            category_scores={c: float(scores.get(c, 0.0)) for c in CATEGORIES},
            category_applied_input_types={c: ["text"] for c in CATEGORIES},
            model=model,
        )


class Moderator(Protocol):
    def moderate(self, text: str, safety_identifier: str = "") -> ModerationResult: ...


class KbEvidenceSource(Protocol):
    """What the help centre says about a question (bot.safety.kb_context.RetrieverKb)."""

    def evidence(self, text: str, intent: str) -> Any: ...


class ModerationUnavailable(RuntimeError):
    """The moderation service failed and no fallback is configured: the turn fails closed."""


class OpenAIModerator:
    """`omni-moderation-latest` through the openai SDK (timeouts and retries are the client's)."""

    def __init__(self, client: Any, model: str = "omni-moderation-latest", fallback: Moderator | None = None) -> None:
        self.client = client
        self.model = model
        self.fallback = fallback

    def moderate(self, text: str, safety_identifier: str = "") -> ModerationResult:
        import openai

        try:
            response = self.client.moderations.create(
                model=self.model,
                input=text,
                extra_body={"safety_identifier": safety_identifier} if safety_identifier else None,
            )
        except (openai.APIError, openai.APITimeoutError, openai.APIConnectionError) as err:
            if self.fallback is None:
                raise ModerationUnavailable(f"OpenAI moderation failed: {err}") from err
            return self.fallback.moderate(text, safety_identifier)
        result = response.results[0]
        scores = result.category_scores.model_dump(by_alias=True)
        flags = result.categories.model_dump(by_alias=True)
        applied = result.category_applied_input_types.model_dump(by_alias=True)
        return ModerationResult(
            flagged=bool(result.flagged),
            categories={c: bool(flags.get(c, False)) for c in CATEGORIES},
            category_scores={c: float(scores.get(c) or 0.0) for c in CATEGORIES},
            category_applied_input_types={c: list(applied.get(c) or []) for c in CATEGORIES},
            model=response.model,
        )


BLOCKED_INPUT = (
    "I can't help with that. I can only answer questions about our products and services from our help centre."
)


class QuotedModerator(Protocol):
    def moderate(self, answer: str, passages: Sequence[Any]) -> ModerationResult | None: ...


class ModerationScreen:
    """Moderates the text; on output, a `quoted` moderator may answer for text copied from passages.

    Three outcomes (bot.safety.verdict): PASS; REVIEW, the text goes on (only quoted text may answer
    it, and the turn is recorded as flagged); BLOCK. On `output` (the bot's answer) REVIEW stops the
    text too: a generated answer moderation is unsure of is replaced by a quoted one. A moderator
    that judges an answer with its question (bot.safety.guard) gets both.
    `kb` gives a local moderator the help centre's view of an input question
    (bot.safety.kb_context): close to the intent's verified passages, a block needs more evidence.
    With `kb` or `question` a local moderator also scores the question clause by clause, so that
    framing cannot dilute it (bot.safety.classifiers.local_moderator.LocalModerator.moderate_in_context).
    """

    def __init__(
        self,
        moderator: Moderator,
        name: str = "moderation",
        quoted: QuotedModerator | None = None,
        kb: KbEvidenceSource | None = None,
        output: bool = False,
        question: bool = False,
    ) -> None:
        self.moderator = moderator
        self.name = name
        self.quoted = quoted
        self.kb = kb
        self.output = output
        self.question = question  # the user's question: a local moderator reads it clause by clause

    def check(self, text: str, context: ScreenContext) -> Verdict:
        if is_noise(text):  # e.g. 100,000 "a" collapsed by normalisation to "aaa": noise, not hate
            return Verdict(self.name, True, text, reasons=("noise: no word to moderate",), outcome=PASS)
        result = self.quoted.moderate(text, context.passages) if self.quoted and context.passages else None
        how = ("scored as the passages it quotes",) if result else ()
        if result is None:
            in_context = getattr(self.moderator, "moderate_in_context", None)
            answer_to = getattr(self.moderator, "moderate_answer", None)
            if in_context is not None and (self.kb is not None or self.question):  # clause by clause, in context
                kb, intent = self.kb, context.intent
                result = in_context(text, (lambda part: kb.evidence(part, intent)) if kb is not None else None)
            elif self.output and answer_to is not None and context.question:
                result = answer_to(text, context.question, context.safety_identifier)
            else:
                result = self.moderator.moderate(text, context.safety_identifier)
        outcome = result.decision
        ok = outcome == PASS or (outcome == REVIEW and not self.output)
        flagged = tuple(c for c, hit in result.categories.items() if hit)
        return Verdict(
            self.name,
            ok,
            text,
            scores=result.category_scores,
            reasons=(
                f"outcome: {outcome}",
                *(f"flagged: {c}" for c in flagged),
                *result.reasons,
                f"model: {result.model}",
                *how,
            ),
            user_message="" if ok else BLOCKED_INPUT,
            outcome=outcome,
        )
