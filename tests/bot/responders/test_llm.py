"""The LLM responder against a real OpenAI-compatible server on loopback (llama.cpp serving
SmolLM2-135M-Instruct, see tests/llm_server.py): the real HTTP path, token caps, timeouts, and
the output screens catching what a 135M model invents."""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from openai import OpenAI

from bot.config import Settings
from bot.embedding import local_embedder
from bot.identity import User, safety_identifier, server_secret
from bot.kb.retrieval import Passage
from bot.pipeline import LLM_FALLBACK_NOTE, REPLACED_NOTE, Pipeline
from bot.responders.llm import LLMResponder
from bot.safety.output.grounding import GroundednessScreen
from bot.safety.verdict import ScreenContext
from bot.turn import Decision, Turn
from bot.wiring import build_pipeline
from ingest import cli
from tests.llm_server import MODEL_ID

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
QUESTIONS = [
    ("which credit cards can I pay with?", "billing"),
    ("how long does standard delivery take?", "shipping"),
    ("I forgot my password, what do I do?", "account"),
]


@pytest.fixture(scope="module")
def kb(settings_factory, tmp_path_factory, llm_base_url: str) -> Settings:  # type: ignore[no-untyped-def]
    settings = settings_factory(
        tmp_path_factory.mktemp("llm") / "data",
        answer_mode="llm",
        openai_base_url=llm_base_url,
        openai_api_key="local",
        openai_chat_model=MODEL_ID,
        llm_max_output_tokens=48,
        openai_max_retries=0,
        openai_timeout_seconds=60,
    )
    assert cli.main([str(FIXTURES / "kb" / "articles"), "--quiet"], settings) == 0
    return settings


class Wire:
    """Every request body and response body that crossed the real HTTP connection."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.responses: list[dict] = []

    def client(self, settings: Settings) -> OpenAI:
        def on_request(request: httpx.Request) -> None:
            self.requests.append({"url": str(request.url), "body": json.loads(request.content)})

        def on_response(response: httpx.Response) -> None:
            response.read()
            kind = response.headers.get("content-type", "")
            if kind.startswith("application/json"):
                self.responses.append(response.json())
            elif kind.startswith("text/event-stream"):
                self.responses.append(assembled(response.text))

        return OpenAI(
            base_url=settings.openai_base_url,
            api_key=settings.openai_api_key,
            max_retries=settings.openai_max_retries,
            timeout=settings.openai_timeout_seconds,
            http_client=httpx.Client(event_hooks={"request": [on_request], "response": [on_response]}),
        )


def assembled(events: str) -> dict:
    """A streamed reply put together in the shape of a plain one: content, finish reason, usage."""
    content, finish, usage = "", None, None
    for line in events.splitlines():
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        chunk = json.loads(line.removeprefix("data: "))
        for choice in chunk.get("choices") or []:
            content += (choice.get("delta") or {}).get("content") or ""
            finish = choice.get("finish_reason") or finish
        usage = chunk.get("usage") or usage
    return {"choices": [{"message": {"content": content}, "finish_reason": finish}], "usage": usage}


def llm_pipeline(settings: Settings, wire: Wire) -> Pipeline:
    return build_pipeline(settings, responder=LLMResponder.from_settings(settings, wire.client(settings)))


def supported_as_shown(turn: Turn, pipeline: Pipeline) -> bool:
    """Re-check the answer the user sees against the articles it cites: nothing unsupported."""
    retrieved = pipeline.stages.retriever.search(turn.question, turn.intent)
    by_article = []
    for citation in turn.citations:
        parts = [p for p in retrieved if p.article_id == citation.article_id]
        by_article.append(replace(parts[0], text="\n".join(p.text for p in parts)))
    verdict = GroundednessScreen(local_embedder()).check(turn.answer, ScreenContext(passages=by_article))
    return verdict.ok and verdict.text == turn.answer


@pytest.mark.parametrize(("question", "intent"), QUESTIONS)
def test_real_model_turns_are_capped_identified_streamed_and_only_grounded_text_is_shown(
    kb: Settings, question: str, intent: str
) -> None:
    wire = Wire()
    pipeline = llm_pipeline(kb, wire)
    shown: list[str] = []
    turn = pipeline.run(question, intent, User("oidc-sub-7"), on_text=shown.append)

    (request,) = wire.requests
    assert request["url"] == kb.openai_base_url + "/chat/completions"
    body = request["body"]
    assert body["max_tokens"] == 48 and body["temperature"] == kb.llm_temperature
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["safety_identifier"] == safety_identifier(server_secret(kb), "oidc-sub-7")
    assert body["messages"][0]["role"] == "system" and '<passage number="1"' in body["messages"][-1]["content"]
    (response,) = wire.responses
    assert response["usage"]["completion_tokens"] <= 48

    # What was shown only ever grew; the turn ends as what was shown, or as a quote.
    assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(shown))
    assert turn.decision in (Decision.ANSWERED, Decision.NOT_IN_KB), turn.to_dict()
    if turn.decision is Decision.ANSWERED:
        assert turn.citations and supported_as_shown(turn, pipeline), turn.answer
        if turn.model == MODEL_ID:  # the model's own sentences survived: the turn is what was shown
            assert shown and shown[-1] == turn.answer
        else:  # nothing the model said survived the screens, or the whole failed: quoted instead
            assert turn.model == "extractive" and REPLACED_NOTE in turn.notes


def test_a_timeout_on_the_real_server_falls_back_to_the_extractive_answer(kb: Settings) -> None:
    slow = kb.model_copy(update={"openai_timeout_seconds": 0.001})
    turn = llm_pipeline(slow, Wire()).run(*QUESTIONS[0], User("u"))
    assert turn.decision is Decision.ANSWERED and turn.model == "extractive"
    assert LLM_FALLBACK_NOTE in turn.notes
    assert any(v.screen == "responder" and "Timeout" in v.reasons[0] for v in turn.verdicts)


def test_a_tight_token_cap_cuts_to_whole_sentences(kb: Settings) -> None:
    wire = Wire()
    responder = LLMResponder.from_settings(kb.model_copy(update={"llm_max_output_tokens": 16}), wire.client(kb))
    passage = Passage(
        "c::0",
        "a",
        "Delivery times",
        "https://kb.example/a",
        "",
        "Standard delivery takes 3 to 5 working days within the EU. Express delivery arrives the next working day.",
        0.6,
        0.6,
        0.5,
    )
    answer = responder.respond("Explain all delivery options in detail.", "Orders and shipping", [passage])
    assert wire.responses[0]["usage"]["completion_tokens"] <= 16
    if wire.responses[0]["choices"][0]["finish_reason"] == "length":
        raw = wire.responses[0]["choices"][0]["message"]["content"]
        assert answer.text == "" or re.search(r"[.!?](\s*\[\d+\])*$", answer.text), (raw, answer.text)
        assert " ".join(raw.split()).startswith(" ".join(answer.text.split()))
    assert answer.usage["completion_tokens"] == wire.responses[0]["usage"]["completion_tokens"]
