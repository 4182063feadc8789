"""Prompt-injection and jailbreak screen: known templates and instruction-override patterns.

Also looks inside encodings people use to slip instructions past filters: base64 blobs and
leetspeak. The same screen checks KB articles at ingest (indirect injection).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable

from bot.safety.verdict import ScreenContext, Verdict

_I = re.IGNORECASE
_PRIOR = (
    r"(?:all\s+|any\s+|the\s+|your\s+|my\s+|of\s+)*"
    r"(?:previous|prior|above|earlier|preceding|original|initial|system|old)"
)
_RULES = r"(?:instructions?|rules?|prompts?|directions?|guidelines?|context|messages?|restrictions?|programming)"

PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "override",
        re.compile(
            rf"\b(?:ignore|disregard|forget|skip|drop|overlook|bypass)\b.{{0,30}}\b{_PRIOR}\b.{{0,20}}\b{_RULES}", _I
        ),
    ),
    ("override", re.compile(rf"\b(?:ignore|disregard|forget)\s+(?:all|everything|any)\b.{{0,40}}\b{_RULES}", _I)),
    (
        "override",
        re.compile(
            r"\b(?:override|bypass|disable|turn\s+off|remove|ignore)\b.{0,25}\b(?:safety|content|moderation)\s+"
            r"(?:filters?|guardrails?|polic(?:y|ies)|restrictions|rules|settings|guidelines)",
            _I,
        ),
    ),
    (
        "override",
        re.compile(
            r"\b(?:override|bypass|disable|break)\b.{0,25}\b(?:your|the)\s+(?:own\s+)?"
            r"(?:rules|guidelines|guardrails|restrictions|programming|instructions|filters)",
            _I,
        ),
    ),
    ("new-instructions", re.compile(r"\b(?:new|updated|real|actual)\s+(?:system\s+)?instructions?\s*:", _I)),
    ("new-instructions", re.compile(r"\bfrom\s+now\s+on,?\s+(?:you|u)\s+(?:will|must|are|shall|should)\b", _I)),
    (
        "prompt-leak",
        re.compile(
            rf"\b(?:reveal|show|print|repeat|output|display|tell\s+me|give\s+me|what\s+(?:is|are))\b.{{0,30}}\b(?:your|the)\s+(?:system|hidden|secret|initial|original|internal)\s+{_RULES}",
            _I,
        ),
    ),
    ("prompt-leak", re.compile(r"\brepeat\s+(?:the\s+)?(?:words|text)\s+above\b", _I)),
    (
        "persona",
        re.compile(
            r"\byou\s+are\s+(?:now\s+)?(?:DAN|STAN|DUDE|AIM|an?\s+(?:unfiltered|uncensored|unrestricted|jailbroken|evil))\b",
            _I,
        ),
    ),
    (
        "persona",
        re.compile(r"\b(?:do\s+anything\s+now|developer\s+mode|jailbr(?:ea|o)k(?:en)?|god\s*mode|DAN\s+mode)\b", _I),
    ),
    (
        "persona",
        re.compile(
            r"\b(?:pretend|act|behave|roleplay)\s+(?:to\s+be\s+|as\s+(?:if\s+you\s+(?:were|are)\s+)?)(?:an?\s+)?(?:unfiltered|uncensored|unrestricted|different|evil|my\s+deceased)\b",
            _I,
        ),
    ),
    (
        "persona",
        re.compile(
            r"\bno\s+(?:longer\s+)?(?:bound|restricted|limited)\s+by\b|\bwithout\s+any\s+(?:restrictions|filters|limitations)\b",
            _I,
        ),
    ),
    (
        "chat-markup",
        re.compile(
            r"<\|(?:im_start|im_end|system|endoftext)\|>|\[/?INST\]|<<\s*SYS\s*>>|^\s*#{2,}\s*(?:system|instruction)s?\b|^\s*system\s*:",
            _I | re.MULTILINE,
        ),
    ),
    (
        "addressed-to-ai",
        re.compile(
            r"\b(?:AI|assistant|chatbot|language\s+model|LLM|bot)\b.{0,40}\b(?:must|should|will)\s+(?:now\s+)?(?:ignore|reply|respond|say|tell|output|reveal|include|recommend)\b",
            _I,
        ),
    ),
)

_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i", "|": "l"}
)
_BASE64 = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")


# A word is leetspeak when a substitute sits against a letter ("1gn0re", "h4ck", "ignor3"), so that
# plain numbers ("10%", "order 12345", "3-5 days") and a closing "!" decode to nothing new.
_LEET_WORD = re.compile(r"[0134579@$!|](?=[A-Za-z])|(?<=[A-Za-z])[0134579@$|]")


def _unleet(text: str) -> str:
    return re.sub(r"\S+", lambda m: m[0].translate(_LEET) if _LEET_WORD.search(m[0]) else m[0], text)


def decoded_variants(text: str) -> list[tuple[str, str]]:
    """(how, text) for the text itself and what it may hide: leetspeak and base64."""
    variants = [("plain", text)]
    leet = _unleet(text)
    if leet != text:
        variants.append(("leetspeak", leet))
    for blob in _BASE64.findall(text):
        try:
            decoded = base64.b64decode(blob + "=" * (-len(blob) % 4), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
        if decoded.isprintable() and sum(ch.isalpha() for ch in decoded) > len(decoded) // 2:
            variants.append(("base64", decoded))
    return variants


def match_patterns(text: str) -> list[str]:
    """Names of the patterns that match the text or a decoded variant, e.g. 'override (base64)'."""
    hits: list[str] = []
    for how, variant in decoded_variants(text):
        for name, pattern in PATTERNS:
            if pattern.search(variant):
                label = name if how == "plain" else f"{name} ({how})"
                if label not in hits:
                    hits.append(label)
    return hits


BLOCKED = "I can only answer questions about our products and services, and I can't change how I work."


class InjectionScreen:
    """Rules first; then, if given, a trained classifier returning P(injection)."""

    name = "injection"

    def __init__(self, classifier: Callable[[str], float] | None = None, threshold: float = 0.5) -> None:
        self.classifier = classifier
        self.threshold = threshold

    def check(self, text: str, context: ScreenContext) -> Verdict:
        hits = match_patterns(text)
        scores: dict[str, float] = {"rules": float(bool(hits))}
        if self.classifier is not None:
            scores["classifier"] = max(self.classifier(variant) for _, variant in decoded_variants(text))
        blocked = bool(hits) or scores.get("classifier", 0.0) >= self.threshold
        reasons = tuple(f"pattern: {h}" for h in hits)
        if scores.get("classifier", 0.0) >= self.threshold:
            reasons += (f"classifier {scores['classifier']:.2f} >= {self.threshold}",)
        return Verdict(self.name, not blocked, text, scores, reasons, user_message=BLOCKED if blocked else "")
