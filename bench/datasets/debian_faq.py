"""The Debian GNU/Linux FAQ as a retrieval benchmark nobody here wrote.

Reads the plain-text FAQ shipped by the Debian package ``debian-faq``
(``apt-get install debian-faq``) and returns one entry per numbered section
whose heading is a question, i.e. ends with "?".

Layout of the text file (version 11.0): a title page, a table of contents
(indented entries, chapters at column 0 as "1. Title"), then the body. In the
body, chapters start with "Chapter N. Title", section headings start at column
0 with their number ("2.1. What is ...?", down to "12.2.1.1."), long headings
wrap onto further column-0 lines, and section bodies are indented. Chapter and
section numbers are followed by a no-break space (U+00A0), which is also used
in body indentation; it is treated as a plain space.

With the 11.0 file this yields 120 entries out of 148 numbered sections. The
"112" sometimes quoted is the number of two-level sections ("N.M."), questions
or not. Breakdown: 112 "N.M." sections (100 questions), 34 "N.M.K." (19) and 2
"N.M.K.L." (1: 12.2.1.1); 47 headings wrap over two or more lines. Three
headings that ask a question but end in "!" (1.3 "...what is Linux?!", 2.5 and
9.4) are left out by the "ends with ?" rule.
"""

from __future__ import annotations

import gzip
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

FAQ_PATH = Path("/usr/share/doc/debian/FAQ/debian-faq.en.txt.gz")

_CHAPTER = re.compile(r"^Chapter (\d+)\. +(\S.*)$")
_SECTION = re.compile(r"^(\d+(?:\.\d+)+)\. +(\S.*)$")
_SPACES = re.compile(r"\s+")
_RULE = re.compile(r"^-{20,}$")  # separates a chapter's last section from its footnotes
_NOTE = re.compile(r"^\^\[(\d+)\] *(.*?)(?=^\^\[\d+\]|\Z)", re.MULTILINE | re.DOTALL)
_NOTE_REF = re.compile(r"\^\[(\d+)\]")


@dataclass(frozen=True)
class FaqEntry:
    number: str  # e.g. "2.1"
    question: str  # the section heading, e.g. "What is Debian?" (whitespace normalised)
    answer: str  # that section's own body text (not its subsections)
    chapter: str  # chapter title, e.g. "Getting and installing Debian GNU/Linux"


@dataclass
class _Section:
    number: str
    heading: str
    chapter: str
    body: list[str]


def _read_lines(path: Path) -> list[str]:
    if not path.is_file():
        msg = f"Debian FAQ not found at {path}; install the Debian package 'debian-faq' (apt-get install debian-faq)"
        raise FileNotFoundError(msg)
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    text = raw.decode("utf-8")
    return [line.replace("\xa0", " ").rstrip() for line in text.splitlines()]


def _heading(lines: list[str], start: int, first: str) -> tuple[str, int]:
    """Join a heading and its column-0 continuation lines; return it, next index."""
    parts = [first]
    i = start + 1
    while i < len(lines) and lines[i] and not lines[i][0].isspace():
        if _CHAPTER.match(lines[i]) or _SECTION.match(lines[i]):
            break
        parts.append(lines[i])
        i += 1
    return _SPACES.sub(" ", " ".join(parts)).strip(), i


def _dedent(lines: list[str]) -> str:
    text = textwrap.dedent("\n".join(lines)).strip("\n")
    return re.sub(r"\n{3,}", "\n\n", text)


def _answer(body: list[str], notes: dict[str, str]) -> str:
    """A section's body, followed by the chapter footnotes it refers to ("^[n]")."""
    text = _dedent(body)
    refs = dict.fromkeys(_NOTE_REF.findall(text))
    extra = [f"[{n}] {notes[n]}" for n in refs if n in notes]
    return "\n\n".join([text, *extra])


def _parse(lines: list[str]) -> tuple[list[_Section], dict[str, str]]:
    """Split the body into numbered sections and collect the footnotes by number."""
    # The body starts at "Chapter 1."; everything above it (title page and table of
    # contents, whose entries look like headings) is skipped.
    start = next((i for i, line in enumerate(lines) if _CHAPTER.match(line)), None)
    if start is None:
        msg = "no 'Chapter 1.' line found: not the plain-text Debian FAQ layout"
        raise ValueError(msg)
    sections: list[_Section] = []
    note_lines: list[str] = []
    chapter_no, chapter = "", ""
    # Where body lines go: the current section, the footnotes, or nowhere.
    target: list[str] | None = None
    i = start
    while i < len(lines):
        line = lines[i]
        if m := _CHAPTER.match(line):
            chapter_no = m.group(1)
            chapter, i = _heading(lines, i, m.group(2))
            target = None
            continue
        m = _SECTION.match(line)
        if m and m.group(1).split(".")[0] == chapter_no:
            heading, i = _heading(lines, i, m.group(2))
            sections.append(_Section(m.group(1), heading, chapter, []))
            target = sections[-1].body
            continue
        if _RULE.match(line):
            note_lines.append("")
            target = note_lines
        elif target is not None:
            target.append(line)
        i += 1
    notes = {m.group(1): _SPACES.sub(" ", m.group(2)).strip() for m in _NOTE.finditer(_dedent(note_lines))}
    return sections, notes


def load_debian_faq(path: Path = FAQ_PATH) -> list[FaqEntry]:
    """Return the FAQ's question sections, in document order.

    Raises FileNotFoundError (naming the package ``debian-faq``) if the file is
    missing, and ValueError if it does not have the expected layout.
    """
    sections, notes = _parse(_read_lines(path))
    entries = [
        FaqEntry(
            number=s.number,
            question=s.heading,
            answer=_answer(s.body, notes),
            chapter=s.chapter,
        )
        for s in sections
        if s.heading.endswith("?")
    ]
    if not entries:
        msg = f"{path}: no question sections found"
        raise ValueError(msg)
    return entries
