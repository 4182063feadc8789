"""The input and output screen chains, in the order DESIGN.md draws them."""

from __future__ import annotations

from bot.config import Settings
from bot.embedding import Embedder
from bot.safety.classifiers.injection_classifier import InjectionClassifier
from bot.safety.classifiers.local_moderator import LocalModerator
from bot.safety.input.injection import InjectionScreen
from bot.safety.input.limits import LengthScreen
from bot.safety.input.normalize import NormalizeScreen
from bot.safety.input.pii import PiiScreen
from bot.safety.moderation import ModerationScreen, Moderator
from bot.safety.output.citations import CitationScreen
from bot.safety.output.grounding import GroundednessScreen
from bot.safety.output.leakage import LeakageScreen
from bot.safety.output.quoted import QuotedModeration
from bot.safety.output.sanitize import SanitizeScreen
from bot.safety.streaming import StreamScreens
from bot.safety.verdict import Screen, ScreenChain
from bot.tokens import Tokenizer


def input_chain(
    settings: Settings, moderator: Moderator, injection_classifier: InjectionClassifier | None = None
) -> ScreenChain:
    injection = (
        InjectionScreen(injection_classifier, injection_classifier.threshold)
        if injection_classifier
        else InjectionScreen()
    )
    return ScreenChain(
        [
            NormalizeScreen(),
            LengthScreen(settings.max_input_chars, settings.max_input_tokens, Tokenizer.from_settings(settings)),
            ModerationScreen(moderator, "moderation-in"),
            injection,
            PiiScreen(),
        ]
    )


def output_chain(moderator: Moderator, embedder: Embedder) -> ScreenChain:
    return ScreenChain(
        [ModerationScreen(moderator, "moderation-out", _quoted(moderator, embedder)), *_after_moderation(embedder)]
    )


def stream_screens(moderator: Moderator, embedder: Embedder) -> StreamScreens:
    """The screens of a streamed answer (bot.safety.streaming): each sentence on its own, each sentence
    in its paragraph, and the whole answer when the model stops."""
    return StreamScreens(
        # Leakage and citations first: a leaked canary or a citation of nothing retrieved ends the
        # answer, even in a sentence groundedness would drop.
        sentence=ScreenChain(
            [LeakageScreen(), CitationScreen(require=False), GroundednessScreen(embedder), SanitizeScreen()]
        ),
        moderation=ScreenChain([ModerationScreen(moderator, "moderation-out", _quoted(moderator, embedder))]),
        whole=ScreenChain(_after_moderation(embedder)),
    )


def _after_moderation(embedder: Embedder) -> list[Screen]:
    return [GroundednessScreen(embedder), LeakageScreen(), CitationScreen(), SanitizeScreen()]


def _quoted(moderator: Moderator, embedder: Embedder) -> QuotedModeration | None:
    """Answers quoted from the KB are moderated by the passages they quote (bot.safety.output.quoted):
    only with the local moderator, scoring the vectors retrieval already has, so only when
    retrieval embeds with the moderator's model."""
    if isinstance(moderator, LocalModerator) and moderator.model.embedder.model_id == embedder.model_id:
        return QuotedModeration(moderator)
    return None
