"""Llama Guard 3 as the moderator (`SAFEDESK_MODERATION=guard`), through an OpenAI-compatible server.

For operators who run Llama Guard 3 (1B or 8B) on vLLM, llama.cpp or Ollama. The prompt is the
model card's, sent whole to `/v1/completions`, so no chat template on the server can change it:
the user turn is judged alone, the assistant turn together with the question it answers. The
reply must be `safe`, or `unsafe` and a line of S-codes; anything else, an error or a time-out
fails closed (`ModerationUnavailable`), or falls back to the local moderator when configured.
S1-S14 map onto OpenAI's 13 categories (`CATEGORY_MAP`); a hazard with no counterpart there
(S6 specialised advice, S7 privacy, S8 intellectual property, S13 elections) still blocks.
"""

from __future__ import annotations

import re
from typing import Any

from bot.safety.moderation import CATEGORIES, ModerationResult, ModerationUnavailable, Moderator
from bot.safety.verdict import BLOCK, PASS

HAZARDS: dict[str, str] = {
    "S1": "Violent Crimes",
    "S2": "Non-Violent Crimes",
    "S3": "Sex Crimes",
    "S4": "Child Exploitation",
    "S5": "Defamation",
    "S6": "Specialized Advice",
    "S7": "Privacy",
    "S8": "Intellectual Property",
    "S9": "Indiscriminate Weapons",
    "S10": "Hate",
    "S11": "Self-Harm",
    "S12": "Sexual Content",
    "S13": "Elections",
    "S14": "Code Interpreter Abuse",
}

CATEGORY_MAP: dict[str, tuple[str, ...]] = {
    "S1": ("violence", "illicit/violent", "illicit"),
    "S2": ("illicit",),
    "S3": ("sexual", "illicit"),
    "S4": ("sexual/minors", "sexual"),
    "S5": ("harassment",),
    "S6": (),
    "S7": (),
    "S8": (),
    "S9": ("illicit/violent", "illicit", "violence"),
    "S10": ("hate",),
    "S11": ("self-harm",),
    "S12": ("sexual",),
    "S13": (),
    "S14": ("illicit",),
}

_CATEGORY_LINES = "\n".join(f"{code}: {name}." for code, name in HAZARDS.items())
_REPLY = re.compile(r"\A\s*(safe|unsafe)\s*(?:\n\s*(S\d{1,2}(?:\s*,\s*S\d{1,2})*)\s*)?\Z")


def guard_prompt(user: str, agent: str | None = None) -> str:
    """The Llama Guard 3 prompt judging `user` (the user turn), or `agent` (the assistant turn
    answering `user`), as the model card gives it (special tokens included)."""
    role = "User" if agent is None else "Agent"
    conversation = f"User: {user}" if agent is None else f"User: {user}\n\nAgent: {agent}"
    return (
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n"
        f"Task: Check if there is unsafe content in '{role}' messages in conversations according our safety "
        "policy with the below categories.\n\n"
        f"<BEGIN UNSAFE CONTENT CATEGORIES>\n{_CATEGORY_LINES}\n<END UNSAFE CONTENT CATEGORIES>\n\n"
        f"<BEGIN CONVERSATION>\n\n{conversation}\n\n<END CONVERSATION>\n\n"
        f"Provide your safety assessment for ONLY THE LAST {role} message in the above conversation:\n"
        " - First line must read 'safe' or 'unsafe'.\n"
        " - If unsafe, a second line must include a comma-separated list of violated categories."
        "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
    )


class GuardReplyError(ValueError):
    """The guard answered something other than `safe` or `unsafe\\nS...`."""


def parse_reply(reply: str, model: str) -> ModerationResult:
    match = _REPLY.match(reply)
    if not match:
        raise GuardReplyError(f"unexpected guard reply: {reply[:80]!r}")
    verdict, codes_line = match.groups()
    codes = [c.strip() for c in codes_line.split(",")] if codes_line else []
    if (verdict == "safe" and codes) or any(c not in HAZARDS for c in codes):
        raise GuardReplyError(f"unexpected guard reply: {reply[:80]!r}")
    hit = {category for code in codes for category in CATEGORY_MAP[code]}
    unsafe = verdict == "unsafe"
    return ModerationResult(
        flagged=unsafe,
        categories={c: c in hit for c in CATEGORIES},
        category_scores={c: 1.0 if c in hit else 0.0 for c in CATEGORIES},
        category_applied_input_types={c: ["text"] for c in CATEGORIES},
        model=model,
        outcome=BLOCK if unsafe else PASS,
        reasons=tuple(f"guard: {code} {HAZARDS[code]}" for code in codes) or (f"guard: {verdict}",),
    )


class GuardModerator:
    """Llama Guard 3 over an OpenAI client pointed at SAFEDESK_GUARD_BASE_URL (time-outs and
    retries are the client's). `request_options` are extra body fields for the server."""

    def __init__(
        self,
        client: Any,
        model: str,
        fallback: Moderator | None = None,
        max_tokens: int = 20,
        request_options: dict[str, Any] | None = None,
    ) -> None:
        self.client = client
        self.model = model
        self.model_id = f"guard:{model}"
        self.fallback = fallback
        self.max_tokens = max_tokens
        self.request_options = request_options or {}

    @classmethod
    def from_settings(cls, settings: Any, fallback: Moderator | None) -> GuardModerator:
        import openai

        client = openai.OpenAI(
            base_url=settings.guard_base_url,
            api_key=settings.guard_api_key or "none",  # local servers take any key
            timeout=settings.guard_timeout_seconds,
            max_retries=settings.openai_max_retries,
        )
        return cls(client, settings.guard_model, fallback)

    def moderate(self, text: str, safety_identifier: str = "") -> ModerationResult:
        """The user turn."""
        return self._judge(guard_prompt(text), text, safety_identifier)

    def moderate_answer(self, answer: str, question: str, safety_identifier: str = "") -> ModerationResult:
        """The assistant turn, with the question it answers."""
        return self._judge(guard_prompt(question, answer), answer, safety_identifier)

    def _judge(self, prompt: str, text: str, safety_identifier: str) -> ModerationResult:
        import openai

        try:
            response = self.client.completions.create(
                model=self.model,
                prompt=prompt,
                max_tokens=self.max_tokens,
                temperature=0.0,
                user=safety_identifier or openai.NOT_GIVEN,
                extra_body=self.request_options or None,
            )
            return parse_reply(response.choices[0].text or "", self.model_id)
        except (openai.APIError, GuardReplyError) as err:  # APIError covers time-outs and connection errors
            if self.fallback is None:
                raise ModerationUnavailable(f"guard moderation failed: {err}") from err
            result = self.fallback.moderate(text, safety_identifier)
            return ModerationResult(
                result.flagged,
                result.categories,
                result.category_scores,
                result.category_applied_input_types,
                result.model,
                result.outcome,
                (*result.reasons, f"guard failed, fell back: {type(err).__name__}"),
            )
