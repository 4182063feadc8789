"""bot.safety.streaming on its own: what moderation judges as sentences arrive, and when the answer ends.
The whole streamed turn (real screens, a fake OpenAI stream) is tested in test_pipeline.py."""

from __future__ import annotations

import pytest

from bot.responders.llm import StopAnswer
from bot.safety.moderation import CATEGORIES, ModerationResult, ModerationScreen
from bot.safety.streaming import MAX_HELD_WORDS, ScreenedStream, StreamScreens, moderated_text
from bot.safety.verdict import ScreenChain, ScreenContext
from bot.turn import VerdictRecord


def test_moderation_sees_the_held_sentences_after_about_a_paragraph_of_cleared_ones() -> None:
    said = ["One two three.", "Four five six.", "Seven eight.", "Held one.", "Held two."]
    assert moderated_text(said, 3, context_words=5) == "Four five six. Seven eight. Held one. Held two."
    assert moderated_text(said, 3, context_words=1) == "Seven eight. Held one. Held two."  # at least one
    assert moderated_text(said, 0) == " ".join(said)  # nothing cleared: all of it
    assert moderated_text(["- Step one", "- Step two"], 1) == "- Step one\n- Step two"


class Flags:
    """Flags any text holding `word`; with `fail`, the moderation service is down."""

    def __init__(self, word: str, fail: bool = False) -> None:
        self.word, self.fail = word, fail
        self.seen: list[str] = []

    def moderate(self, text: str, safety_identifier: str = "") -> ModerationResult:
        if self.fail:
            raise ConnectionError("moderation service down")
        self.seen.append(text)
        hit = self.word in text
        scores = {c: float(hit and c == "violence") for c in CATEGORIES}
        return ModerationResult(hit, {c: v > 0 for c, v in scores.items()}, scores, {}, "flags")


def stream(moderator: Flags) -> tuple[ScreenedStream, list[str], list[VerdictRecord]]:
    shown: list[str] = []
    record: list[VerdictRecord] = []
    moderation = ScreenChain([ModerationScreen(moderator, "moderation-out")])
    screens = StreamScreens(sentence=ScreenChain([]), moderation=moderation, whole=ScreenChain([]))
    return ScreenedStream(screens, ScreenContext(), shown.append, record), shown, record


def test_flagged_text_is_held_until_it_passes_in_context() -> None:
    sink, shown, record = stream(Flags("Held"))
    assert sink("Fine. [1]") == "Fine. [1]" and shown == ["Fine. [1]"]
    assert sink("Held back.") == "Held back." and sink.flagged  # kept in the answer, not shown
    assert shown == ["Fine. [1]"] and [r.screen for r in record] == ["moderation-out (streamed, held)"]
    assert sink.moderation() is None  # the whole answer was not cleared: the output screens moderate it
    sink("More.")  # moderated with the held sentence, which is flagged wherever it is: still held
    assert sink.flagged and shown == ["Fine. [1]"]


def test_an_answer_cleared_sentence_by_sentence_carries_its_highest_scores() -> None:
    sink, shown, record = stream(Flags("never"))
    sink("One.")  # cites nothing yet: not shown
    sink("Two. [1]")
    verdict = sink.moderation()
    assert verdict is not None and verdict.ok and verdict.screen == "moderation-out"
    assert verdict.reasons == ("moderated while streamed: 2 sentences, each in its paragraph",)
    assert set(verdict.scores) == set(CATEGORIES) and shown == ["One. Two. [1]"] and record == []


def test_held_text_that_stays_flagged_ends_the_answer_once_it_is_long() -> None:
    sink, shown, _ = stream(Flags("bad"))
    sink("Fine. [1]")
    sink("A bad start.")
    with pytest.raises(StopAnswer):
        for _ in range(MAX_HELD_WORDS):
            sink("More words follow here.")
    assert shown == ["Fine. [1]"]


def test_a_failing_moderation_service_ends_the_answer() -> None:
    sink, shown, record = stream(Flags("x", fail=True))
    with pytest.raises(StopAnswer):
        sink("Fine.")
    assert shown == [] and record[0].error
