"""Output sanitising: no raw HTML or script, no images, links only to KB article URLs."""

from __future__ import annotations

import re

from bot.safety.verdict import ScreenContext, Verdict

_BLOCKS = re.compile(r"<(script|style|iframe|object|embed|svg|math)\b.*?(?:</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REF_DEF = re.compile(r"^\s*\[[^\]]+\]:\s*\S+.*$", re.MULTILINE)
_AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")
_BARE_URL = re.compile(r"(?<![(\[<])\bhttps?://[^\s)\]>]+")


class SanitizeScreen:
    name = "sanitize"

    def check(self, text: str, context: ScreenContext) -> Verdict:
        allowed = {u.rstrip("/") for u in context.allowed_urls}
        reasons: list[str] = []

        def note(reason: str) -> None:
            if reason not in reasons:
                reasons.append(reason)

        def keep_link(match: re.Match[str]) -> str:
            label, url = match.group(1), match.group(2)
            if url.rstrip("/") in allowed:
                return match.group(0)
            note("removed link to a URL outside the KB")
            return label

        def bare(match: re.Match[str]) -> str:
            if match.group(0).rstrip("/.,;") in allowed:
                return match.group(0)
            note("removed URL outside the KB")
            return "[link removed]"

        out = text
        for pattern, reason, repl in (
            (_BLOCKS, "removed script/embedded content", ""),
            (_IMAGE, "removed image", r"\1"),
            (_REF_DEF, "removed reference-style link", ""),
        ):
            out, n = pattern.subn(repl, out)
            if n:
                note(reason)
        out = _AUTOLINK.sub(lambda m: m.group(1), out)
        out = _LINK.sub(keep_link, out)
        out = _BARE_URL.sub(bare, out)
        out, n = _TAG.subn("", out)
        if n:
            note("removed HTML tags")
        return Verdict(self.name, True, out.strip(), reasons=tuple(reasons))
