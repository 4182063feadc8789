"""Markdown that cannot phone home: text escaped for `st.markdown`, URLs percent-encoded, and
answers rebuilt from a real parse (markdown-it), keeping only what is safe.

Regexes cannot find Markdown links reliably (labels nest brackets, titles take quotes or
parentheses, references live elsewhere in the text), so an answer is parsed as CommonMark with
GFM tables and written back out: headings, lists, tables, emphasis and code as they were;
images as their alt text (nothing is ever fetched); a link only when it points at an allowed
URL; raw HTML dropped; every other character of text escaped so that it renders as text.
Streamlit's Markdown (GFM) also turns bare `www.` and `http(s)://` text into links, whatever
escaping surrounds them: bare URLs that are not allowed are replaced.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html.parser import HTMLParser
from urllib.parse import quote

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

from bot.safety.output.citations import MARKER

LINK_REMOVED = "(link removed)"
REMOVED_IMAGE = "removed image"
REMOVED_LINK = "removed link to a URL outside the KB"
REMOVED_URL = "removed URL outside the KB"
REMOVED_HTML = "removed HTML tags"
REMOVED_EMBED = "removed script/embedded content"

_PARSER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
# What GFM autolinks in text (upper case too), wherever it starts; trailing punctuation is not part of it.
_BARE_URL = re.compile(r"(?:https?://|www\.)[^\s<>]*", re.IGNORECASE)
_TRAILING = ".,:;!?\"'*_~"
# A citation marker stays as written ([1]) for bot.pipeline to renumber; any other bracket is escaped.
_ESCAPE = re.compile(rf"(?P<marker>{MARKER.pattern})(?P<after>[(:])?|[\\`*_\[\]<~]|&(?=#?\w+;)")
# Streamlit's Markdown reads $…$ as LaTeX: a dollar is escaped where text is rendered, not stored.
_DOLLAR = re.compile(r"(?<!\\)\$")
_CODE = re.compile(r"^(?:```|~~~)[^\n]*\n.*?^(?:```|~~~)[ \t]*$|(`+).+?\1", re.MULTILINE | re.DOTALL)
# What would start a block at the start of a line: a list item, a quote, a heading, a rule.
_LINE_START = re.compile(r"^(\s*)(>|#{1,6}(?=\s|$)|[-+=](?=[\s=+-]|$))", re.MULTILINE)
_ORDERED_DOT = re.compile(r"^(\s*\d{1,9})([.)])(?=\s|$)", re.MULTILINE)
_EMBEDS = {"script", "style", "iframe", "object", "embed", "svg", "math", "template", "noscript"}
_TAG = re.compile(r"<(/?)([A-Za-z][\w-]*)")
_ALIGN = {"text-align:left": ":--", "text-align:right": "--:", "text-align:center": ":-:"}
_URL_UNSAFE = "()<>\"' \\`[]{}|^"


def escape(text: str, line_start: bool = True, dollars: bool = True) -> str:
    """Plain text as Markdown that renders as exactly that text (bare URLs aside: see `text`).
    `line_start`: the text starts a line (a "-" or "1." there would start a list); `dollars`:
    it goes straight to `st.markdown` (a Markdown answer escapes its dollars in `for_streamlit`)."""
    escaped = _ESCAPE.sub(_escaped, text)
    if dollars:
        escaped = _DOLLAR.sub(r"\\$", escaped)
    head, newline, rest = escaped.partition("\n")
    if not line_start:  # mid-line: only the lines after its first newline start a line
        return head + newline + _LINE_START.sub(r"\1\\\2", _ORDERED_DOT.sub(r"\1\\\2", rest))
    escaped = _ORDERED_DOT.sub(r"\1\\\2", escaped)
    return _LINE_START.sub(r"\1\\\2", escaped)


def for_streamlit(markdown: str) -> str:
    """Safe Markdown (an answer as recorded) as `st.markdown` must get it: dollars outside code
    escaped, so that "$5 or $10" is not read as LaTeX."""
    out: list[str] = []
    last = 0
    for code in _CODE.finditer(markdown):
        out.append(_DOLLAR.sub(r"\\$", markdown[last : code.start()]))
        out.append(code.group(0))
        last = code.end()
    out.append(_DOLLAR.sub(r"\\$", markdown[last:]))
    return "".join(out)


def _escaped(match: re.Match[str]) -> str:
    if match.group("marker"):  # `[1]` stays, but `[1](…)` or `[1]:` must not become a link
        return match.group("marker") + ("\\" + match.group("after") if match.group("after") else "")
    return "\\" + match.group(0)


def encode_url(url: str) -> str:
    """A URL as a Markdown link destination: spaces, brackets, quotes and non-ASCII percent-encoded."""
    return quote(url, safe="".join(c for c in "!#$%&*+,-./:;=?@_~" if c not in _URL_UNSAFE))


def urls_in(text: str) -> set[str]:
    """The http(s) and www. URLs written in a text, as GFM would link them."""
    return {_trim(m.group(0)) for m in _BARE_URL.finditer(text)}


def safe_markdown(text: str, allowed_urls: Iterable[str] = ()) -> tuple[str, tuple[str, ...]]:
    """`text` rebuilt as safe Markdown, and what was removed (for the verdict's reasons)."""
    renderer = _Renderer({_key(u) for u in allowed_urls})
    out = renderer.blocks(SyntaxTreeNode(_PARSER.parse(text)).children, tight=False)
    return out.strip(), tuple(renderer.reasons)


def _key(url: str) -> str:
    return _PARSER.normalizeLink(url.strip()).rstrip("/")


def _trim(url: str) -> str:
    url = url.rstrip(_TRAILING)
    while url.endswith(")") and url.count(")") > url.count("("):
        url = url[:-1].rstrip(_TRAILING)
    return url


class _Renderer:
    def __init__(self, allowed: set[str]) -> None:
        self.allowed = allowed
        self.reasons: list[str] = []
        self.line_start = True  # whether the text being written starts a line

    def note(self, reason: str) -> None:
        if reason not in self.reasons:
            self.reasons.append(reason)

    # Blocks

    def blocks(self, nodes: Iterable[SyntaxTreeNode], tight: bool) -> str:
        parts = [self.block(n) for n in nodes]
        return ("\n" if tight else "\n\n").join(p for p in parts if p)

    def block(self, node: SyntaxTreeNode) -> str:
        kind = node.type
        if kind == "paragraph":
            return self.inline(node.children[0]) if node.children else ""
        if kind == "heading":
            return "#" * int(node.tag[1]) + " " + self.inline(node.children[0]) if node.children else ""
        if kind in ("bullet_list", "ordered_list"):
            return self.list(node)
        if kind == "blockquote":
            body = self.blocks(node.children, tight=False)
            return "\n".join(f"> {line}".rstrip() for line in body.splitlines())
        if kind in ("fence", "code_block"):
            return _fenced(node.content, node.info)
        if kind == "hr":
            return "---"
        if kind == "table":
            return self.table(node)
        if kind == "html_block":
            self.note(REMOVED_HTML)
            text, embedded = _html_text(node.content)
            if embedded:
                self.note(REMOVED_EMBED)
            self.line_start = True
            return "\n".join(self.text(line.strip()) for line in text.splitlines() if line.strip())
        return self.text(node.content)

    def list(self, node: SyntaxTreeNode) -> str:
        start = int(str(node.attrs.get("start", 1)))
        tight = all(c.hidden for item in node.children for c in item.children if c.type == "paragraph")
        items = []
        for n, item in enumerate(node.children):
            marker = "-" if node.type == "bullet_list" else f"{start + n}."
            body = self.blocks(item.children, tight=tight) or ""
            pad = " " * (len(marker) + 1)
            lines = body.splitlines() or [""]
            items.append("\n".join([f"{marker} {lines[0]}".rstrip(), *[(pad + line).rstrip() for line in lines[1:]]]))
        return ("\n" if tight else "\n\n").join(items)

    def table(self, node: SyntaxTreeNode) -> str:
        rows: list[list[str]] = []
        aligns: list[str] = []
        for section in node.children:
            for row in section.children:
                cells = []
                for cell in row.children:
                    cells.append(self.inline(cell.children[0], in_table=True) if cell.children else "")
                    if section.type == "thead":
                        aligns.append(str(cell.attrs.get("style", "")))
                rows.append(cells)
        if not rows:
            return ""
        width = len(rows[0])
        rule = [_ALIGN.get(a, "---") for a in aligns]
        lines = [rows[0], rule[:width] + ["---"] * (width - len(rule)), *rows[1:]]
        return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)

    # Inline

    def inline(self, node: SyntaxTreeNode, in_table: bool = False) -> str:
        self.line_start = True
        text = self.spans(node.children, in_link=False)
        return text.replace("|", "\\|") if in_table else text

    def spans(self, nodes: Iterable[SyntaxTreeNode], in_link: bool) -> str:
        out: list[str] = []
        hidden_in: str = ""  # inside <script>…</script> written inline: drop its text too
        for node in nodes:
            if node.type == "html_inline":
                self.note(REMOVED_HTML)
                tag = _TAG.match(node.content)
                if tag and tag.group(2).lower() in _EMBEDS:
                    self.note(REMOVED_EMBED)
                    hidden_in = "" if tag.group(1) else tag.group(2).lower()
                continue
            if not hidden_in:
                if out:
                    self.line_start = out[-1].endswith("\n")
                out.append(self.span(node, in_link))
        return "".join(out)

    def span(self, node: SyntaxTreeNode, in_link: bool) -> str:
        kind = node.type
        if kind == "text":
            return self.text(node.content)
        if kind == "code_inline":
            return _code_span(node.content)
        if kind == "softbreak":
            return "\n"
        if kind == "hardbreak":
            return "\\\n"
        if kind in ("em", "strong", "s"):
            mark = {"em": "*", "strong": "**", "s": "~~"}[kind]
            return mark + self.spans(node.children, in_link) + mark
        if kind == "image":
            self.note(REMOVED_IMAGE)
            return self.text(node.content)
        if kind == "link":
            label = self.spans(node.children, in_link=True)
            href = str(node.attrs.get("href", ""))
            if not in_link and _key(href) in self.allowed and label.strip():
                return f"[{label}]({encode_url(href)})"
            self.note(REMOVED_LINK)
            return label
        return self.text(node.content) + self.spans(node.children, in_link)

    def text(self, text: str) -> str:
        """Escaped text; a bare URL is kept (as a link) only if allowed."""
        out: list[str] = []
        last = 0
        for match in _BARE_URL.finditer(text):
            url = _trim(match.group(0))
            out.append(escape(text[last : match.start()], self.line_start and not out, dollars=False))
            if _key(url) in self.allowed:
                out.append(url if escape(url) == url else f"<{encode_url(url)}>")
            else:
                self.note(REMOVED_URL)
                out.append(escape(LINK_REMOVED, dollars=False))
            last = match.start() + len(url)
        out.append(escape(text[last:], self.line_start and not last, dollars=False))
        return "".join(out)


def _code_span(code: str) -> str:
    fence = "`" * (max((len(run) for run in re.findall(r"`+", code)), default=0) + 1)
    pad = " " if code.startswith(("`", " ")) or code.endswith(("`", " ")) else ""
    return f"{fence}{pad}{code}{pad}{fence}"


def _fenced(code: str, info: str) -> str:
    fence = "`" * max(3, max((len(run) for run in re.findall(r"`+", code)), default=0) + 1)
    language = re.sub(r"[^\w+#.-]", "", info.split()[0]) if info.strip() else ""
    return f"{fence}{language}\n{code.rstrip(chr(10))}\n{fence}"


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.inside: list[str] = []
        self.embedded = False

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in _EMBEDS:
            self.inside.append(tag)
            self.embedded = True

    def handle_endtag(self, tag: str) -> None:
        if tag in self.inside:
            del self.inside[self.inside.index(tag) :]

    def handle_data(self, data: str) -> None:
        if not self.inside:
            self.parts.append(data)


def _html_text(html: str) -> tuple[str, bool]:
    """The text of an HTML block without its tags or embedded content (one linear pass)."""
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts), parser.embedded
