import json

import httpx
import pytest
from openai import OpenAI

from bot.safety.moderation import (
    CATEGORIES,
    ModerationResult,
    ModerationScreen,
    ModerationUnavailable,
    OpenAIModerator,
)
from bot.safety.verdict import ScreenChain, ScreenContext


def openai_payload(flag: str | None) -> dict:
    scores = {c: (0.97 if c == flag else 0.001) for c in CATEGORIES}
    return {
        "id": "modr-1",
        "model": "omni-moderation-2024-09-26",
        "results": [
            {
                "flagged": flag is not None,
                "categories": {c: c == flag for c in CATEGORIES},
                "category_scores": scores,
                "category_applied_input_types": {c: ["text"] for c in CATEGORIES},
            }
        ],
    }


def client_with(responses: list[httpx.Response], seen: list[httpx.Request], retries: int = 0) -> OpenAI:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return responses.pop(0)

    return OpenAI(
        api_key="sk-test",
        base_url="https://api.openai.test/v1",
        max_retries=retries,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )


class FixedModerator:
    def __init__(self, flag: str | None) -> None:
        self.flag = flag

    def moderate(self, text: str, safety_identifier: str = "") -> ModerationResult:
        scores = {c: 0.9 if c == self.flag else 0.0 for c in CATEGORIES}
        return ModerationResult.from_scores(scores, {}, "local-test")


def test_the_exact_request_carries_model_input_and_safety_identifier() -> None:
    seen: list[httpx.Request] = []
    client = client_with([httpx.Response(200, json=openai_payload("violence"))], seen)
    result = OpenAIModerator(client).moderate("I will hurt them", safety_identifier="ab" * 32)
    assert len(seen) == 1
    assert str(seen[0].url) == "https://api.openai.test/v1/moderations"
    assert json.loads(seen[0].content) == {
        "model": "omni-moderation-latest",
        "input": "I will hurt them",
        "safety_identifier": "ab" * 32,
    }
    assert result.flagged and result.categories["violence"] and not result.categories["hate"]
    assert set(result.category_scores) == set(CATEGORIES) and result.category_scores["violence"] == 0.97
    assert result.category_applied_input_types["violence"] == ["text"]
    assert result.model == "omni-moderation-2024-09-26"


def test_server_errors_are_retried() -> None:
    seen: list[httpx.Request] = []
    responses = [httpx.Response(500), httpx.Response(200, json=openai_payload(None))]
    result = OpenAIModerator(client_with(responses, seen, retries=2)).moderate("hello")
    assert len(seen) == 2 and not result.flagged


def test_failure_falls_back_to_the_local_moderator() -> None:
    seen: list[httpx.Request] = []
    client = client_with([httpx.Response(503)], seen)
    result = OpenAIModerator(client, fallback=FixedModerator("hate")).moderate("x")
    assert result.model == "local-test" and result.categories["hate"]


def test_failure_without_fallback_fails_the_turn_closed() -> None:
    seen: list[httpx.Request] = []
    moderator = OpenAIModerator(client_with([httpx.Response(500)], seen))
    with pytest.raises(ModerationUnavailable):
        moderator.moderate("x")
    chain = ScreenChain([ModerationScreen(moderator)]).run("hello there", ScreenContext())
    assert not chain.ok and chain.verdicts[0].error


def test_the_screen_blocks_flagged_text_and_keeps_scores() -> None:
    verdict = ModerationScreen(FixedModerator("self-harm/intent")).check("some text", ScreenContext())
    assert not verdict.ok and "flagged: self-harm/intent" in verdict.reasons
    assert verdict.scores["self-harm/intent"] == 0.9 and verdict.user_message
    assert ModerationScreen(FixedModerator(None)).check("where is my order", ScreenContext()).ok


class OutcomeModerator:
    def __init__(self, outcome: str) -> None:
        self.outcome = outcome

    def moderate(self, text: str, safety_identifier: str = "") -> ModerationResult:
        flagged = self.outcome != "pass"
        scores = dict.fromkeys(CATEGORIES, 0.5)
        flags = {c: flagged and c == "hate" for c in CATEGORIES}
        return ModerationResult(flagged, flags, scores, {c: ["text"] for c in CATEGORIES}, "t", self.outcome)


@pytest.mark.parametrize(
    ("outcome", "ok_in", "ok_out"), [("pass", True, True), ("review", True, False), ("block", False, False)]
)
def test_review_lets_a_question_on_but_stops_an_answer(outcome: str, ok_in: bool, ok_out: bool) -> None:
    moderator = OutcomeModerator(outcome)
    verdict_in = ModerationScreen(moderator, "moderation-in").check("is this fine", ScreenContext())
    verdict_out = ModerationScreen(moderator, "moderation-out", output=True).check("is it", ScreenContext())
    assert (verdict_in.ok, verdict_out.ok) == (ok_in, ok_out)
    assert verdict_in.outcome == verdict_out.outcome == outcome and f"outcome: {outcome}" in verdict_in.reasons
    assert bool(verdict_in.user_message) is not ok_in
    chain = ScreenChain([ModerationScreen(moderator, "moderation-in")]).run("is this fine", ScreenContext())
    assert chain.review is (outcome == "review")


def test_a_binary_moderators_flag_is_a_block() -> None:
    result = FixedModerator("hate").moderate("x")
    assert result.outcome == "" and result.decision == "block"


def test_noise_is_never_sent_to_the_moderator() -> None:
    verdict = ModerationScreen(FixedModerator("hate")).check("aaa", ScreenContext())
    assert verdict.ok and verdict.outcome == "pass" and verdict.reasons == ("noise: no word to moderate",)
