"""Text helpers shared by the screens, the responders and the classifiers: sentences, list items,
content words."""

from __future__ import annotations

import re
from collections.abc import Sequence

import Stemmer

_STEM = Stemmer.Stemmer("english")
_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
# A sentence ends at . ! or ? (plus any citation markers after it) before a capital, digit or
# bracket; a citation marker "[n]" after the full stop belongs to the sentence before it.
SENTENCE_BREAK = re.compile(r"(?<=[.!?]|\])\s+(?=[A-Z0-9(*]|\[(?!\d{1,2}\]))")
LIST_MARKER = re.compile(r"^\s*(?:\d{1,3}[.)]|[-*•])\s+")  # "1. ", "2) ", "- ", "* ", "• "
# Where an extractive answer cut a block: "…" and a link to the article; it states nothing.
CONTINUATION = re.compile(r"…(?: \[more in “[^”\]]*”\]\(\S+\))?")
_STOPWORDS_TEXT = """
a an the and or but if then so to of in on at by for with from as is are was were be been being it its
this that these those you your yours we our us i me my he she they them their there here what which who
whom when where why how can could will would should may might must do does did done have has had not no
yes all any some each more most other such only own same than too very just also into about over under
up down out off again further once
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


def content_words(text: str) -> set[str]:
    words = [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS and not w.isdigit()]
    return set(_STEM.stemWords(words))


def split_sentences(text: str) -> list[str]:
    """Sentences, with each list item or step kept whole with its marker."""
    sentences: list[str] = []
    for line in text.splitlines():
        marker = LIST_MARKER.match(line)
        prefix = marker.group(0) if marker else ""
        parts = [p.strip() for p in SENTENCE_BREAK.split(line[len(prefix) :]) if p.strip()]
        if parts:
            parts[0] = prefix.strip() + " " + parts[0] if prefix else parts[0]
            sentences.extend(parts)
    return sentences


def join_sentences(sentences: Sequence[str]) -> str:
    """Sentences as one text, list items and table rows on lines of their own."""
    text = ""
    for sentence in sentences:
        own_line = LIST_MARKER.match(sentence) or sentence.startswith("|")
        text += ("\n" if own_line else " ") + sentence if text else sentence
    return text
