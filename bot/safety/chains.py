"""The input and output screen chains: which screens run, and in which order, come from the
settings (`SAFEDESK_INPUT_SCREENS`, `SAFEDESK_OUTPUT_SCREENS`); the defaults are the order
DESIGN.md draws."""

from __future__ import annotations

from collections.abc import Callable

from bot.config import Settings
from bot.embedding import Embedder
from bot.safety.classifiers.injection_classifier import InjectionClassifier
from bot.safety.classifiers.local_moderator import LocalModerator
from bot.safety.input.injection import InjectionScreen
from bot.safety.input.limits import LengthScreen
from bot.safety.input.normalize import NormalizeScreen
from bot.safety.input.pii import PiiScreen
from bot.safety.moderation import KbEvidenceSource, ModerationScreen, Moderator
from bot.safety.output.citations import CitationScreen
from bot.safety.output.grounding import GroundednessScreen
from bot.safety.output.leakage import LeakageScreen
from bot.safety.output.quoted import QuotedModeration
from bot.safety.output.sanitize import SanitizeScreen
from bot.safety.streaming import StreamScreens
from bot.safety.verdict import Screen, ScreenChain
from bot.tokens import Tokenizer

# A streamed sentence meets leakage and citations first: a leaked canary or a citation of nothing
# retrieved ends the answer, even in a sentence groundedness would drop.
STREAMED_SENTENCE_ORDER = ("leakage", "citations", "groundedness", "sanitize")


def input_chain(
    settings: Settings,
    moderator: Moderator,
    injection_classifier: InjectionClassifier | None = None,
    kb: KbEvidenceSource | None = None,
) -> ScreenChain:
    """`kb` (bot.safety.kb_context.RetrieverKb) lets moderation weigh what the help centre says."""
    screens: dict[str, Callable[[], Screen]] = {
        "normalize": NormalizeScreen,
        "limits": lambda: LengthScreen(
            settings.max_input_chars, settings.max_input_tokens, Tokenizer.from_settings(settings)
        ),
        "moderation-in": lambda: ModerationScreen(moderator, "moderation-in", kb=kb, question=True),
        "injection": lambda: (
            InjectionScreen(injection_classifier, injection_classifier.threshold)
            if injection_classifier
            else InjectionScreen()
        ),
        "pii": PiiScreen,
    }
    return ScreenChain([screens[name]() for name in settings.input_screens])


def output_chain(settings: Settings, moderator: Moderator, embedder: Embedder) -> ScreenChain:
    screens = _output_screens(moderator, embedder)
    return ScreenChain([screens[name]() for name in settings.output_screens])


def stream_screens(settings: Settings, moderator: Moderator, embedder: Embedder) -> StreamScreens:
    """The screens of a streamed answer (bot.safety.streaming): each sentence on its own, each sentence
    in its paragraph, and the whole answer when the model stops."""
    screens = _output_screens(moderator, embedder, sentence=True)
    configured = settings.output_screens
    return StreamScreens(
        sentence=ScreenChain([screens[name]() for name in STREAMED_SENTENCE_ORDER if name in configured]),
        moderation=ScreenChain([screens[name]() for name in configured if name == "moderation-out"]),
        whole=ScreenChain(
            [_output_screens(moderator, embedder)[name]() for name in configured if name != "moderation-out"]
        ),
    )


def _output_screens(
    moderator: Moderator, embedder: Embedder, sentence: bool = False
) -> dict[str, Callable[[], Screen]]:
    """`sentence`: as a single streamed sentence is screened (it need not cite a passage yet)."""
    return {
        # An answer moderation is unsure of (REVIEW) is stopped too: a generated one is then replaced
        # by a quoted one, and a quoted one is trusted when staff accepted its passages at ingest.
        "moderation-out": lambda: ModerationScreen(
            moderator, "moderation-out", _quoted(moderator, embedder), output=True
        ),
        "groundedness": lambda: GroundednessScreen(embedder),
        "leakage": LeakageScreen,
        "citations": lambda: CitationScreen(require=not sentence),
        "sanitize": SanitizeScreen,
    }


def _quoted(moderator: Moderator, embedder: Embedder) -> QuotedModeration | None:
    """Answers quoted from the KB are moderated by the passages they quote (bot.safety.output.quoted):
    only with the local moderator, scoring the vectors retrieval already has, so only when
    retrieval embeds with the moderator's model."""
    if isinstance(moderator, LocalModerator) and moderator.model.embedder.model_id == embedder.model_id:
        return QuotedModeration(moderator)
    return None
