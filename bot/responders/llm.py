"""The LLM responder: a chat model on OpenAI or any OpenAI-compatible server, tightly scoped.

Low temperature, output tokens capped, input fitted to a token budget (bot.responders.prompt),
the hashed `safety_identifier` on every request. Timeouts and retries with backoff are the
SDK's (`timeout`, `max_retries`). When the service fails (timeout, 429, 5xx, connection) it
raises `LLMUnavailable` and the pipeline answers extractively instead, with a note.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import openai

from bot.config import Settings
from bot.responders import Answer, Exchange
from bot.responders.prompt import NOT_IN_KB, build_prompt
from bot.retrieval import Passage

_SENTENCE_END = re.compile(r"[.!?](?:\s*\[\d{1,2}\])*(?=\s|$)")


class LLMUnavailable(RuntimeError):
    """The chat service failed; the message says how (for the record)."""


class LLMResponder:
    def __init__(
        self,
        client: Any,
        model: str,
        *,
        company: str,
        max_output_tokens: int,
        max_input_tokens: int,
        temperature: float,
        max_tokens_param: str = "max_completion_tokens",
    ) -> None:
        self.client = client
        self.model = model
        self.company = company
        self.max_output_tokens = max_output_tokens
        self.max_input_tokens = max_input_tokens
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
    ) -> Answer:
        prompt = build_prompt(
            company=self.company,
            intent_label=topic,
            question=question,
            passages=passages,
            history=history,
            canary=canary,
            max_input_tokens=self.max_input_tokens,
        )
        request: dict[str, Any] = {
            "model": self.model,
            "messages": prompt.messages,
            "temperature": self.temperature,
            self.max_tokens_param: self.max_output_tokens,
        }
        if safety_identifier:
            request["safety_identifier"] = safety_identifier
        try:
            response = self.client.chat.completions.create(**request)
        except openai.APIError as err:  # timeouts, 429, 5xx, refused connections, bad keys
            raise LLMUnavailable(f"{type(err).__name__}: {err}") from err
        choice = response.choices[0]
        text = (choice.message.content or "").strip()
        usage = response.usage.model_dump() if response.usage else {}
        usage = {k: int(v) for k, v in usage.items() if isinstance(v, int)}
        if NOT_IN_KB in text[: len(NOT_IN_KB) + 8] or not text:
            return Answer("", response.model or self.model, not_in_kb=True, usage=usage)
        if choice.finish_reason == "length":
            text = _whole_sentences(text)
        return Answer(text, response.model or self.model, usage=usage)


def _whole_sentences(text: str) -> str:
    """Drop the sentence the token cap cut off (all of it, when not one sentence was finished)."""
    ends = list(_SENTENCE_END.finditer(text))
    return text[: ends[-1].end()].strip() if ends else ""
