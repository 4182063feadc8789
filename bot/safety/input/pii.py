"""Personal data and secrets: found, redacted before any model or log sees them, and the user told.

Detected: email addresses, phone numbers, payment card numbers (Luhn-checked), IBANs (mod-97
checked), national ids (US SSN, UK National Insurance number), and API keys and tokens.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.safety.verdict import ScreenContext, Verdict


@dataclass(frozen=True)
class PiiKind:
    name: str
    pattern: re.Pattern[str]
    valid: Callable[[str], bool] = lambda value: True


def luhn_ok(value: str) -> bool:
    digits = [int(d) for d in re.sub(r"\D", "", value)]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, digit in enumerate(reversed(digits)):
        if i % 2:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return total % 10 == 0


def iban_ok(value: str) -> bool:
    compact = re.sub(r"\s", "", value).upper()
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


KINDS: tuple[PiiKind, ...] = (
    PiiKind(
        "secret",
        re.compile(
            r"\b(?:sk-(?:proj-)?[A-Za-z0-9_-]{20,}|gh[pousr]_[A-Za-z0-9]{30,}|AKIA[0-9A-Z]{16}|xox[abprs]-[A-Za-z0-9-]{10,}"
            r"|AIza[0-9A-Za-z_-]{35}|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})"
            r"|(?i:\b(?:api[_-]?key|secret|token|password|passwd|pwd)\s*[:=]\s*\S{6,})"
        ),
    ),
    PiiKind("email", re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")),
    PiiKind("iban", re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,4})?\b"), iban_ok),
    PiiKind("card", re.compile(r"\b(?:\d[ -]?){12,18}\d\b"), luhn_ok),
    PiiKind(
        "national-id",
        re.compile(
            r"\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b"  # US SSN
            # UK National Insurance number
            r"|\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b"
        ),
    ),
    PiiKind("phone", re.compile(r"(?<![\w+])\+?\d[\d ().-]{7,}\d(?!\w)")),
)


def _looks_like_phone(value: str) -> bool:
    """9-15 digits, written the way phone numbers are (a leading +, 0 or '(', or grouped)."""
    digits = sum(ch.isdigit() for ch in value)
    return 9 <= digits <= 15 and (value[0] in "+0(" or bool(re.search(r"\d[ .-]\d", value)))


PII_WARNING = (
    "For your safety, please don't share personal details such as card numbers, passwords or "
    "account numbers here. I removed them from your message."
)


def find_pii(text: str) -> list[tuple[str, int, int]]:
    """(kind, start, end) of each detection, earlier kinds winning overlaps."""
    found: list[tuple[str, int, int]] = []
    taken: list[tuple[int, int]] = []
    for kind in KINDS:
        for match in kind.pattern.finditer(text):
            start, end = match.span()
            if any(start < e and s < end for s, e in taken):
                continue
            value = match.group(0)
            if kind.name == "phone" and not _looks_like_phone(value):
                continue
            if kind.valid(value):
                found.append((kind.name, start, end))
                taken.append((start, end))
    return sorted(found, key=lambda item: item[1])


def redact(text: str) -> tuple[str, list[str]]:
    kinds: list[str] = []
    out, last = [], 0
    for kind, start, end in find_pii(text):
        out.append(text[last:start])
        out.append(f"[{kind.upper()} REMOVED]")
        kinds.append(kind)
        last = end
    out.append(text[last:])
    return "".join(out), kinds


class PiiScreen:
    """Not a block: the question can still be answered, without the personal data."""

    name = "pii"

    def check(self, text: str, context: ScreenContext) -> Verdict:
        redacted, kinds = redact(text)
        if not kinds:
            return Verdict(self.name, True, text)
        counts = {kind: float(kinds.count(kind)) for kind in sorted(set(kinds))}
        return Verdict(
            self.name,
            True,
            redacted,
            scores=counts,
            reasons=tuple(f"redacted {k}" for k in counts),
            user_message=PII_WARNING,
        )
