"""Citation validity: every [n] in an answer points at a passage that was actually retrieved."""

from __future__ import annotations

import re

from bot.safety.verdict import ScreenContext, Verdict

MARKER = re.compile(r"\[(\d{1,2})\]")


def cited_numbers(text: str) -> list[int]:
    return [int(n) for n in MARKER.findall(text)]


class CitationScreen:
    name = "citations"

    def __init__(self, require: bool = True) -> None:
        self.require = require  # a whole answer must cite; one streamed sentence need not

    def check(self, text: str, context: ScreenContext) -> Verdict:
        numbers = cited_numbers(text)
        invalid = sorted({n for n in numbers if not 1 <= n <= len(context.passages)})
        if invalid:
            return Verdict(
                self.name,
                False,
                text,
                reasons=(f"cites passages that were not retrieved: {invalid}",),
                scores={"invalid": float(len(invalid))},
            )
        if self.require and text.strip() and not numbers:
            return Verdict(self.name, False, text, reasons=("answer cites no passage",))
        return Verdict(self.name, True, text, scores={"citations": float(len(set(numbers)))})
