"""Parts of the report dialog: which answer the report is about, and the optional contact address.

The contact address is asked for only when the user ticks the box, kept as typed (not redacted:
the user asked to be contacted there) and shown to staff only.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

import streamlit as st

from bot.storage import records
from bot.storage.models import CONTACT_MAX_CHARS
from bot.turn import Turn

QUOTE_MAX_CHARS = 120
QUESTION_MAX_CHARS = 80
_CITATION = re.compile(r"\s*\[\d+\]")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_LINE_MARKUP = re.compile(r"^(?:#{1,6}\s+|>\s*|[-*+]\s+|\d+[.)]\s+|\|\s*)+")
_INLINE_MARKUP = re.compile(r"\*\*|__|`|\s*\|\s*")


_HEADING = re.compile(r"\*\*[^*]+\*\*")


def answer_first_line(answer: str, max_chars: int = QUOTE_MAX_CHARS) -> str:
    """The answer's first line of text, without Markdown markers or citation numbers, cut at a word."""
    for raw in answer.splitlines():
        if set(raw) <= set("-:|*_= \t"):  # an empty line, a table's separator row or a rule
            continue
        if _HEADING.fullmatch(raw.strip()):  # a quoted block's "**Title › Heading**": what it says comes next
            continue
        line = _LINE_MARKUP.sub("", raw.strip()).rstrip("| ")
        line = _CITATION.sub("", _LINK.sub(r"\1", line))
        line = _INLINE_MARKUP.sub(lambda m: " · " if "|" in m.group(0) else "", line).strip()
        if line:
            break
    else:
        return ""
    return _shortened(line, max_chars)


def answer_quote(turn: Turn) -> None:
    """Name the answer the report is about: the question, and the answer's first line as a quote."""
    question = _shortened(" ".join(turn.question.split()), QUESTION_MAX_CHARS)
    st.caption(f"About the answer to “{literal(question)}”:")
    st.markdown(f"> {literal(answer_first_line(turn.answer))}")


def literal(text: str) -> str:
    """Text shown as typed inside Markdown: every ASCII punctuation mark escaped (links, emphasis, $ maths)."""
    return "".join("\\" + char if char in string.punctuation else char for char in text)


def _shortened(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - 1].rsplit(" ", 1)[0] or text[: max_chars - 1]
    return cut.rstrip(" ,;:.") + "…"


@dataclass(frozen=True)
class Contact:
    """What the contact part of the form holds: an address to store (or None), or what is wrong with it."""

    address: str | None = None
    error: str = ""


def contact_field(turn_id: str) -> Contact:
    """A box to tick, then the address: nothing is asked for, or kept, unless the user ticks it."""
    wanted = st.checkbox(
        "Our support team may email me about this report",
        key=f"report-contact-ok-{turn_id}",
        help="Leave this unticked to report anonymously.",
    )
    if not wanted:
        return Contact()
    typed = st.text_input(
        "Your email address",
        key=f"report-contact-{turn_id}",
        max_chars=CONTACT_MAX_CHARS,
        placeholder="name@example.com",
        help="Kept as you type it with this report and seen only by our support staff.",
    )
    try:
        return Contact(address=records.check_contact(typed))
    except ValueError:
        return Contact(error="Please enter an email address such as name@example.com, or untick the box.")
