"""Which screens run, and in which order, comes from the settings (a rails configuration); and what
OpenAI's moderation endpoint is sent (only OpenAI is faked, at the HTTP transport, and the exact
request is checked)."""

from __future__ import annotations

import json

import httpx
import pytest
from openai import OpenAI

from bot.config import INPUT_SCREENS, OUTPUT_SCREENS, Settings, SettingsError, load_settings
from bot.embedding import local_embedder
from bot.safety.chains import input_chain, output_chain, stream_screens
from bot.safety.classifiers.local_moderator import LocalModerator
from bot.safety.moderation import CATEGORIES, OpenAIModerator
from bot.safety.verdict import ScreenChain, ScreenContext


def names(chain: ScreenChain) -> list[str]:
    return [screen.name for screen in chain.screens]


@pytest.fixture(scope="module")
def moderator() -> LocalModerator:
    return LocalModerator(local_embedder())


def test_the_default_chains_run_in_the_designed_order(settings: Settings, moderator: LocalModerator) -> None:
    embedder = moderator.model.embedder
    assert names(input_chain(settings, moderator)) == list(INPUT_SCREENS)
    assert names(input_chain(settings, moderator)) == ["normalize", "limits", "pii", "moderation-in", "injection"]
    assert names(output_chain(settings, moderator, embedder)) == list(OUTPUT_SCREENS)
    streamed = stream_screens(settings, moderator, embedder)
    assert names(streamed.sentence) == ["leakage", "citations", "groundedness", "sanitize"]
    assert names(streamed.moderation) == ["moderation-out"]
    assert names(streamed.whole) == ["groundedness", "leakage", "citations", "sanitize"]


def test_the_settings_choose_the_screens_and_their_order(
    settings: Settings, moderator: LocalModerator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFEDESK_INPUT_SCREENS", "pii, normalize")
    monkeypatch.setenv("SAFEDESK_OUTPUT_SCREENS", "sanitize,citations")
    custom = load_settings(env_file=None, data_dir=settings.data_dir)
    embedder = moderator.model.embedder
    chain = input_chain(custom, moderator)
    assert names(chain) == ["pii", "normalize"]
    result = chain.run("mail me at a\u200bb@example.com", ScreenContext())
    assert result.ok and [v.screen for v in result.verdicts] == ["pii", "normalize"]
    assert names(output_chain(custom, moderator, embedder)) == ["sanitize", "citations"]
    streamed = stream_screens(custom, moderator, embedder)
    assert names(streamed.sentence) == ["citations", "sanitize"] and not streamed.moderation.screens
    assert names(streamed.whole) == ["sanitize", "citations"]


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SAFEDESK_INPUT_SCREENS", "normalize,spellcheck", "unknown screen(s) spellcheck"),
        ("SAFEDESK_OUTPUT_SCREENS", "pii", "unknown screen(s) pii"),
        ("SAFEDESK_OUTPUT_SCREENS", "leakage,leakage", "named twice"),
    ],
)
def test_an_unknown_or_repeated_screen_stops_the_program_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as err:
        load_settings(env_file=None)
    assert variable in str(err.value) and message in str(err.value)


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


def test_openai_moderation_is_sent_the_redacted_question_only(settings: Settings) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return moderation_response()

    client = OpenAI(api_key="sk-test", max_retries=0, http_client=httpx.Client(transport=httpx.MockTransport(handler)))
    result = input_chain(settings, OpenAIModerator(client)).run(QUESTION, ScreenContext(safety_identifier="ab" * 32))

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
