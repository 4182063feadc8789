"""The input chain's order: what OpenAI's moderation endpoint is sent (only OpenAI is faked, at
the HTTP transport, and the exact request is checked)."""

from __future__ import annotations

import json

import httpx
from openai import OpenAI

from bot.safety.chains import input_chain
from bot.safety.moderation import CATEGORIES, OpenAIModerator
from bot.safety.verdict import ScreenContext

QUESTION = (
    "Hi, my name is Jane Doe, card 4111 1111 1111 1111, CVC 737, email jane.doe@example.com, "
    "I live at 221B Baker Street, London NW1 6XE. Where is my refund?"
)
REDACTED = (
    "Hi, my name is [NAME REMOVED], card [CARD REMOVED], CVC [CVC REMOVED], email [EMAIL REMOVED], "
    "I live at [ADDRESS REMOVED], London [POSTCODE REMOVED]. Where is my refund?"
)


def moderation_response() -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "id": "modr-1",
            "model": "omni-moderation-2024-09-26",
            "results": [
                {
                    "flagged": False,
                    "categories": {c: False for c in CATEGORIES},
                    "category_scores": {c: 0.001 for c in CATEGORIES},
                    "category_applied_input_types": {c: ["text"] for c in CATEGORIES},
                }
            ],
        },
    )


def test_openai_moderation_is_sent_the_redacted_question_only() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return moderation_response()

    client = OpenAI(api_key="sk-test", max_retries=0, http_client=httpx.Client(transport=httpx.MockTransport(handler)))
    result = input_chain(OpenAIModerator(client)).run(QUESTION, ScreenContext(safety_identifier="ab" * 32))

    assert result.ok and result.text == REDACTED
    assert [v.screen for v in result.verdicts] == ["normalize", "limits", "pii", "moderation-in", "injection"]
    (request,) = seen
    assert str(request.url) == "https://api.openai.com/v1/moderations"
    assert json.loads(request.content) == {
        "model": "omni-moderation-latest",
        "input": REDACTED,
        "safety_identifier": "ab" * 32,
    }
    for raw in ("Jane", "4111", "737", "jane.doe", "Baker", "NW1"):
        assert raw.encode() not in request.content
