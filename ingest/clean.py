"""Turn a help-centre file (Markdown, MDX, HTML or text) into clean, readable Markdown.

Kept: headings, paragraphs, lists, tables, short code blocks, link text and
image alt text. Stripped: front matter (read separately), MDX import/export
lines, JSX and HTML tags, `<head>`/`<script>`/`<style>` blocks, comments,
template macros and admonition markers.
"""

from __future__ import annotations

import html
import re

from bs4 import BeautifulSoup

MAX_CODE_LINES = 15  # longer code blocks are noise to a support answer
CODE_PLACEHOLDER = "(A code example is shown in the full article.)"

_FENCE = re.compile(r"^\s*(```|~~~)")
_BLOCKS = re.compile(r"<(head|script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_COMMENTS = re.compile(r"<!--.*?-->|\{/\*.*?\*/\}", re.DOTALL)
_MACROS = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
_MDX_STATEMENT = re.compile(r"^(import|export)\s.+$", re.MULTILINE)
_ADMONITION = re.compile(r"^\s*:::\s*([a-zA-Z]+)?\s*(.*)$")
_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_ALT = re.compile(r"""\balt\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_TAG_NAME = re.compile(r"</?([A-Za-z][\w.:-]*)")
_CODE_TAG = re.compile(r"<code>(.*?)</code>", re.IGNORECASE | re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]+`")
_PROTECTED = re.compile(r"\x00(\d+)\x00")
_BLANKS = re.compile(r"\n{3,}")
_SPACE_BEFORE_PUNCT = re.compile(r"[ \t]+([.,;:!?])(?=\s|$)")

_BREAKS = {"br", "p", "div", "section", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6"}


def clean_markdown(text: str) -> str:
    """Clean Markdown or MDX whose front matter has already been removed."""
    text = _COMMENTS.sub("", text)
    text = _BLOCKS.sub("", text)
    parts: list[str] = []
    for is_code, segment in _split_code(text):
        parts.append(_clean_code(segment) if is_code else _clean_prose(segment))
    return _tidy("".join(parts))


def clean_html(text: str) -> str:
    """Convert an HTML page's body to readable Markdown."""
    soup = BeautifulSoup(text, "html.parser")
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

    text = _CODE_TAG.sub(lambda m: "`" + html.unescape(m.group(1)).replace("`", "'") + "`", text)
    text = _INLINE_CODE.sub(protect, text)
    text = _MDX_STATEMENT.sub("", text)
    text = _MACROS.sub("", text)
    text = _strip_tags(text)
    text = _strip_jsx_expressions(text)
    text = _MD_IMAGE.sub(lambda m: m.group(1), text)
    text = _MD_LINK.sub(lambda m: m.group(1), text)
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
    return _PROTECTED.sub(lambda m: spans[int(m.group(1))], text) + "\n"


def _strip_tags(text: str) -> str:
    """Remove HTML/JSX tags, keeping their inner text and any `alt` text.

    JSX attributes may hold `{...}` with `>` inside, so a tag ends at the first
    `>` outside braces and quotes, not at the first `>`.
    """
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "<" and _TAG_NAME.match(text, i):
            end = _tag_end(text, i)
            if end > i:
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


def _tag_end(text: str, start: int) -> int:
    depth, quote = 0, ""
    for j in range(start + 1, min(len(text), start + 5000)):
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
            return j
        elif ch == "<" and depth == 0 and j > start + 1 and text[j + 1 : j + 2].isalpha():
            return -1  # a stray '<' in prose, not a tag
    return -1


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
