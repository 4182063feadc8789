"""Groundedness: every sentence of an answer must be supported by the passages it cites.

A sentence is supported when most of its content words appear in a cited passage, or when
some do and its embedding is close to the passage's; and every number it states appears in
that passage (numbers are where small models invent facts). Unsupported sentences are
dropped; when too few remain, the whole answer is refused and the caller falls back.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from bot.embedding import Embedder
from bot.safety.output.citations import MARKER
from bot.safety.verdict import ScreenContext, Verdict
from bot.text import CONTINUATION, LIST_MARKER, SENTENCE_BREAK, content_words, split_sentences

_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
# A negation is a stopword, so word overlap cannot see "You cannot return X" contradict "You can
# return X": the closest sentence of the passage must be negated exactly when the sentence is.
_NEGATION = re.compile(r"\b(?:not|no|never|none|nothing|cannot|without|neither|nor)\b|n['’]t\b", re.IGNORECASE)


def _without(text: str, dropped: list[str]) -> str:
    """The text with the dropped sentences cut out, its lines and list markers kept."""
    lines = []
    for line in text.splitlines():
        if not line.strip():
            lines.append(line)  # blank lines end tables and lists: kept
            continue
        marker = LIST_MARKER.match(line)
        prefix = marker.group(0) if marker else ""
        parts = [p.strip() for p in SENTENCE_BREAK.split(line[len(prefix) :]) if p.strip()]
        first = (prefix.strip() + " " + parts[0]) if prefix and parts else (parts[0] if parts else "")
        kept = [p for i, p in enumerate(parts) if (first if i == 0 else p) not in dropped]
        if kept:
            lines.append(prefix + " ".join(kept))
    return "\n".join(lines).strip("\n")


def _contradicts(sentence: str, words: set[str], sources: Sequence[str]) -> bool:
    """Whether the sentence is negated and the passage sentence sharing most of its words is not,
    or the other way round. `sources` (title, heading, text) are split apart: an FAQ question
    shown as a heading must not be read as one sentence with a title "Discount code not working"."""
    candidates = [s for source in sources for s in split_sentences(source)]
    closest = max(candidates, key=lambda s: len(words & content_words(s)), default="")
    return bool(_NEGATION.search(sentence)) != bool(_NEGATION.search(closest))


class GroundednessScreen:
    name = "groundedness"

    def __init__(
        self,
        embedder: Embedder,
        lexical_enough: float = 0.8,
        lexical_floor: float = 0.3,
        min_cosine: float = 0.6,
        min_supported_share: float = 0.5,
    ) -> None:
        self.embedder = embedder
        self.lexical_enough = lexical_enough
        self.lexical_floor = lexical_floor
        self.min_cosine = min_cosine
        self.min_supported_share = min_supported_share

    def check(self, text: str, context: ScreenContext) -> Verdict:
        sentences = split_sentences(text)
        if not sentences:
            return Verdict(self.name, True, text)
        kept: list[str] = []
        dropped: list[str] = []
        scores: dict[str, float] = {}
        for n, sentence in enumerate(sentences):
            support = self._support(sentence, context.passages)
            scores[f"sentence_{n}"] = round(support, 3)
            (kept if support > 0 else dropped).append(sentence)
        share = len(kept) / len(sentences)
        scores["supported_share"] = share
        reasons = tuple(f"unsupported: {s[:80]}" for s in dropped)
        if not kept or share < self.min_supported_share:
            return Verdict(self.name, False, text, scores=scores, reasons=reasons or ("nothing supported",))
        if not dropped:
            return Verdict(self.name, True, text, scores, reasons)
        return Verdict(self.name, True, _without(text, dropped), scores, reasons)

    def _support(self, sentence: str, passages: Sequence[object]) -> float:
        """0 if unsupported, else the best support score (lexical share, or cosine)."""
        cited = [int(n) for n in MARKER.findall(sentence)]
        candidates = [passages[n - 1] for n in cited if 1 <= n <= len(passages)] or list(passages)
        plain = MARKER.sub("", sentence)
        if CONTINUATION.fullmatch(plain.strip()):
            return 1.0
        words = content_words(plain)
        if not words:  # "Steps:" and the like carry no claim
            return 1.0
        numbers = set(_NUMBER.findall(plain))
        partly: list[np.ndarray] = []  # vectors of passages sharing some words: the cosine decides
        for passage in candidates:
            parts = [str(getattr(passage, part, "")) for part in ("title", "heading", "text")]
            source = " ".join(parts)
            if numbers - set(_NUMBER.findall(source)):
                continue  # states a number the passage does not
            if _contradicts(plain, words, parts):
                continue
            lexical = len(words & content_words(source)) / len(words)
            if lexical >= self.lexical_enough:
                return lexical
            passage_vector = getattr(passage, "vector", None)
            if lexical >= self.lexical_floor and passage_vector is not None:
                partly.append(passage_vector)
        if not partly:
            return 0.0
        # Embedded only when no passage supports it by its words alone (a quoted sentence never is).
        vector = self.embedder.embed([plain])[0]
        best = max(float(vector @ v) for v in partly)
        return best if best >= self.min_cosine else 0.0
