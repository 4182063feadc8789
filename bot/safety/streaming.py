"""Screening a streamed LLM answer sentence by sentence, before anything is shown.

Leakage, citation validity, groundedness and sanitizing judge each sentence on its own, and
nothing is shown before the answer cites a passage (an answer citing none is replaced).
Moderation judges each sentence in its paragraph, as the output screens judge a whole answer (a
sentence moderated alone, out of context, is flagged far more often: `python -m evals
safety` counts it). A
flagged sentence is held, not shown; it is shown with the sentences after it once the text
around it passes. If the held text is still flagged when the model stops, or grows past
`MAX_HELD_WORDS`, the answer is replaced, as an unstreamed answer failing moderation would be.

When every sentence has passed, the whole answer has been moderated in overlapping windows,
as long texts are (bot.safety.classifiers.heads): the final screening then skips moderation, which was
done while the model was still writing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from bot.responders.llm import StopAnswer
from bot.safety.output.citations import cited_numbers
from bot.safety.verdict import ScreenChain, ScreenContext, Verdict
from bot.text import join_sentences
from bot.turn import VerdictRecord

CONTEXT_WORDS = 60  # cleared sentences moderated again beside each new one: about a paragraph
MAX_HELD_WORDS = 150  # held text still flagged at this length ends the answer (and bounds the work)


@dataclass(frozen=True)
class StreamScreens:
    sentence: ScreenChain  # each sentence on its own: leakage, citations, groundedness, sanitizing
    moderation: ScreenChain  # each sentence in its paragraph
    whole: ScreenChain  # the whole answer when the model stops: the output screens after moderation


def moderated_text(said: Sequence[str], cleared: int, context_words: int = CONTEXT_WORDS) -> str:
    """What moderation judges when a sentence arrives: every sentence not yet cleared, after the
    last cleared ones (at least one, up to `context_words` words) as their context."""
    context: list[str] = []
    words = 0
    for sentence in reversed(said[:cleared]):
        words += len(sentence.split())
        if context and words > context_words:
            break
        context.insert(0, sentence)
    return join_sentences([*context, *said[cleared:]])


class ScreenedStream:
    """The sentence sink of a streamed answer (bot.responders.llm): decides what is shown, and when."""

    def __init__(
        self,
        screens: StreamScreens,
        context: ScreenContext,
        show: Callable[[str], None],
        record: list[VerdictRecord],
    ) -> None:
        """`show` gets the answer so far (the sentences kept) each time more of it may be shown;
        the verdicts of what was held or dropped go to `record`."""
        self.screens, self.context, self.show, self.record = screens, context, show, record
        self.said: list[str] = []  # every sentence the model finished
        self.cleared = 0  # how many of them moderation has passed
        self.kept: list[str] = []  # those that passed the sentence screens, as screened
        self.flagged = False  # whether the held text is flagged, as of the last sentence
        self._scores: dict[str, float] = {}  # the highest moderation score per category
        self._seconds = 0.0

    def __call__(self, sentence: str) -> str | None:
        self.said.append(sentence)
        moderated = self.screens.moderation.run(moderated_text(self.said, self.cleared), self.context)
        if moderated.verdicts:  # none when moderation is not among the configured output screens
            self._note(moderated.verdicts[-1])
        self.flagged = not moderated.ok
        if self.flagged:
            verdict = moderated.verdicts[-1]
            self.record.append(VerdictRecord.of(replace(verdict, screen=f"{verdict.screen} (streamed, held)")))
            if verdict.error or sum(len(s.split()) for s in self.said[self.cleared :]) > MAX_HELD_WORDS:
                raise StopAnswer
        else:
            self.cleared = len(self.said)
        checked = self.screens.sentence.run(sentence, self.context)
        if not checked.ok:
            blocked = checked.blocked_by
            assert blocked is not None
            self.record.append(VerdictRecord.of(replace(blocked, screen=f"{blocked.screen} (streamed)")))
            if blocked.screen != "groundedness":
                raise StopAnswer  # a leak or a made-up citation: the whole answer goes, as unstreamed
            return None  # unsupported: this sentence goes, as groundedness drops it unstreamed
        self.kept.append(checked.text)
        so_far = join_sentences(self.kept)
        if not self.flagged and cited_numbers(so_far):
            self.show(so_far)
        return checked.text

    def moderation(self) -> Verdict | None:
        """The moderation of the whole answer, when every sentence passed it in its paragraph:
        each category's highest score, and the time it took while the model was writing."""
        if not self.said or self.cleared < len(self.said) or not self.screens.moderation.screens:
            return None
        reason = f"moderated while streamed: {len(self.said)} sentences, each in its paragraph"
        return Verdict("moderation-out", True, "", dict(self._scores), (reason,), seconds=self._seconds)

    def _note(self, verdict: Verdict) -> None:
        self._seconds += verdict.seconds
        for category, score in verdict.scores.items():
            self._scores[category] = max(score, self._scores.get(category, 0.0))
