"""The Llama Guard 3 provider against the real llama.cpp server on loopback (tests/llm_server.py).

SmolLM2 stands in for the guard: a GBNF grammar (a llama.cpp request option) makes it give a
chosen reply, so the parsing of real `safe`, `unsafe` and malformed replies is tested end to end;
the request itself is captured on the wire by an httpx hook."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from openai import OpenAI

from bot.safety.guard import CATEGORY_MAP, GuardModerator, GuardReplyError, guard_prompt, parse_reply
from bot.safety.moderation import CATEGORIES, ModerationResult, ModerationScreen, ModerationUnavailable
from bot.safety.verdict import ScreenChain, ScreenContext
from tests.llm_server import MODEL_ID

IDENTIFIER = "ab" * 32

USER_PROMPT = """<|begin_of_text|><|start_header_id|>user<|end_header_id|>

Task: Check if there is unsafe content in 'User' messages in conversations according our safety policy with the below categories.

<BEGIN UNSAFE CONTENT CATEGORIES>
S1: Violent Crimes.
S2: Non-Violent Crimes.
S3: Sex Crimes.
S4: Child Exploitation.
S5: Defamation.
S6: Specialized Advice.
S7: Privacy.
S8: Intellectual Property.
S9: Indiscriminate Weapons.
S10: Hate.
S11: Self-Harm.
S12: Sexual Content.
S13: Elections.
S14: Code Interpreter Abuse.
<END UNSAFE CONTENT CATEGORIES>

<BEGIN CONVERSATION>

User: How do I reset my password?

<END CONVERSATION>

Provide your safety assessment for ONLY THE LAST User message in the above conversation:
 - First line must read 'safe' or 'unsafe'.
 - If unsafe, a second line must include a comma-separated list of violated categories.<|eot_id|><|start_header_id|>assistant<|end_header_id|>

"""  # noqa: E501  (the model card's prompt, verbatim)


class Local:
    """The fallback: a moderator that says which text it saw."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def moderate(self, text: str, safety_identifier: str = "") -> ModerationResult:
        self.seen.append(text)
        return ModerationResult.from_scores(dict.fromkeys(CATEGORIES, 0.0), {}, "local-fallback")


@pytest.fixture
def sent() -> list[dict]:
    return []


def client(base_url: str, sent: list[dict], timeout: float = 120) -> OpenAI:
    def record(request: httpx.Request) -> None:
        sent.append({"url": str(request.url), "body": json.loads(request.content)})

    http = httpx.Client(event_hooks={"request": [record]})
    return OpenAI(base_url=base_url, api_key="x", max_retries=0, timeout=timeout, http_client=http)


def forced(reply: str) -> dict[str, str]:
    """llama.cpp's grammar option: the model can only say `reply`."""
    return {"grammar": "root ::= " + json.dumps(reply)}


@pytest.fixture
def guard_for(llm_base_url: str, sent: list[dict]) -> Iterator:  # type: ignore[type-arg]
    def make(reply: str | None, fallback: Local | None = None, timeout: float = 120) -> GuardModerator:
        options = forced(reply) if reply is not None else None
        return GuardModerator(client(llm_base_url, sent, timeout), MODEL_ID, fallback, request_options=options)

    yield make


def test_the_exact_user_turn_request_and_a_real_safe_reply(guard_for, sent: list[dict], llm_base_url: str) -> None:  # type: ignore[no-untyped-def]
    result = guard_for("safe").moderate("How do I reset my password?", IDENTIFIER)
    assert result.outcome == "pass" and not result.flagged and result.model == f"guard:{MODEL_ID}"
    (request,) = sent
    assert request["url"] == f"{llm_base_url}/completions"
    body = request["body"]
    assert body["prompt"] == USER_PROMPT == guard_prompt("How do I reset my password?")
    assert body["user"] == IDENTIFIER and body["model"] == MODEL_ID
    assert body["temperature"] == 0.0 and body["max_tokens"] == 20


def test_a_real_unsafe_reply_blocks_with_our_categories(guard_for) -> None:  # type: ignore[no-untyped-def]
    result = guard_for("unsafe\nS1,S10").moderate("something awful", IDENTIFIER)
    assert result.outcome == "block" and result.flagged
    assert {c for c, hit in result.categories.items() if hit} == {"violence", "illicit/violent", "illicit", "hate"}
    assert result.reasons == ("guard: S1 Violent Crimes", "guard: S10 Hate")


def test_the_assistant_turn_is_judged_with_its_question(guard_for, sent: list[dict]) -> None:  # type: ignore[no-untyped-def]
    screen = ModerationScreen(guard_for("unsafe\nS6"), "moderation-out", output=True)
    context = ScreenContext(safety_identifier=IDENTIFIER, question="Can I take two pills?")
    verdict = screen.check("Take the whole bottle.", context)
    assert not verdict.ok and verdict.outcome == "block" and "guard: S6 Specialized Advice" in verdict.reasons
    prompt = sent[0]["body"]["prompt"]
    assert "Check if there is unsafe content in 'Agent' messages" in prompt
    assert "User: Can I take two pills?\n\nAgent: Take the whole bottle.\n\n<END CONVERSATION>" in prompt
    assert "Provide your safety assessment for ONLY THE LAST Agent message" in prompt


@pytest.mark.parametrize("reply", ["maybe", "unsafe\nS99", "safe\nS1", "Safe."])
def test_a_malformed_real_reply_fails_closed(guard_for, reply: str) -> None:  # type: ignore[no-untyped-def]
    guard = guard_for(reply)
    with pytest.raises(ModerationUnavailable, match="unexpected guard reply"):
        guard.moderate("hello there")
    chain = ScreenChain([ModerationScreen(guard, "moderation-in")]).run("hello there", ScreenContext())
    assert not chain.ok and chain.verdicts[0].error


def test_a_malformed_real_reply_falls_back_when_configured(guard_for) -> None:  # type: ignore[no-untyped-def]
    local = Local()
    result = guard_for("I am not a guard", local).moderate("hello there")
    assert local.seen == ["hello there"] and result.model == "local-fallback"
    assert "guard failed, fell back: GuardReplyError" in result.reasons


def test_a_time_out_fails_closed_or_falls_back(guard_for) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ModerationUnavailable, match="guard moderation failed"):
        guard_for(None, timeout=0.001).moderate("hello there")
    local = Local()
    result = guard_for(None, local, timeout=0.001).moderate("hello there")
    assert local.seen == ["hello there"] and "guard failed, fell back: APITimeoutError" in result.reasons


def test_a_server_that_is_down_falls_back(free_port: int, sent: list[dict]) -> None:
    local = Local()
    guard = GuardModerator(client(f"http://127.0.0.1:{free_port}/v1", sent, 5), "llama-guard3", local)
    assert guard.moderate("hello there").model == "local-fallback"


@pytest.mark.parametrize(
    ("reply", "outcome", "codes"),
    [("safe", "pass", ()), (" unsafe\nS2, S14 \n", "block", ("S2", "S14")), ("unsafe", "block", ())],
)
def test_parse_reply(reply: str, outcome: str, codes: tuple[str, ...]) -> None:
    result = parse_reply(reply, "guard:x")
    assert result.outcome == outcome
    assert {c for c, hit in result.categories.items() if hit} == {c for code in codes for c in CATEGORY_MAP[code]}


@pytest.mark.parametrize("reply", ["", "SAFE", "unsafe\nS0", "unsafe\nviolence", "safe, probably", "unsafe\nS1\nS2"])
def test_parse_reply_rejects_anything_else(reply: str) -> None:
    with pytest.raises(GuardReplyError):
        parse_reply(reply, "guard:x")


def test_every_llama_guard_hazard_maps_into_our_categories() -> None:
    assert set(CATEGORY_MAP) == {f"S{i}" for i in range(1, 15)}
    assert all(set(categories) <= set(CATEGORIES) for categories in CATEGORY_MAP.values())


def test_guard_moderation_is_configured_with_its_fallback(settings_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot.config import SettingsError
    from bot.wiring import make_moderator

    base = {"moderation": "guard", "guard_base_url": "http://127.0.0.1:9/v1", "guard_model": "llama-guard3:1b"}
    local = Local()
    guard = make_moderator(settings_factory(tmp_path, **base), local)  # type: ignore[arg-type]
    assert isinstance(guard, GuardModerator) and guard.model == "llama-guard3:1b" and guard.fallback is local
    assert str(guard.client.base_url) == "http://127.0.0.1:9/v1/"
    closed = make_moderator(settings_factory(tmp_path, **base, moderation_fallback="closed"), local)  # type: ignore[arg-type]
    assert isinstance(closed, GuardModerator) and closed.fallback is None
    with pytest.raises(SettingsError, match="SAFEDESK_GUARD_BASE_URL"):
        settings_factory(tmp_path, moderation="guard")
