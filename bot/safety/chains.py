"""The input and output screen chains, in the order DESIGN.md draws them."""

from __future__ import annotations

from bot.config import get_settings
from bot.embedding import Embedder
from bot.safety.citations import CitationCheck
from bot.safety.grounding import GroundednessCheck
from bot.safety.injection import InjectionScreen
from bot.safety.injection_classifier import InjectionClassifier
from bot.safety.leakage import LeakageCheck
from bot.safety.limits import LengthLimit
from bot.safety.local_moderator import LocalModerator
from bot.safety.moderation import KbEvidenceSource, ModerationScreen, Moderator
from bot.safety.normalize import Normalizer
from bot.safety.pii import PiiRedactor
from bot.safety.quoted import QuotedModeration
from bot.safety.sanitize import Sanitizer
from bot.safety.verdict import Screen, ScreenChain
from bot.streaming import StreamScreens


def input_chain(
    moderator: Moderator, injection_classifier: InjectionClassifier | None = None, kb: KbEvidenceSource | None = None
) -> ScreenChain:
    """`kb` (bot.safety.kb_context.RetrieverKb) lets moderation weigh what the help centre says."""
    settings = get_settings()
    injection = (
        InjectionScreen(injection_classifier, injection_classifier.threshold)
        if injection_classifier
        else InjectionScreen()
    )
    return ScreenChain(
        [
            Normalizer(),
            LengthLimit(settings.max_input_chars, settings.max_input_tokens),
            ModerationScreen(moderator, "moderation-in", kb=kb),
            injection,
            PiiRedactor(),
        ]
    )


def output_chain(moderator: Moderator, embedder: Embedder) -> ScreenChain:
    return ScreenChain([_output_moderation(moderator, embedder), *_after_moderation(embedder)])


def stream_screens(moderator: Moderator, embedder: Embedder) -> StreamScreens:
    """The screens of a streamed answer (bot.streaming): each sentence on its own, each sentence
    in its paragraph, and the whole answer when the model stops."""
    return StreamScreens(
        # Leakage and citations first: a leaked canary or a citation of nothing retrieved ends the
        # answer, even in a sentence groundedness would drop.
        sentence=ScreenChain([LeakageCheck(), CitationCheck(require=False), GroundednessCheck(embedder), Sanitizer()]),
        moderation=ScreenChain([_output_moderation(moderator, embedder)]),
        whole=ScreenChain(_after_moderation(embedder)),
    )


def _output_moderation(moderator: Moderator, embedder: Embedder) -> ModerationScreen:
    # An answer moderation is unsure of (REVIEW) is stopped too: a generated one is then replaced
    # by a quoted one, and a quoted one is trusted when staff accepted its passages at ingest.
    return ModerationScreen(moderator, "moderation-out", _quoted(moderator, embedder), output=True)


def _after_moderation(embedder: Embedder) -> list[Screen]:
    return [GroundednessCheck(embedder), LeakageCheck(), CitationCheck(), Sanitizer()]


def _quoted(moderator: Moderator, embedder: Embedder) -> QuotedModeration | None:
    """Answers quoted from the KB are moderated by the passages they quote (bot.safety.quoted):
    only with the local moderator, scoring the vectors retrieval already has, so only when
    retrieval embeds with the moderator's model."""
    if isinstance(moderator, LocalModerator) and moderator.model.embedder.model_id == embedder.model_id:
        return QuotedModeration(moderator)
    return None
