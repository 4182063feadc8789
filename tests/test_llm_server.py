"""The real test LLM server (tests/llm_server.py) answers OpenAI chat completions, plain and streamed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from openai import OpenAI

from tests.llm_server import MODEL_ID

MESSAGES = [
    {"role": "system", "content": "You are a customer-support assistant."},
    {"role": "user", "content": "How do I reset my password?"},
]


@pytest.fixture(scope="module")
def llm(llm_base_url: str) -> Iterator[OpenAI]:
    client = OpenAI(base_url=llm_base_url, api_key="x", max_retries=0, timeout=60)
    yield client
    client.close()


def test_completion_is_text_and_respects_max_tokens(llm: OpenAI) -> None:
    resp = llm.chat.completions.create(
        model=MODEL_ID, messages=MESSAGES, max_tokens=8, temperature=0, extra_body={"safety_identifier": "abc"}
    )
    choice = resp.choices[0]
    assert (choice.message.content or "").strip()
    assert resp.usage is not None
    assert choice.finish_reason == "length" or resp.usage.completion_tokens <= 8


def test_streamed_completion_concatenates_to_text(llm: OpenAI) -> None:
    stream = llm.chat.completions.create(model=MODEL_ID, messages=MESSAGES, max_tokens=16, temperature=0, stream=True)
    chunks = [chunk for chunk in stream if chunk.choices]
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
    assert len(chunks) > 1
    assert text.strip()
