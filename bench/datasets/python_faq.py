"""The Python FAQ as real support questions nobody here wrote, and that no safety model trains on.

Reads the HTML FAQ that Debian ships in ``python3.11-doc`` (``apt-get install python3.11-doc``):
``/usr/share/doc/python3.11/html/faq/*.html``. Each section heading (h2-h4) that ends with "?"
is a question; the text after it, up to the next heading, is its answer. The Python 3.11 pages
give about 180 questions, e.g. "How do I kill a thread?" or "Why can't I use an assignment in an
expression?": ordinary support questions with the dangerous-sounding words of a programming help
centre ("kill", "execute", "inject", "exploit"), which is the false-block case the moderator must get right.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

FAQ_DIR = Path("/usr/share/doc/python3.11/html/faq")
_SPACES = re.compile(r"\s+")
_HEADINGS = {"h2", "h3", "h4"}
_SKIP = {"script", "style"}


@dataclass
class FaqEntry:
    page: str
    question: str
    answer: str = ""
    _parts: list[str] = field(default_factory=list, repr=False)


class _Parser(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.entries: list[FaqEntry] = []
        self.heading: list[str] | None = None
        self.current: FaqEntry | None = None
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HEADINGS:
            self.heading = []
        elif tag in _SKIP:
            self.skip += 1
        elif tag == "a" and self.heading is not None and ("class", "headerlink") in attrs:
            self.skip += 1  # the pilcrow after a heading

    def handle_endtag(self, tag: str) -> None:
        if tag in _HEADINGS and self.heading is not None:
            text = _SPACES.sub(" ", "".join(self.heading)).strip()
            self.heading = None
            self.current = FaqEntry(self.page, text) if text.endswith("?") else None
            if self.current:
                self.entries.append(self.current)
        elif tag in _SKIP or (tag == "a" and self.skip):
            self.skip = max(0, self.skip - 1)

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.heading is not None:
            self.heading.append(data)
        elif self.current is not None:
            self.current._parts.append(data)


def load_python_faq(directory: Path = FAQ_DIR) -> list[FaqEntry]:
    """Every question of the FAQ, in page order; FileNotFoundError when the package is missing."""
    pages = sorted(p for p in directory.glob("*.html") if p.name != "index.html") if directory.is_dir() else []
    if not pages:
        raise FileNotFoundError(f"{directory}: install python3.11-doc (apt-get install python3.11-doc)")
    entries: list[FaqEntry] = []
    for page in pages:
        parser = _Parser(page.stem)
        parser.feed(page.read_text(encoding="utf-8"))
        for entry in parser.entries:
            entry.answer = _SPACES.sub(" ", "".join(entry._parts)).strip()
            entries.append(entry)
    return entries
