"""The ingest injection screen: text in a KB article that speaks to the bot instead of the reader.

Two halves, like the input screen (bot.safety.input.injection). The rules (`match_patterns`) catch
known templates. The trained classifier (bot.safety.classifiers.injection_classifier) catches the rest, but
it was trained on user messages: on help-centre prose it flags plain headings and steps
("## Checking your balance" scores 0.95). So it reads only sentences that a cue marks as aimed
at an AI reader or at its instructions ("for AI systems", "the guidance you were given"), each
whole and clause by clause, and decides on those. The cues alone would reject "If you are an AI
researcher, see our careers page"; the classifier lets it through.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from bot.safety.classifiers.injection_classifier import InjectionClassifier
from bot.safety.input.injection import match_patterns

_READER = r"(?:AI|LLM|GPT|chat\s?bot|assistant|language\s+model|model|agent|bot|crawler)s?"
_ORDERS = r"(?:instructions?|guidance|directions?|guidelines?|prompts?|rules|orders|programming)"
CUE = re.compile(
    rf"\b(?:for|to|dear|attention|note\s+to|hey|hi|if\s+you\s+are|as|you\s+are)\s+"
    rf"(?:the\s+|an?\s+|all\s+|any\s+|every\s+)?(?:AI\s+)?{_READER}\b"
    r"|\bAI\s+(?:systems?|assistants?|models?|agents?|chat\s?bots?|tools?)\b.{0,60}\b"
    r"(?:must|should|will|need\s+to|have\s+to|include|say|tell|recommend|answer|reply|respond|ignore|output)\b"
    rf"|\b{_ORDERS}\s+(?:you\s+(?:were|have\s+been|got|received)|(?:given|provided)\s+to\s+you)"
    rf"|\b(?:your|the)\s+(?:previous|prior|earlier|original|initial|system|above)\s+{_ORDERS}\b"
    r"|\byou\s+(?:were|have\s+been)\s+(?:given|told|instructed|programmed)\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")
_CLAUSE = re.compile(r"\s*[,;:\u2014]\s*|\s+(?:and|then|but)\s+")
_MIN_CLAUSE_WORDS = 3
QUOTE_CHARS = 90


@dataclass(frozen=True)
class ClassifierHit:
    score: float
    sentence: str

    def __str__(self) -> str:
        quote = self.sentence if len(self.sentence) <= QUOTE_CHARS else self.sentence[: QUOTE_CHARS - 1] + "\u2026"
        return f"classifier {self.score:.2f}: \u201c{quote}\u201d"


@dataclass(frozen=True)
class Findings:
    rules: tuple[str, ...] = ()
    classifier: tuple[ClassifierHit, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.rules or self.classifier)

    def reason(self) -> str:
        found = [f"pattern: {name}" for name in self.rules] + [str(hit) for hit in self.classifier]
        return f"carries instructions aimed at the bot (indirect prompt injection): {'; '.join(found)}"


class ArticleInjectionScreen:
    """Rules over the whole text; the classifier over cue-marked sentences (if one is given)."""

    def __init__(self, classifier: InjectionClassifier | None) -> None:
        self.classifier = classifier

    def __call__(self, text: str) -> Findings:
        return self.screen_all([text])[0]

    def screen_all(self, texts: Sequence[str]) -> list[Findings]:
        """Each text's findings; the classifier's sentences of all the texts embedded in one call."""
        rules = [tuple(match_patterns(text)) for text in texts]
        if self.classifier is None:
            return [Findings(r) for r in rules]
        cued = [(n, sentence, clauses(sentence)) for n, text in enumerate(texts) for sentence in candidates(text)]
        units = [unit for _, _, parts in cued for unit in parts]
        vectors = iter(self.classifier.model.embedder.embed(units) if units else [])
        hits: list[list[ClassifierHit]] = [[] for _ in texts]
        for n, sentence, parts in cued:
            score = max(self.classifier(unit, next(vectors)) for unit in parts)
            if score >= self.classifier.threshold:
                hits[n].append(ClassifierHit(score, sentence))
        return [Findings(r, tuple(h)) for r, h in zip(rules, hits, strict=True)]


def sentences(text: str) -> Iterator[str]:
    """Sentences of Markdown text, a paragraph's wrapped lines joined first."""
    for block in re.split(r"\n\s*\n", text):
        joined = " ".join(line.strip() for line in block.splitlines())
        yield from (s.strip() for s in _SENTENCE_END.split(joined) if s.strip())


def candidates(text: str) -> list[str]:
    """The sentences a cue marks as speaking to an AI reader or about its instructions."""
    return [s for s in sentences(text) if CUE.search(s)]


def clauses(sentence: str) -> list[str]:
    """The sentence and, if it has several, its clauses: an order joined to harmless text by
    "and" reads as less of an order to the classifier than the order alone."""
    parts = [p for p in _CLAUSE.split(sentence) if len(p.split()) >= _MIN_CLAUSE_WORDS]
    return [sentence, *parts] if len(parts) > 1 else [sentence]
