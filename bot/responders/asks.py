"""What a question asks for: its parts, and the kind of answer each part wants.

"I bought a sofa three weeks ago. Can I send it back, does it cost anything?" has two parts:
"can I send it back" wants a condition, "does it cost anything" an amount. A block of the
help centre that states an amount answers the second part whatever words it shares with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.text import LIST_MARKER, content_words


class Kind(StrEnum):
    DURATION = "duration"  # how long / when -> durations and dates
    AMOUNT = "amount"  # how much / cost / fee -> amounts
    STEPS = "steps"  # how do I -> numbered steps
    OPTIONS = "options"  # which / what options -> a list or a table
    CONDITION = "condition"  # can I / is it possible -> the sentence with the condition


_ASKS: dict[Kind, re.Pattern[str]] = {
    Kind.DURATION: re.compile(
        r"\b(?:how long|how soon|how quickly|how fast|how many (?:days|weeks|hours|months|years)|when|"
        r"what time|by when|deadline|how late|still (?:time|able))\b"
    ),
    Kind.AMOUNT: re.compile(
        r"\b(?:how much|costs?|price[sd]?|pricing|fees?|charged?|charges|pay (?:for|extra|more)|expensive|"
        r"cheap\w*|free|refund(?:ed)? in full|money back)\b"
    ),
    Kind.STEPS: re.compile(
        r"\b(?:how (?:do|can|should|would|to) (?:i|we|you)?|how to|steps?|where do i|walk me|"
        r"what (?:do|should|can) (?:i|we) do|what now|fix)\b"
        r"|^(?:please )?(?:cancel|change|reset|delete|update|remove|close|unsubscribe|turn (?:on|off)|set up)\b"
    ),
    Kind.OPTIONS: re.compile(
        r"\b(?:which|what (?:are (?:the|my) )?(?:options|ways|methods|kinds|types|brands|cards|items|benefits)|"
        r"what (?:do|can|does) .{0,30}\b(?:get|include|accept|offer|support|cover)|what else|list of|"
        r"options|benefits|perks)\b"
    ),
    Kind.CONDITION: re.compile(
        r"(?:^|[,.;!?]\s*|\b(?:and|but|so)\s+)(?:can|could|may|am|is|are|do|does|will|would)\s+(?:i|we|you|it|they|my|this|that)\b"
        r"|\b(?:is it possible|am i allowed|allowed to|able to|eligible|is there (?:any )?way)\b"
    ),
}
# What a block must hold to answer each kind (on its plain text; steps and lists by their lines).
_DURATION = re.compile(
    r"\b\d+(?:[.,]\d+)?\s*(?:(?:-|to|–)\s*\d+\s*)?(?:working |business |calendar )?"
    r"(?:minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?)\b"
    r"|\b(?:same day|next day|next working day|overnight|immediately|instantly|straight away|within|"
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)day|january|february|march|april|may|june|july|august|"
    r"september|october|november|december)\b",
    re.IGNORECASE,
)
_AMOUNT = re.compile(
    r"[£€$]\s?\d|\d+(?:[.,]\d+)?\s?(?:eur|gbp|usd|sek|nok|dkk|%|percent)\b|\bfree(?: of charge)?\b|\bfees?\b|"
    r"\bno (?:extra )?charge\b|\bcharged?\b|\bcosts? (?:nothing|\d)|\bdeducted\b|\bfull refund\b",
    re.IGNORECASE,
)
_CONDITION = re.compile(
    r"\b(?:if|only|unless|as long as|provided|must|need to|have to|can't|cannot|can not|isn't|aren't|"
    r"not possible|can|allowed|eligible|within)\b",
    re.IGNORECASE,
)
_ENUMERATION = re.compile(r"\b\w+(?: \w+)?, \w+(?: \w+)?(?:, \w+(?: \w+)?)*,? (?:and|or) \w+")
_NUMBERED = re.compile(r"^\s*\d{1,3}[.)]\s+")
# A part starts at the end of a sentence or before a question word after a comma or "and".
_PART = re.compile(
    r"(?<=[?.!;])\s+|,\s*(?=(?:and |but |also |or )?(?:can|could|do|does|did|is|are|will|would|how|what|when|which|"
    r"where|who|why|should)\b)|\s+(?:and|but|also)\s+(?=(?:can|could|do|does|is|are|will|would|how|what|when|which|"
    r"where|should)\s)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Part:
    text: str
    kinds: frozenset[Kind]
    words: frozenset[str]  # content-word stems


def kinds_of(text: str) -> frozenset[Kind]:
    lowered = text.lower()
    kinds = {kind for kind, pattern in _ASKS.items() if pattern.search(lowered)}
    if Kind.STEPS in kinds and re.search(r"\bhow (?:long|much|many|soon)\b", lowered):
        kinds.discard(Kind.STEPS)  # "how long do I ..." asks for a duration, not steps
    return frozenset(kinds)


def parts_of(question: str) -> list[Part]:
    """The question's parts that carry at least one content word; the whole question if one."""
    pieces = [p.strip(" ,;") for p in _PART.split(question) if p and p.strip(" ,;")]
    parts = [Part(p, kinds_of(p), frozenset(content_words(p))) for p in pieces]
    parts = [p for p in parts if p.words or p.kinds]
    # Context without a question ("I bought a sofa three weeks ago.", "i don't like paying by card")
    # lends its words to the part next to it: it is not a part to be answered on its own.
    merged: list[Part] = []
    carry: frozenset[str] = frozenset()
    for part in parts:
        if not part.kinds and not part.text.endswith("?"):
            if merged and part is parts[-1]:
                merged[-1] = Part(merged[-1].text, merged[-1].kinds, merged[-1].words | part.words)
            else:
                carry |= part.words
            continue
        merged.append(Part(part.text, part.kinds, part.words | carry))
        carry = frozenset()
    if carry and merged:
        merged[-1] = Part(merged[-1].text, merged[-1].kinds, merged[-1].words | carry)
    return merged or [Part(question, kinds_of(question), frozenset(content_words(question)))]


def answers(kind: Kind, text: str) -> bool:
    """Whether a block's text holds what `kind` asks for."""
    if kind is Kind.DURATION:
        return bool(_DURATION.search(text))
    if kind is Kind.AMOUNT:
        return bool(_AMOUNT.search(text))
    lines = text.splitlines()
    if kind is Kind.STEPS:
        return sum(bool(_NUMBERED.match(line)) for line in lines) >= 2
    if kind is Kind.OPTIONS:  # a list, a table, or an enumeration "Visa, Mastercard and American Express"
        items = sum(bool(LIST_MARKER.match(line) or line.lstrip().startswith("|")) for line in lines)
        return items >= 2 or bool(_ENUMERATION.search(text))
    return bool(_CONDITION.search(text))
