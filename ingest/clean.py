"""Turn a help-centre file (Markdown, MDX, HTML or text) into clean, readable Markdown.

Kept: headings, paragraphs, lists, tables, short code blocks, link text and
image alt text. Stripped: front matter (read separately), MDX import/export
lines, JSX and HTML tags, `<head>`/`<script>`/`<style>` blocks, comments,
template macros and admonition markers.
"""

from __future__ import annotations

import html
import re

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ingest.spans import sub_spans

MAX_CODE_LINES = 15  # longer code blocks are noise to a support answer
CODE_PLACEHOLDER = "(A code example is shown in the full article.)"
MAX_TAG_CHARS = 5000  # a JSX tag's attributes may hold code, but not more than this

_FENCE = re.compile(r"^\s*(```|~~~)")
# Spans removed whole, from an opening to its closing (ingest.spans: linear, unlike `.*?`).
_BLOCK_OPEN = re.compile(r"<(head|script|style)\b", re.IGNORECASE)
_COMMENTS = ((re.compile("<!--"), re.compile("-->")), (re.compile(r"\{/\*"), re.compile(r"\*/\}")))
_MACROS = ((re.compile(r"\{\{"), re.compile(r"\}\}")), (re.compile(r"\{%"), re.compile(r"%\}")))
_CODE_OPEN, _CODE_CLOSE = re.compile("<code>", re.IGNORECASE), re.compile("</code>", re.IGNORECASE)
_MDX_STATEMENT = re.compile(r"^(import|export)\s.+$", re.MULTILINE)
_ADMONITION = re.compile(r"^\s*:::\s*([a-zA-Z]+)?\s*(.*)$")
# Links and images are found by a CommonMark parser (labels nest brackets; references live
# elsewhere); escapes and entities are kept as written, so only links and images change.
# Nesting deeper than 6 (links in emphasis in links…) is kept as text; the output sanitizer, which
# parses with the default depth, still sees it. Each level costs a pass over crafted text.
_MARKDOWN = MarkdownIt("commonmark", {"maxNesting": 6}).disable("text_join")
_INDENT = str.maketrans({" ": "\x02", "\t": "\x03"})  # the inline parser drops a line's indentation
_LINK_SIGN = re.compile(r"\][(\[:]")  # an inline link or image, a reference, a definition
_UNINDENT = str.maketrans({"\x02": " ", "\x03": "\t"})
_ALT = re.compile(r"""\balt\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_TAG_NAME = re.compile(r"</?([A-Za-z][\w.:-]*)")
_INLINE_CODE = re.compile(r"`[^`\n]+`")
_PROTECTED = re.compile(r"\x00(\d+)\x00")
_BLANKS = re.compile(r"\n{3,}")
_SPACE_BEFORE_PUNCT = re.compile(r"(?<![ \t])[ \t]+([.,;:!?])(?=\s|$)")  # a run of spaces tried once

_BREAKS = {"br", "p", "div", "section", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6"}


def clean_markdown(text: str) -> str:
    """Clean Markdown or MDX whose front matter has already been removed."""
    text = _remove(text, _COMMENTS)
    text = sub_spans(text, _BLOCK_OPEN, lambda m: re.compile(rf"</{m.group(1)}\s*>", re.IGNORECASE))
    parts: list[str] = []
    for is_code, segment in _split_code(text):
        parts.append(_clean_code(segment) if is_code else _clean_prose(segment))
    return _tidy("".join(parts))


def clean_html(text: str) -> str:
    """Convert an HTML page's body to readable Markdown."""
    from bs4 import BeautifulSoup  # only HTML articles need it (~0.1 s to import)

    soup = BeautifulSoup(_unclosed_as_text(text), "html.parser")
    for tag in soup(["head", "script", "style", "nav", "footer", "noscript", "template"]):
        tag.decompose()
    for img in soup.find_all("img"):
        img.replace_with(img.get("alt", "") or "")
    for level in range(1, 7):
        for heading in soup.find_all(f"h{level}"):
            heading.replace_with(f"\n\n{'#' * level} {heading.get_text(' ', strip=True)}\n\n")
    for row in soup.find_all("tr"):
        cells = [c.get_text(" ", strip=True) for c in row.find_all(["td", "th"])]
        row.replace_with("| " + " | ".join(cells) + " |\n")
    for item in soup.find_all("li"):
        item.replace_with(f"\n- {item.get_text(' ', strip=True)}\n")
    for pre in soup.find_all("pre"):
        pre.replace_with(f"\n```\n{pre.get_text()}\n```\n")
    for block in soup.find_all(["p", "div", "br", "section", "article", "table"]):
        block.insert_before("\n\n")
        block.insert_after("\n\n")
    body = soup.body or soup
    return clean_markdown(body.get_text())


def _unclosed_as_text(html_text: str) -> str:
    """Escape each `<` that no `>` follows: it can open no tag, and Python's `html.parser` (before
    3.13.4) scans to the end of the page from each one, so 20 KB of `<a` took seconds."""
    last = html_text.rfind(">")
    return html_text[: last + 1] + html_text[last + 1 :].replace("<", "&lt;")


def clean_text(text: str) -> str:
    return _tidy(text.replace("\r\n", "\n"))


def _split_code(text: str) -> list[tuple[bool, str]]:
    """Split into (is_code_block, text) segments on fenced code blocks."""
    segments: list[tuple[bool, str]] = []
    current: list[str] = []
    in_code = False
    for line in text.splitlines(keepends=True):
        if _FENCE.match(line):
            if in_code:
                current.append(line)
                segments.append((True, "".join(current)))
                current, in_code = [], False
                continue
            segments.append((False, "".join(current)))
            current, in_code = [line], True
            continue
        current.append(line)
    segments.append((in_code, "".join(current)))
    return segments


def _clean_code(block: str) -> str:
    lines = block.strip("\n").splitlines()
    body = lines[1:-1] if len(lines) >= 2 else []
    if len(body) > MAX_CODE_LINES:
        return f"\n{CODE_PLACEHOLDER}\n"
    return "\n" + "\n".join(lines) + "\n"


def _clean_prose(text: str) -> str:
    # Inline code may hold placeholders like `<domain>` that look like tags: protect it.
    spans: list[str] = []

    def protect(match: re.Match[str]) -> str:
        spans.append(match.group(0))
        return f"\x00{len(spans) - 1}\x00"

    text = sub_spans(text, _CODE_OPEN, lambda _: _CODE_CLOSE, _code_tag)
    text = _INLINE_CODE.sub(protect, text)
    text = _MDX_STATEMENT.sub("", text)
    text = _remove(text, _MACROS)
    text = _strip_tags(text)
    text = _strip_jsx_expressions(text)
    lines = []
    for line in text.splitlines():
        admonition = _ADMONITION.match(line)
        if admonition:
            kind, title = admonition.group(1), admonition.group(2).strip().strip("[]")
            if kind:
                lines.append(f"{kind.capitalize()}: {title}".rstrip(": ") + ("" if title else ":"))
            continue
        lines.append(line.rstrip())
    # Removed macros and tags leave "word ." behind.
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", html.unescape("\n".join(lines)))
    # After unescaping, so that `&#91;x](…)` cannot become a link again.
    return _without_links(_PROTECTED.sub(lambda m: spans[int(m.group(1))], text)) + "\n"


def _code_tag(code: str) -> str:
    return "`" + html.unescape(code).replace("`", "'") + "`"


def _without_links(text: str) -> str:
    """Links as their text, images as their alt text, reference definitions gone.

    markdown-it is linear but slow on crafted text (20 KB of `![a` takes seconds): text that
    can hold no link, as most text, is not parsed."""
    if not _LINK_SIGN.search(text):
        return text
    env: dict[str, object] = {}
    lines = text.split("\n")
    if "]:" in text:  # reference definitions: gone, and known for `[x][ref]` below
        blocks = _MARKDOWN.parse(text, env)
        covered = {line for t in blocks if t.level == 0 and t.map for line in range(*t.map)}
        # A line no block holds (blank lines aside) is a reference definition.
        lines = [line for n, line in enumerate(lines) if n in covered or not line.strip()]
    tokens = _MARKDOWN.parseInline("\n".join(_masked_indent(line) for line in lines), env)
    return "".join(_written(t) for t in tokens[0].children or []).translate(_UNINDENT)


def _masked_indent(line: str) -> str:
    stripped = line.lstrip(" \t")
    return line[: len(line) - len(stripped)].translate(_INDENT) + stripped


def _written(token: Token) -> str:
    """An inline token as it was written, except links and images (only their text)."""
    if token.type in ("softbreak", "hardbreak"):
        return "\n"
    if token.type == "text_special":
        return token.markup  # `\[` or `&amp;` as written
    if token.type == "code_inline":
        pad = " " if token.content.startswith(("`", " ")) or token.content.endswith(("`", " ")) else ""
        return f"{token.markup}{pad}{token.content}{pad}{token.markup}"
    if token.type.endswith(("_open", "_close")) and not token.type.startswith("link"):
        return token.markup  # emphasis and strikethrough marks
    if token.type == "image":
        return "".join(_written(t) for t in token.children or [])
    if token.type.startswith("link"):
        return ""
    return token.content


def _remove(text: str, spans: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...]) -> str:
    for opening, closing in spans:
        text = sub_spans(text, opening, lambda _, c=closing: c)  # type: ignore[misc]
    return text


def _strip_tags(text: str) -> str:
    """Remove HTML/JSX tags, keeping their inner text and any `alt` text.

    JSX attributes may hold `{...}` with `>` inside, so a tag ends at the first
    `>` outside braces and quotes, not at the first `>`. Text a failed scan read is kept as it
    is and never read again: `<a{<a{…` would otherwise cost a full scan per `<` (quadratic).
    """
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "<" and _TAG_NAME.match(text, i):
            end, stop = _tag_end(text, i)
            if end < 0:
                out.append(text[i:stop])
                i = stop
                continue
            tag = text[i : end + 1]
            name = _TAG_NAME.match(tag).group(1).lower()  # type: ignore[union-attr]
            alt = _ALT.search(tag)
            if alt:
                out.append(alt.group(1) or alt.group(2) or "")
            elif name in _BREAKS:
                out.append("\n" if name in {"br", "li"} else " ")
                if name == "li" and not tag.startswith("</"):
                    out.append("- ")
            i = end + 1
            continue
        out.append(text[i])
        i += 1
    return "".join(out)


def _tag_end(text: str, start: int) -> tuple[int, int]:
    """(the index of the tag's `>`, -1) or, if `start` opens no tag, (-1, where the scan stopped)."""
    depth, quote = 0, ""
    limit = min(len(text), start + MAX_TAG_CHARS)
    for j in range(start + 1, limit):
        ch = text[j]
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'`" and depth == 0 and text[j - 1] in "= ":
            quote = ch
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(0, depth - 1)
        elif ch == ">" and depth == 0:
            return j, -1
        elif ch == "<" and depth == 0 and j > start + 1 and text[j + 1 : j + 2].isalpha():
            return -1, j  # a stray '<' in prose, not a tag: the next tag may start here
        elif ch == "\n" and text[j - 1] == "\n":
            return -1, j  # a blank line: no tag spans paragraphs, so the scan stops here too
    return -1, max(limit, start + 1)


def _strip_jsx_expressions(text: str) -> str:
    """Drop `{...}` expressions that MDX would evaluate (balanced braces only)."""
    out: list[str] = []
    depth = 0
    for ch in text:
        if ch == "{":
            depth += 1
            continue
        if ch == "}" and depth:
            depth -= 1
            continue
        if depth == 0:
            out.append(ch)
    return "".join(out) if depth == 0 else text


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").splitlines()]
    text = "\n".join(lines)
    return _BLANKS.sub("\n\n", text).strip() + "\n"
