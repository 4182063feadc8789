"""Leakage: the system prompt's canary, secrets and personal data, internal ids.

Personal data that the cited KB passages themselves contain (a support phone number, say) is
allowed; anything else is redacted, and a canary or secret blocks the answer.
"""

from __future__ import annotations

import re

from bot.safety.input.pii import find_pii
from bot.safety.verdict import ScreenContext, Verdict

_INTERNAL = re.compile(r"\b[\w./-]+::[0-9a-f]{16}::\d+\b|content_hash|safety_identifier|SAFEDESK_\w+|OPENAI_API_KEY")


class LeakageScreen:
    name = "leakage"

    def check(self, text: str, context: ScreenContext) -> Verdict:
        if context.canary and context.canary in text:
            return Verdict(self.name, False, text, reasons=("system prompt canary in the answer",))
        internal = _INTERNAL.search(text)
        if internal:
            return Verdict(self.name, False, text, reasons=(f"internal identifier in the answer: {internal.group(0)}",))
        sources = " ".join(str(getattr(p, "text", "")) for p in context.passages)
        reasons: list[str] = []
        out, last, parts = text, 0, []
        for kind, start, end in find_pii(text):
            value = text[start:end]
            if value in sources:
                continue
            if kind == "secret":
                return Verdict(self.name, False, text, reasons=("a secret or credential in the answer",))
            parts.append(text[last:start])
            parts.append(f"[{kind.upper()} REMOVED]")
            reasons.append(f"redacted {kind} not found in the sources")
            last = end
        if parts:
            parts.append(text[last:])
            out = "".join(parts)
        return Verdict(self.name, True, out, reasons=tuple(reasons))
