"""The LLM responder: a chat model on OpenAI or any OpenAI-compatible server, tightly scoped.

Low temperature, output tokens capped, input fitted to a token budget (bot.responders.prompt),
the hashed `safety_identifier` on every request. Timeouts and retries with backoff are the
SDK's (`timeout`, `max_retries`). When the service fails (timeout, 429, 5xx, connection) it
raises `LLMUnavailable` and the pipeline answers extractively instead, with a note.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import openai

from bot.config import Settings
from bot.kb.retrieval import Passage
from bot.responders import Answer, Exchange
from bot.responders.prompt import NOT_IN_KB, build_prompt
from bot.tokens import Tokenizer

# While streaming, a piece is finished when the next one has begun: after a full stop and its
# citation markers comes a new sentence (as bot.text splits them), or after a line
# break comes text that is not another marker.
_PIECE_END = re.compile(r"[.!?](?:\s*\[\d{1,2}\])*(\s+)(?=[A-Z0-9(*\-•\"“])|(?<=\S)(\n\s*)(?=[^\s\[])")

SentenceSink = Callable[[str], str | None]
"""Screens one finished sentence: returns the text to show, None to drop it, or raises StopAnswer."""


class LLMUnavailable(RuntimeError):
    """The chat service failed; the message says how (for the record)."""


class StopAnswer(Exception):
    """Raised by a sentence sink to abandon the answer: the stream is closed, nothing is kept."""


class LLMResponder:
    streams = True  # `respond` streams, each sentence through `on_sentence` (bot.pipeline screens them)

    def __init__(
        self,
        client: Any,
        model: str,
        *,
        company: str,
        max_output_tokens: int,
        max_input_tokens: int,
        tokenizer: Tokenizer,
        temperature: float,
        max_tokens_param: str = "max_completion_tokens",
    ) -> None:
        self.client = client
        self.model = model
        self.company = company
        self.max_output_tokens = max_output_tokens
        self.max_input_tokens = max_input_tokens
        self.tokenizer = tokenizer
        self.temperature = temperature
        self.max_tokens_param = max_tokens_param

    @classmethod
    def from_settings(cls, settings: Settings, client: Any | None = None) -> LLMResponder:
        client = client or openai.OpenAI(
            api_key=settings.openai_api_key or "unused-by-local-servers",
            base_url=settings.openai_base_url or None,
            timeout=settings.openai_timeout_seconds,
            max_retries=settings.openai_max_retries,
        )
        return cls(
            client,
            settings.openai_chat_model,
            company=settings.company_name,
            max_output_tokens=settings.llm_max_output_tokens,
            max_input_tokens=settings.llm_max_input_tokens,
            tokenizer=Tokenizer.from_settings(settings),
            temperature=settings.llm_temperature,
            # OpenAI's own API calls the cap max_completion_tokens; compatible servers (vLLM,
            # llama.cpp, Ollama) all know the older max_tokens.
            max_tokens_param="max_tokens" if settings.openai_base_url else "max_completion_tokens",
        )

    def respond(
        self,
        question: str,
        topic: str,
        passages: Sequence[Passage],
        history: Sequence[Exchange] = (),
        *,
        canary: str = "",
        safety_identifier: str = "",
        on_sentence: SentenceSink | None = None,
    ) -> Answer:
        """The reply is streamed: each finished sentence goes through `on_sentence` (by default
        kept as it is) as soon as it is complete; the answer is made of the sentences it kept."""
        prompt = build_prompt(
            company=self.company,
            intent_label=topic,
            question=question,
            passages=passages,
            history=history,
            canary=canary,
            max_input_tokens=self.max_input_tokens,
            tokenizer=self.tokenizer,
        )
        request: dict[str, Any] = {
            "model": self.model,
            "messages": prompt.messages,
            "temperature": self.temperature,
            self.max_tokens_param: self.max_output_tokens,
        }
        if safety_identifier:
            request["safety_identifier"] = safety_identifier
        return self._stream(request, on_sentence or _as_it_is)

    def _stream(self, request: dict[str, Any], on_sentence: SentenceSink) -> Answer:
        kept: list[str] = []
        buffer, model, finish, received, answering = "", self.model, None, False, False
        usage: dict[str, int] = {}
        try:
            # The usage arrives in a last chunk with no choices (OpenAI, vLLM, llama.cpp, Ollama).
            with self.client.chat.completions.create(
                **request, stream=True, stream_options={"include_usage": True}
            ) as stream:
                for chunk in stream:
                    model = chunk.model or model
                    if chunk.usage:
                        usage = {k: int(v) for k, v in chunk.usage.model_dump().items() if isinstance(v, int)}
                    if chunk.choices:
                        buffer += chunk.choices[0].delta.content or ""
                        finish = chunk.choices[0].finish_reason or finish
                        received = received or bool(buffer.strip())
                    if not answering:
                        if len(buffer.lstrip()) <= len(NOT_IN_KB) + 8 and not finish:
                            continue  # not yet known whether the model declines
                        if NOT_IN_KB in buffer.lstrip()[: len(NOT_IN_KB) + 8]:
                            return Answer("", model, not_in_kb=True)  # closing the stream stops generation
                        answering = True
                    buffer = _pass_finished(buffer, kept, on_sentence)
        except openai.APIError as err:  # timeouts, 429, 5xx, refused connections, bad keys
            raise LLMUnavailable(f"{type(err).__name__}: {err}") from err
        except StopAnswer:
            return Answer("", model, usage=usage)
        if not answering and NOT_IN_KB in buffer.lstrip()[: len(NOT_IN_KB) + 8]:
            return Answer("", model, not_in_kb=True, usage=usage)  # a short reply that ended without a finish reason
        if buffer.strip() and finish != "length":  # the last sentence; one the token cap cut off is dropped
            try:
                _keep(buffer, "", kept, on_sentence)
            except StopAnswer:
                return Answer("", model, usage=usage)
        # Nothing at all is the model declining; sentences all dropped by the screens are not.
        return Answer("".join(kept).strip(), model, not_in_kb=not received, usage=usage)


def _pass_finished(buffer: str, kept: list[str], on_sentence: SentenceSink) -> str:
    """Send each finished piece of the buffer through `on_sentence`; return the unfinished rest."""
    start = 0
    for end in _PIECE_END.finditer(buffer):
        gap = 1 if end.group(1) is not None else 2
        _keep(buffer[start : end.start(gap)], end.group(gap), kept, on_sentence)
        start = end.end(gap)
    return buffer[start:]


def _keep(piece: str, separator: str, kept: list[str], on_sentence: SentenceSink) -> None:
    if piece.strip() and (shown := on_sentence(piece.strip())) is not None:
        kept.append(shown + ("\n" if "\n" in separator else " "))


def _as_it_is(sentence: str) -> str:
    return sentence
