"""One turn, top to bottom (DESIGN.md): gate -> input screens -> retrieve -> respond -> output
screens -> decide -> record. The app, the CLI and the tests all run turns through `Pipeline.run`.

No stage raises for bad user input; a stage that fails outright (a model missing, a service
down) fails the turn closed: the user gets a safe message and the turn is recorded as an error.
"""

from __future__ import annotations

import re
import secrets
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.bands import Band, Banding, band_verdict, decide, suggestion_text
from bot.gate import BLOCK_REASONS, STRIKE_SCREENS, Gate, strike_weight
from bot.identity import User, safety_identifier
from bot.intents import Catalogue, Intent
from bot.kb.retrieval import Passage, Retriever
from bot.responders import Answer, Exchange, Responder
from bot.responders.extractive import ExtractiveResponder
from bot.responders.llm import LLMUnavailable, SentenceSink
from bot.safety.input.normalize import normalize_text
from bot.safety.input.pii import redact_prefix
from bot.safety.output.citations import MARKER
from bot.safety.streaming import ScreenedStream, StreamScreens
from bot.safety.verdict import ChainResult, ScreenChain, ScreenContext, Verdict
from bot.turn import Citation, Decision, PassageRecord, Suggestion, Turn, VerdictRecord

NOT_IN_KB = "I couldn't find an answer to that in our help centre, and I'd rather not guess."
NO_SAFE_ANSWER = "I couldn't put together an answer from our help centre that I can stand behind."
FAILED = "Sorry, something went wrong on our side, so I can't answer right now."
LLM_FALLBACK_NOTE = "Our AI assistant is unavailable right now, so this answer is quoted from the help centre."
REPLACED_NOTE = "This answer is quoted directly from the help centre."


class UnknownIntent(ValueError):
    """The intent is not in the catalogue (the app's dropdown cannot send one; the CLI can)."""


@dataclass(frozen=True)
class Stages:
    """Everything a turn needs; `bot.wiring.build_pipeline` wires the configured defaults."""

    catalogue: Catalogue
    retriever: Retriever
    input_screens: ScreenChain
    output_screens: ScreenChain
    responder: Responder
    extractive: ExtractiveResponder  # the offline answer, and the fallback of the LLM
    gate: Gate
    secret: bytes
    moderation_model: str
    history_turns: int
    max_input_chars: int  # SAFEDESK_MAX_INPUT_CHARS: the most of a question that is redacted and recorded
    streaming: StreamScreens | None = None  # what a streamed answer passes, sentence by sentence
    bands: tuple[float, float] = (0.0, 0.0)  # confidence to answer, to suggest (bot.bands); 0, 0: always answer
    reference: Callable[[], Sequence[float] | None] | None = None  # the KB's reference quantiles (bot.kb.reference)


class Pipeline:
    def __init__(self, stages: Stages, record: Callable[[Turn], None] | None = None) -> None:
        self.stages = stages
        self.record = record

    def run(
        self,
        question: str,
        intent_id: str,
        user: User,
        history: Sequence[Exchange] = (),
        topic: str = "",
        on_text: Callable[[str], None] | None = None,
    ) -> Turn:
        """One turn. `topic` (from the intent's topic dropdown) is a retrieval hint, never screened
        text: it comes from the catalogue, not the user. An LLM answer is streamed and screened
        sentence by sentence (bot.safety.streaming); `on_text`, if given, gets the answer so far each time
        more of it may be shown. The Turn returned is final (the whole answer screened, or replaced)."""
        s = self.stages
        intent = self._intent(intent_id)
        identifier = safety_identifier(s.secret, user.id)
        turn = Turn(
            id=uuid.uuid4().hex,
            started_at=datetime.now(UTC).isoformat(timespec="milliseconds"),
            intent=intent.id,
            question="",  # set once the input screens have run (`_run`)
            safety_identifier=identifier,
            moderation_model=s.moderation_model,
        )
        started = time.perf_counter()
        try:
            self._run(turn, question, intent, user, history, topic if topic in intent.topics else "", on_text)
        except Exception as err:  # a stage failed outright: fail closed, keep the record
            turn.decision, turn.answer, turn.handoff = Decision.ERROR, FAILED, intent.handoff
            turn.verdicts.append(VerdictRecord("pipeline", False, {}, (f"{type(err).__name__}: {err}",), True, 0.0))
        if not turn.question:  # stopped before the input screens (the gate, a failure): never raw personal data
            turn.question = self._redacted(normalize_text(question)[0])
        turn.timings_ms["total"] = _ms(time.perf_counter() - started)
        if self.record:
            self.record(turn)
        return turn

    def _run(
        self,
        turn: Turn,
        question: str,
        intent: Intent,
        user: User,
        history: Sequence[Exchange],
        topic: str,
        on_text: Callable[[str], None] | None,
    ) -> None:
        s = self.stages
        context = ScreenContext(user_id=user.id, safety_identifier=turn.safety_identifier, intent=intent.id)

        with _timed(turn, "gate"):
            admitted = s.gate.admit(user.id)
        if not admitted.ok:  # a blocked user is told how to reach a person; a fast one just waits
            handoff = intent.handoff if BLOCK_REASONS.intersection(admitted.reasons) else ""
            return self._stop(turn, Decision.BLOCKED_INPUT, admitted.user_message, [admitted], handoff=handoff)

        with _timed(turn, "input"):
            screened = s.input_screens.run(question, context)
        self._keep(turn, screened)
        # The record takes the screens' text: normalised and redacted by them, or here when they
        # stopped (or are configured to stop) before doing it. Never raw personal data.
        ran = {v.screen for v in screened.verdicts if v.ok}
        recorded = screened.text if "normalize" in ran else normalize_text(screened.text)[0]
        turn.question = recorded if "pii" in ran else self._redacted(recorded)
        if not screened.ok:
            return self._blocked_input(turn, screened, intent, user)
        text = screened.text

        with _timed(turn, "retrieve"):
            passages = s.retriever.search(f"{topic}: {text}" if topic else text, intent.id)
        turn.passages = [PassageRecord.of(p) for p in passages]
        if not passages:
            return self._stop(turn, Decision.NOT_IN_KB, NOT_IN_KB, handoff=intent.handoff)
        with _timed(turn, "bands"):  # the same bands whatever the responder
            reference = s.reference() if s.reference else None
            banding = decide(s.extractive.rank(text, passages), *s.bands, reference)
        turn.verdicts.append(band_verdict(banding))
        if banding.band is not Band.ANSWERED:
            return self._suggest(turn, banding, intent)

        canary = f"SD-{secrets.token_hex(8)}"
        out_context = ScreenContext(
            user_id=user.id,
            safety_identifier=turn.safety_identifier,
            intent=intent.id,
            passages=passages,
            canary=canary,
            question=text,
            allowed_urls=frozenset(p.url for p in passages),
        )
        recent = list(history)[-s.history_turns :] if s.history_turns else []
        with _timed(turn, "respond"):
            sink = self._sentence_sink(turn, out_context, on_text)
            answer = self._respond(turn, text, intent, passages, recent, canary, sink)
            turn.usage = dict(answer.usage)  # spent even when the answer is replaced below
            if sink and sink.flagged and answer.text:  # moderation still holds the end of the streamed answer
                answer = self._quote(turn, text, intent, passages, REPLACED_NOTE)
        if answer.not_in_kb:  # the model's NOT_IN_KB: the close articles are still worth showing
            return self._suggest(
                turn, Banding(Band.SUGGESTED, banding.confidence, suggestions=banding.suggestions), intent
            )
        if not answer.text.strip():  # e.g. the token cap cut the model off before one full sentence
            answer = self._quote(turn, text, intent, passages, REPLACED_NOTE)

        with _timed(turn, "output"):
            # A streamed answer every sentence of which passed moderation in its paragraph was
            # moderated while the model wrote it (bot.safety.streaming): the rest of the screens remain.
            streamed = sink.moderation() if sink and answer.model != s.extractive.model else None
            if sink and streamed:
                turn.verdicts.append(VerdictRecord.of(streamed))
                checked = sink.screens.whole.run(answer.text, out_context)
            else:
                checked = s.output_screens.run(answer.text, out_context)
            self._keep(turn, checked)
            if not checked.ok and answer.model != s.extractive.model and not _failed(checked):
                # The model's answer failed a screen: quote the help centre instead, screened too.
                answer = self._quote(turn, text, intent, passages)
                checked = s.output_screens.run(answer.text, out_context)
                self._keep(turn, checked)
                if checked.ok:
                    turn.notes.append(REPLACED_NOTE)
        if not checked.ok:
            decision = Decision.ERROR if _failed(checked) else Decision.BLOCKED_OUTPUT
            return self._stop(turn, decision, NO_SAFE_ANSWER, handoff=intent.handoff)

        turn.model = answer.model
        turn.answer, turn.citations = _renumber(checked.text, passages)
        turn.decision = Decision.ANSWERED

    def _respond(
        self,
        turn: Turn,
        text: str,
        intent: Intent,
        passages: list[Passage],
        history: list[Exchange],
        canary: str,
        sink: SentenceSink | None = None,
    ) -> Answer:
        s = self.stages
        streaming = {"on_sentence": sink} if sink else {}
        if turn.moderation_outcome == "review":  # moderation was unsure: only quoted text may answer
            return s.extractive.respond(text, intent.label, passages)
        try:
            return s.responder.respond(
                text,
                intent.label,
                passages,
                history,
                canary=canary,
                safety_identifier=turn.safety_identifier,
                **streaming,  # type: ignore[arg-type]
            )
        except LLMUnavailable as err:
            turn.verdicts.append(VerdictRecord("responder", False, {}, (str(err),), True, 0.0))
            return self._quote(turn, text, intent, passages, LLM_FALLBACK_NOTE)

    def _quote(self, turn: Turn, text: str, intent: Intent, passages: list[Passage], note: str = "") -> Answer:
        """The answer quoted from the help centre: the offline answer, and the fallback of the LLM's
        (unavailable, cut off, held by streamed moderation, or failing an output screen)."""
        answer = self.stages.extractive.respond(text, intent.label, passages)
        if note:
            turn.notes.append(note)
        return answer

    def _sentence_sink(
        self, turn: Turn, context: ScreenContext, on_text: Callable[[str], None] | None
    ) -> ScreenedStream | None:
        """Screens each sentence of a streamed answer (bot.safety.streaming), shown or not: the app and the
        CLI get the same screening. `on_text` gets the answer so far, numbered as it will be."""
        if self.stages.streaming is None or not getattr(self.stages.responder, "streams", False):
            return None

        def show(text: str) -> None:
            if on_text is not None:
                on_text(_renumber(text, context.passages)[0])

        return ScreenedStream(self.stages.streaming, context, show, turn.verdicts)

    def _suggest(self, turn: Turn, banding: Banding, intent: Intent) -> None:
        if banding.band is Band.NOT_IN_KB or not banding.suggestions:
            return self._stop(turn, Decision.NOT_IN_KB, NOT_IN_KB, handoff=intent.handoff)
        self._stop(turn, Decision.SUGGESTED, suggestion_text(banding.suggestions), handoff=intent.handoff)
        turn.suggestions = [Suggestion(s.article_id, s.title, s.url, s.heading, s.line) for s in banding.suggestions]

    def _blocked_input(self, turn: Turn, screened: ChainResult, intent: Intent, user: User) -> None:
        blocked = screened.blocked_by
        assert blocked is not None
        if blocked.screen in STRIKE_SCREENS and not blocked.error:
            self.stages.gate.strike(user.id, strike_weight(blocked), blocked.screen)
        decision = Decision.ERROR if blocked.error else Decision.BLOCKED_INPUT
        handoff = "" if blocked.screen == "limits" else intent.handoff
        self._stop(turn, decision, blocked.user_message or FAILED, handoff=handoff)

    @staticmethod
    def _stop(
        turn: Turn, decision: Decision, message: str, verdicts: Sequence[Verdict] = (), handoff: str = ""
    ) -> None:
        turn.decision, turn.answer, turn.handoff = decision, message, handoff
        turn.verdicts.extend(VerdictRecord.of(v) for v in verdicts)

    @staticmethod
    def _keep(turn: Turn, result: ChainResult) -> None:
        records = [VerdictRecord.of(v) for v in result.verdicts]
        turn.verdicts.extend(records)
        turn.note_moderation(records)
        turn.notes.extend(v.user_message for v in result.verdicts if v.ok and v.user_message)

    def _redacted(self, text: str) -> str:
        """Only what the length limit lets through is redacted (and recorded): redacting costs time
        per character, and the rest is never recorded."""
        return redact_prefix(text, self.stages.max_input_chars)[0]

    def identifier(self, user: User) -> str:
        """The user's hashed id: the safety identifier, also the key of their records."""
        return safety_identifier(self.stages.secret, user.id)

    def _intent(self, intent_id: str) -> Intent:
        try:
            return self.stages.catalogue.get(intent_id)
        except KeyError:
            known = ", ".join(sorted(self.stages.catalogue.ids()))
            raise UnknownIntent(f"unknown intent {intent_id!r}; choose one of: {known}") from None


def _failed(result: ChainResult) -> bool:
    return bool(result.blocked_by and result.blocked_by.error)


def _renumber(text: str, passages: Sequence[Passage]) -> tuple[str, list[Citation]]:
    """Markers refer to passage positions; users see one number per article, in order of use."""
    numbers: dict[str, int] = {}
    citations: list[Citation] = []

    def number(match: re.Match[str]) -> str:
        passage = passages[int(match.group(1)) - 1]
        if passage.article_id not in numbers:
            numbers[passage.article_id] = len(numbers) + 1
            citations.append(
                Citation(numbers[passage.article_id], passage.article_id, passage.title, passage.url, passage.heading)
            )
        return f"[{numbers[passage.article_id]}]"

    renumbered = MARKER.sub(number, text)
    return re.sub(r"(\[\d+\])(?:\s*\1)+", r"\1", renumbered), citations


@contextmanager
def _timed(turn: Turn, stage: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        turn.timings_ms[stage] = _ms(time.perf_counter() - started)


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)
