"""Wires the pipeline from settings: embedder, retriever, moderator, screens, responders, gate.

`bot.pipeline` runs a turn; this module only builds what it runs, once per process (the app, the
CLI, the benches and the tests all build through `build_pipeline`).
"""

from __future__ import annotations

from collections.abc import Callable

from bot.config import Settings
from bot.embedding import MiniLMEmbedder, QueryCache, local_embedder, make_embedder
from bot.gate import Gate
from bot.identity import server_secret
from bot.intents import load_catalogue
from bot.kb.blocks import for_retriever
from bot.kb.reference import KBReference
from bot.kb.retrieval import Retriever, make_retriever
from bot.pipeline import Pipeline, Stages
from bot.responders import Responder
from bot.responders.extractive import ExtractiveResponder
from bot.responders.llm import LLMResponder
from bot.safety.chains import input_chain, output_chain, stream_screens
from bot.safety.classifiers.injection_classifier import InjectionClassifier
from bot.safety.classifiers.local_moderator import LocalModerator
from bot.safety.guard import GuardModerator
from bot.safety.kb_context import RetrieverKb
from bot.safety.moderation import Moderator, OpenAIModerator
from bot.tokens import Tokenizer
from bot.turn import Turn


def make_moderator(settings: Settings, local: LocalModerator) -> Moderator:
    if settings.moderation == "local":
        return local
    if settings.moderation == "guard":
        return GuardModerator.from_settings(settings, local if settings.moderation_fallback == "local" else None)
    import openai

    client = openai.OpenAI(
        api_key=settings.openai_api_key or None,
        timeout=settings.openai_timeout_seconds,
        max_retries=settings.openai_max_retries,
    )
    return OpenAIModerator(client, fallback=local if settings.moderation_fallback == "local" else None)


def build_pipeline(
    settings: Settings,
    *,
    retriever: Retriever | None = None,
    responder: Responder | None = None,
    gate: Gate | None = None,
    record: Callable[[Turn], None] | None = None,
) -> Pipeline:
    """The configured pipeline: one embedder pass per text serves retrieval and the screens."""
    embedder = QueryCache(make_embedder(settings))
    retriever = retriever or make_retriever(settings, embedder)
    # The local safety models were trained on MiniLM vectors: with another embedder for
    # retrieval (OPENAI_EMBEDDING_MODEL) they embed with MiniLM on their own.
    screening = embedder if embedder.model_id == MiniLMEmbedder.model_id else QueryCache(local_embedder())
    local = LocalModerator(screening)
    moderator = make_moderator(settings, local)
    extractive = ExtractiveResponder(
        settings.answer_tokens,
        lambda: retriever.index().documents,
        embedder,
        Tokenizer.from_settings(settings).count,
        for_retriever(retriever, embedder),  # the block vectors ingest stored
    )
    if responder is None:
        responder = LLMResponder.from_settings(settings) if settings.answer_mode == "llm" else extractive
    stages = Stages(
        catalogue=load_catalogue(settings.intents_file),
        retriever=retriever,
        input_screens=input_chain(
            settings,
            moderator,
            InjectionClassifier(screening),
            RetrieverKb(retriever) if screening is embedder else None,  # the context model reads MiniLM cosines
        ),
        output_screens=output_chain(settings, moderator, embedder),
        responder=responder,
        extractive=extractive,
        gate=gate or Gate.from_settings(settings),
        secret=server_secret(settings),
        moderation_model=getattr(moderator, "model_id", getattr(moderator, "model", "")),
        history_turns=settings.history_turns,
        max_input_chars=settings.max_input_chars,
        streaming=stream_screens(settings, moderator, embedder),
        bands=(settings.answer_confidence, settings.suggest_confidence),
        reference=KBReference(retriever.index),
    )
    return Pipeline(stages, record)
