"""Length limits on user input: characters first (cheap), then tokens (tiktoken)."""

from __future__ import annotations

from bot.safety.verdict import ScreenContext, Verdict
from bot.tokens import Tokenizer


class LengthScreen:
    name = "limits"

    def __init__(self, max_chars: int, max_tokens: int, tokenizer: Tokenizer) -> None:
        self.max_chars = max_chars
        self.max_tokens = max_tokens
        self.tokenizer = tokenizer

    def check(self, text: str, context: ScreenContext) -> Verdict:
        if not text.strip():
            return Verdict(self.name, False, text, reasons=("empty",), user_message="Please type a question.")
        chars = len(text)
        if chars > self.max_chars:
            return Verdict(
                self.name,
                False,
                text,
                scores={"chars": chars},
                reasons=(f"{chars} characters > {self.max_chars}",),
                user_message=f"Your message is too long ({chars} characters). Please keep it under "
                f"{self.max_chars} characters, about one question at a time.",
            )
        tokens = self.tokenizer.count(text)
        if tokens > self.max_tokens:
            return Verdict(
                self.name,
                False,
                text,
                scores={"chars": chars, "tokens": tokens},
                reasons=(f"{tokens} tokens > {self.max_tokens}",),
                user_message="Your message is too long. Please shorten it to one question at a time.",
            )
        return Verdict(self.name, True, text, scores={"chars": chars, "tokens": tokens})
