"""Three bands, not two: answer, suggest the closest articles, or hand off.

No offline score separates answerable from unanswerable questions well enough for a yes/no
decision (bench/bench_answerability.py). So a turn is `answered` only when the evidence is
strong, `not_in_kb` when there is none, and in between `suggested`: the hand-off first, then
the 1-3 articles that look closest, each with its heading and one line of its best block.

The confidence combines what the ranking of blocks (bot.responders.extractive) measured:
the retriever's cosine of the top passage, the cosine of the best block, the share of the
question's rare words the best block holds, the share that any retrieved passage holds
(reach), and the share that no chunk of the KB holds at all (unknown: "pizza ovens").
The two cosines are also read as percentiles of the KB's reference (bot.kb.reference: how
close each chunk comes to another article), so that a help centre whose articles all sound
alike does not look more confident than one that covers many topics. The weights and the
two thresholds were calibrated on the sample KB's question sets and validated, untouched, on the
Plausible help centre (bench/bench_turn.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from bot.kb.retrieval import Passage
from bot.responders.blocks import Block
from bot.responders.extractive import Ranking
from bot.text import LIST_MARKER, split_sentences
from bot.turn import Suggestion, VerdictRecord

SUGGESTED_INTRO = "I'm not sure our help centre answers this exactly. These articles look closest:"
MAX_SUGGESTIONS = 3
LINE_WORDS = 28  # one line of the best block under each suggestion
# Logistic weights of the confidence (calibrated by bench/bench_turn.py --calibrate on the sample KB,
# a right answer being one that holds every fact of its question or quotes the gold article first).
# Two weights are negative on purpose. `kind` (the best block holds the kind of answer asked for)
# ranks blocks but does not tell answerable from unanswerable questions: unanswerable ones ask for
# specifics (a weight, a price) that some block holds in kind but not in fact. `heading` (the
# question's words in the best block's title and heading) is already part of `coverage`: alone it
# marks questions that borrow an article's vocabulary without its meaning. `missing` is the rarest
# question word the best block's article lacks ("police" in "do you give my data to the police").
# `dense_kb` and `cosine_kb` are the two cosines as percentiles of the KB's reference; the raw
# cosines are recorded beside them but not weighed. Chosen over raw cosines and over a shift by
# the KB's mean heading cosine by 5-fold CV on the sample KB (experiments/bands_reference_cv.py).
WEIGHTS = {
    "dense_kb": 1.79,
    "cosine_kb": 4.09,
    "coverage": 1.53,
    "reach": -0.22,
    "unknown": -0.99,
    "heading": -2.93,
    "missing": -1.33,
    "kind": -0.92,
    "faq_off": -0.12,
}
BIAS = 1.58
# The sample KB's reference (bot.kb.reference.reference_quantiles of kb/articles): a KB without
# one (a single article) is read as the sample KB was.
SAMPLE_REFERENCE = (
    0.329, 0.487, 0.522, 0.549, 0.569, 0.589, 0.603, 0.62, 0.627, 0.636, 0.649,
    0.662, 0.678, 0.703, 0.714, 0.732, 0.755, 0.776, 0.805, 0.855, 0.92,
)  # fmt: skip


class Band(StrEnum):
    ANSWERED = "answered"
    SUGGESTED = "suggested"
    NOT_IN_KB = "not_in_kb"


@dataclass(frozen=True)
class Banding:
    band: Band
    confidence: float
    features: dict[str, float] = field(default_factory=dict)
    suggestions: list[Suggestion] = field(default_factory=list)


def features(ranking: Ranking, reference: Sequence[float] | None = None) -> dict[str, float]:
    """What the confidence combines, as recorded: the cosines raw and as percentiles of the KB's
    `reference` quantiles (None: the sample KB's)."""
    best = ranking.best
    dense = max((p.dense for p in ranking.passages), default=0.0)
    cosine = best.features["cosine"] if best else 0.0
    known = {"reach": ranking.reach, "unknown": ranking.unknown, "missing": ranking.missing}
    known |= {"dense_kb": percentile(dense, reference), "cosine_kb": percentile(cosine, reference)}
    if best is None:
        return {"dense": dense, "cosine": 0.0, "coverage": 0.0, "kind": 0.0, **known}
    return {
        **known,
        "dense": dense,
        "cosine": cosine,
        "coverage": best.features["coverage"],
        "kind": best.features["kind"],
        "heading": best.features["heading"],
        "faq_off": best.features["faq_off"],
    }


def percentile(cosine: float, reference: Sequence[float] | None = None) -> float:
    """The share of the KB's reference below `cosine`, interpolated between its quantiles."""
    quantiles = SAMPLE_REFERENCE if reference is None else reference
    return float(np.interp(cosine, quantiles, np.linspace(0.0, 1.0, len(quantiles))))


def confidence(values: dict[str, float]) -> float:
    z = BIAS + sum(WEIGHTS[name] * values.get(name, 0.0) for name in WEIGHTS)
    return 1 / (1 + math.exp(-z))


def decide(ranking: Ranking, answer_at: float, suggest_at: float, reference: Sequence[float] | None = None) -> Banding:
    """The band of a turn from its ranking: `answer_at` and `suggest_at` are the two thresholds;
    `reference` is the KB's reference quantiles (bot.kb.reference; None: the sample KB's)."""
    values = features(ranking, reference)
    score = confidence(values)
    suggestions = suggest(ranking)
    if ranking.best is None or score < suggest_at:
        return Banding(Band.NOT_IN_KB, score, values, suggestions)
    if score >= answer_at:
        return Banding(Band.ANSWERED, score, values, suggestions)
    return Banding(Band.SUGGESTED if suggestions else Band.NOT_IN_KB, score, values, suggestions)


def band_verdict(banding: Banding) -> VerdictRecord:
    """The banding as the record keeps it: the confidence and its features, the band, and the
    closest articles (as "closest:<article id>", whatever the band, so reviewers and the bench
    see what a suggestion would have shown)."""
    scores = {"confidence": banding.confidence, **banding.features}
    reasons = (banding.band.value, *(f"closest:{s.article_id}" for s in banding.suggestions))
    return VerdictRecord(
        "bands", banding.band is Band.ANSWERED, {k: round(v, 4) for k, v in scores.items()}, reasons, False, 0.0
    )


def suggest(ranking: Ranking, limit: int = MAX_SUGGESTIONS) -> list[Suggestion]:
    """The best openable block of each article, best first: one suggestion per article."""
    out: list[Suggestion] = []
    seen: set[str] = set()
    for block in ranking.blocks:
        passage = ranking.passages[block.passage]
        if not block.openable or passage.article_id in seen:
            continue
        seen.add(passage.article_id)
        out.append(_suggestion(block, passage))
        if len(out) == limit:
            break
    return out


def _suggestion(block: Block, passage: Passage) -> Suggestion:
    return Suggestion(passage.article_id, passage.title, passage.url, passage.heading, _line(block))


def _line(block: Block) -> str:
    """The block's first sentence (or item), at most LINE_WORDS words."""
    first = next((line for segment in block.segments for line in segment if line.strip()), "")
    first = LIST_MARKER.sub("", first).strip(" |")
    sentence = (split_sentences(first) or [first])[0]
    words = sentence.split()
    return sentence if len(words) <= LINE_WORDS else " ".join(words[:LINE_WORDS]) + " …"


def suggestion_text(suggestions: Sequence[Suggestion]) -> str:
    """The intro and the suggestions as Markdown links: the answer text of a `suggested` turn."""
    lines = [SUGGESTED_INTRO, ""]
    for s in suggestions:
        where = " › ".join([s.title, *s.heading.split(" > ")]) if s.heading else s.title
        lines.append(f"- [{where}]({s.url}): {s.line}")
    return "\n".join(lines)
