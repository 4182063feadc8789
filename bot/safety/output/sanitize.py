"""Output sanitising: the answer rebuilt from a Markdown parse (bot.markdown), so that it renders
no HTML, script or image, and links only to the KB articles and the URLs the passages give."""

from __future__ import annotations

from bot.markdown import safe_markdown, urls_in
from bot.safety.verdict import ScreenContext, Verdict


class SanitizeScreen:
    name = "sanitize"

    def check(self, text: str, context: ScreenContext) -> Verdict:
        allowed = set(context.allowed_urls)
        for passage in context.passages:  # a URL a cited passage writes out may be linked too
            allowed |= urls_in(passage.text)
        out, reasons = safe_markdown(text, allowed)
        return Verdict(self.name, True, out, reasons=reasons)
