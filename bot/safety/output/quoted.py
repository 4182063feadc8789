"""Moderating a quoted answer by the passages it quotes.

An extractive answer is made only of sentences copied from the passages it cites. Its
moderation is the moderation of those passages, each scored whole (title, heading and text,
the very text ingest embedded) from the vector retrieval already holds: no new embedding, so
the output chain costs about a millisecond instead of one MiniLM pass over the answer.
Each passage is scored once and cached. Scoring the whole passage rather than each sentence
on its own keeps the context that short sentences lack (scored alone, "We don't sell your
personal data" read as hate). An answer with any piece not found verbatim in a cited passage
(a generated one), or on whose own wording a moderation rule fires (unless it fires on a quoted
passage staff accepted at ingest), is not treated as quoted: the caller embeds and moderates it as it is.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from bot.safety.classifiers.moderation_rules import rule_scores
from bot.safety.moderation import CATEGORIES, ModerationResult
from bot.safety.output.citations import MARKER
from bot.safety.verdict import OUTCOMES, PASS, REVIEW
from bot.text import CONTINUATION, LIST_MARKER, split_sentences

CACHE_PASSAGES = 4096
_SPACE = re.compile(r"\s+")
_MARKERS = re.compile(r"\[\d{1,2}\]")
_PIECES = re.compile(r"\[\d{1,2}\]| › ")  # markers, and the separator of a heading path "Title › Heading"


def _flat(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def quoted_passages(answer: str, passages: Sequence[Any]) -> list[Any] | None:
    """The passages an answer quotes, or None when some sentence is not copied from one it cites."""
    # An answer's block is shown under its title and heading path (an FAQ's question): quoted too.
    flat = [_flat(f"{getattr(p, 'title', '')} {getattr(p, 'heading', '')} {p.text}") for p in passages]
    used: dict[int, Any] = {}
    for sentence in split_sentences(answer):
        cited = [int(n) - 1 for n in MARKER.findall(sentence) if 1 <= int(n) <= len(passages)]
        # Between its markers each piece must be copied whole (table rows come one per piece).
        for piece in _PIECES.split(LIST_MARKER.sub("", sentence)):
            plain = _flat(piece).strip(" |*")
            if not plain or CONTINUATION.fullmatch(plain):  # "… [more in “Title”](url)" where a block was cut
                continue
            source = next((i for i in cited or range(len(passages)) if plain in flat[i]), None)
            if source is None:
                return None
            used[source] = passages[source]
    return list(used.values()) or None


def merge(results: Sequence[ModerationResult]) -> ModerationResult:
    """Flagged if any is; each category's score is its highest; the gravest outcome."""
    return ModerationResult(
        flagged=any(r.flagged for r in results),
        categories={c: any(r.categories[c] for r in results) for c in CATEGORIES},
        category_scores={c: max(r.category_scores[c] for r in results) for c in CATEGORIES},
        category_applied_input_types={c: ["text"] for c in CATEGORIES},
        model=results[0].model,
        outcome=max((r.decision for r in results), key=OUTCOMES.index),
        reasons=tuple(dict.fromkeys(reason for r in results for reason in r.reasons)),
    )


def _accepted_rules(quoted: Sequence[Any]) -> set[str]:
    """The rule categories that fire on the quoted passages staff accepted at ingest, each on its own."""
    accepted = [p for p in quoted if getattr(p, "moderation_accepted", False)]
    return {c for p in accepted for c in rule_scores(_flat(f"{p.title} {p.heading} {p.text}"))}


class QuotedModeration:
    """Scores passages with the local moderator from their stored vectors, cached per passage."""

    def __init__(self, moderator: Any, cache_size: int = CACHE_PASSAGES) -> None:
        self.moderator = moderator  # bot.safety.classifiers.local_moderator.LocalModerator
        self.cache_size = cache_size
        self._cache: OrderedDict[tuple[str, str, bool], ModerationResult] = OrderedDict()

    def moderate(self, answer: str, passages: Sequence[Any]) -> ModerationResult | None:
        """The answer's moderation, or None when it is not quoted (or a passage has no vector)."""
        quoted = quoted_passages(answer, passages)
        if not quoted or any(getattr(p, "vector", None) is None for p in quoted):
            return None
        if (rules := rule_scores(_flat(_MARKERS.sub("", answer)))) and not _accepted_rules(quoted) >= rules.keys():
            # A rule fires on the answer's own wording: moderate it as it is, unless it fires on a
            # quoted passage's own text too, and staff accepted that passage at ingest.
            return None
        return merge([self._passage(p) for p in quoted])

    def _passage(self, passage: Any) -> ModerationResult:
        key = (passage.chunk_id, passage.text, bool(getattr(passage, "moderation_accepted", False)))
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        text = "\n".join(part for part in (passage.title, passage.heading, passage.text) if part)
        result = self.moderator.moderate(text, vector=np.asarray(passage.vector, dtype=np.float32))
        # Verified text is trusted in quotes: only what ingest flags (BLOCK) stops it, and not once
        # staff have accepted it (`python -m ingest --accept-flags`).
        accepted = getattr(passage, "moderation_accepted", False)
        if result.decision == REVIEW or (result.flagged and accepted):
            why = f"accepted by staff at ingest: {passage.chunk_id}" if accepted else "verified text under review"
            result = replace(
                result,
                flagged=False,
                categories=dict.fromkeys(CATEGORIES, False),
                outcome=PASS,
                reasons=(*result.reasons, why),
            )
        self._cache[key] = result
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return result
