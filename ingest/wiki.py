"""Wiki-style Markdown (Obsidian, Foam and similar knowledge bases) to plain Markdown.

- `[[Page]]` becomes `Page`, `[[Page|text]]` becomes `text`, `[[Page#Heading]]` becomes
  `Page > Heading` (a link into a folder shows the page name only: `[[Billing/Plans]]` → `Plans`);
- embeds `![[image.png]]`, `![[Other page]]` are dropped: their content is not in this file;
- callouts `> [!note] Title` keep their title and text without the marker and the quote;
- `%% comments %%` (notes for editors) are dropped.

Fenced code blocks and inline code are left alone. Front matter (`draft: true`,
`publish: false`) is read by ingest.articles, before this runs.
"""

from __future__ import annotations

import re

_FENCE = re.compile(r"^\s*(```|~~~)")
_INLINE_CODE = re.compile(r"`[^`\n]+`")
_PROTECTED = re.compile(r"\x00(\d+)\x00")
_COMMENT = re.compile(r"%%[^%]*%%")
_EMBED = re.compile(r"!\[\[[^\]\n]*\]\]")
_LINK = re.compile(r"\[\[([^\]|\n]*)(?:\|([^\]\n]*))?\]\]")
_CALLOUT = re.compile(r"^(\s*)>\s?\[!([\w-]+)\][+-]?[ \t]*(.*)$")
_QUOTED = re.compile(r"^(\s*)>\s?(.*)$")


def to_markdown(text: str) -> str:
    """Convert the wiki syntax of one file; the rest of its Markdown is unchanged."""
    out: list[str] = []
    prose: list[str] = []
    in_code = False
    for line in text.splitlines(keepends=True):
        if _FENCE.match(line):
            if not in_code:
                out.append(_prose("".join(prose)))
                prose = []
            in_code = not in_code
            out.append(line)
        elif in_code:
            out.append(line)
        else:
            prose.append(line)
    out.append(_prose("".join(prose)))
    return "".join(out)


def _prose(text: str) -> str:
    spans: list[str] = []

    def protect(match: re.Match[str]) -> str:
        spans.append(match.group(0))
        return f"\x00{len(spans) - 1}\x00"

    text = _INLINE_CODE.sub(protect, text)
    text = _COMMENT.sub("", text)
    text = _EMBED.sub("", text)
    text = _LINK.sub(lambda m: (m.group(2) or "").strip() or _link_text(m.group(1)), text)
    text = _callouts(text)
    return _PROTECTED.sub(lambda m: spans[int(m.group(1))], text)


def _link_text(target: str) -> str:
    page, _, heading = target.partition("#")
    page = page.strip().rsplit("/", 1)[-1]
    heading = "" if heading.startswith("^") else heading.strip()  # ^block references
    return f"{page} > {heading}" if page and heading else page or heading


def _callouts(text: str) -> str:
    """Unwrap each callout: its title line, then its quoted lines without one level of '>'."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    i = 0
    while i < len(lines):
        start = _CALLOUT.match(lines[i].rstrip("\n"))
        if not start:
            out.append(lines[i])
            i += 1
            continue
        indent, title = start.group(1), start.group(3).strip()
        body: list[str] = [f"{indent}{title}\n"] if title else []
        i += 1
        while i < len(lines) and (quoted := _QUOTED.match(lines[i].rstrip("\n"))):
            body.append(f"{indent}{quoted.group(2)}\n")
            i += 1
        out.append(_callouts("".join(body)))  # a callout may hold another one
    return "".join(out)
