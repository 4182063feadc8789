"""The record of one turn: what was asked, what the bot saw and decided, and what it answered.

The same object feeds the app, the CLI's JSON and the reviewers' records, so a reviewer needs
nothing else: question (PII-redacted), intent, passages with scores, every verdict, answer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any

from bot.safety.verdict import OUTCOMES, PASS, Verdict


class Decision(StrEnum):
    ANSWERED = "answered"
    SUGGESTED = "suggested"  # not sure the KB answers: the hand-off, then the closest articles (bot.bands)
    NOT_IN_KB = "not_in_kb"  # nothing relevant and verified: hand off, no generation
    BLOCKED_INPUT = "blocked_input"  # gate, limits, moderation or injection said no
    BLOCKED_OUTPUT = "blocked_output"  # the answer failed an output screen and no fallback passed
    ERROR = "error"  # a stage failed; the turn failed closed


@dataclass(frozen=True)
class Citation:
    number: int
    article_id: str
    title: str
    url: str
    heading: str


@dataclass(frozen=True)
class Suggestion:
    """An article shown in a `suggested` turn: its heading and one line of its best block."""

    article_id: str
    title: str
    url: str
    heading: str
    line: str


@dataclass(frozen=True)
class PassageRecord:
    """A retrieved passage as the record keeps it; `bot.kb.retrieval.Passage` adds the vector."""

    chunk_id: str
    article_id: str
    title: str
    url: str
    heading: str
    text: str
    score: float  # what the ranking used (hybrid, dense or bm25)
    dense: float  # cosine similarity to the query, 0..1 in practice
    lexical: float  # BM25 normalised to the best servable chunk, 0..1

    @classmethod
    def of(cls, passage: PassageRecord) -> PassageRecord:
        """The record's fields of `passage` (a `Passage` loses its vector), scores to 4 places."""
        values = {f.name: getattr(passage, f.name) for f in fields(cls)}
        return cls(**{k: round(v, 4) if isinstance(v, float) else v for k, v in values.items()})


@dataclass(frozen=True)
class VerdictRecord:
    screen: str
    ok: bool
    scores: dict[str, float]
    reasons: tuple[str, ...]
    error: bool
    ms: float
    outcome: str = ""  # moderation screens: pass, review or block

    @classmethod
    def of(cls, verdict: Verdict) -> VerdictRecord:
        return cls(
            verdict.screen,
            verdict.ok,
            {k: round(float(v), 4) for k, v in verdict.scores.items()},
            verdict.reasons,
            verdict.error,
            round(verdict.seconds * 1000, 3),
            verdict.outcome,
        )


@dataclass
class Turn:
    id: str
    started_at: str  # UTC, ISO 8601
    intent: str
    question: str  # after normalising and PII redaction: raw personal data is never recorded
    safety_identifier: str
    decision: Decision = Decision.ERROR
    answer: str = ""
    citations: list[Citation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # messages shown beside the answer (PII warning, fallback)
    handoff: str = ""  # how to reach a person, shown when the bot did not answer
    suggestions: list[Suggestion] = field(default_factory=list)  # a `suggested` turn's closest articles
    passages: list[PassageRecord] = field(default_factory=list)
    verdicts: list[VerdictRecord] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    model: str = ""  # what wrote the answer: "extractive" or the chat model
    usage: dict[str, int] = field(default_factory=dict)  # the chat model's tokens, kept if its answer was replaced
    moderation_model: str = ""
    # What moderation made of the turn (the gravest outcome of its moderation screens): "pass",
    # "review" (answered from quoted text only) or "block". `flagged` (review or block) puts the
    # turn in the staff's flagged-turns list; `moderation_scores` are that screen's scores.
    moderation_outcome: str = PASS
    flagged: bool = False
    moderation_scores: dict[str, float] = field(default_factory=dict)

    def note_moderation(self, verdicts: list[VerdictRecord]) -> None:
        """Keeps the gravest moderation outcome among `verdicts` (and its scores)."""
        for v in verdicts:
            if v.outcome in OUTCOMES and OUTCOMES.index(v.outcome) > OUTCOMES.index(self.moderation_outcome):
                self.moderation_outcome, self.moderation_scores = v.outcome, dict(v.scores)
        self.flagged = self.moderation_outcome != PASS

    @property
    def answered(self) -> bool:
        return self.decision is Decision.ANSWERED

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["decision"] = self.decision.value
        return data
