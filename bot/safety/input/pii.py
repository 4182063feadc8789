"""Personal data and secrets: found, redacted before any model or log sees them, and the user told.

Detected: email addresses, phone numbers, payment card numbers (Luhn-checked) and their security
codes, IBANs (mod-97 checked), national ids (US SSN, UK National Insurance number), API keys and
tokens, passwords and PINs ("my password is ..."), names ("my name is ..."), street addresses, UK
and US postcodes, and dates of birth.

Kinds that would match ordinary help-centre text on their own (a name, a date, a 3-digit number)
are only taken after the words that introduce them, and only the value is redacted ("my name is
[NAME REMOVED]"). Every pattern is linear in the text: a match can only start where the previous
character cannot belong to it, so no run of characters is scanned from each of its positions.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.safety.verdict import ScreenContext, Verdict

# Longer than any value a pattern matches in practice: what `redact_prefix` reads past its limit.
PREFIX_MARGIN = 256


@dataclass(frozen=True)
class PiiKind:
    name: str
    pattern: re.Pattern[str]
    valid: Callable[[str], bool] = lambda value: True
    group: int = 0  # the part of the match that is redacted (the value, without the words before it)


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


# Words that, right after "my name is" or "my password is", say something about it instead.
_NOT_A_VALUE = (
    r"(?i:(?!(?:not|no|none|wrong|incorrect|invalid|missing|different|changed|correct|right|still|also|being"
    r"|spelt|spelled|shown|showing|listed|too|expired|locked|blocked|working|reset|set|the|a|an|on|in|at|and"
    r"|same|empty|blank)\b))"
)
_MONTH = (
    r"(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DATE = (
    r"\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})\b"
    r"|\d{4}-\d{1,2}-\d{1,2}\b"
    rf"|\d{{1,2}}(?i:st|nd|rd|th)?[ \t]+(?:of[ \t]+)?{_MONTH},?[ \t]+\d{{4}}\b"
    rf"|{_MONTH}[ \t]+\d{{1,2}}(?i:st|nd|rd|th)?,?[ \t]+\d{{4}}\b"
)
_STREET = (
    r"(?i:street|st|avenue|ave|road|rd|lane|ln|drive|dr|boulevard|blvd|court|ct|way|close|crescent|cres|place|pl"
    r"|terrace|gardens|square|sq|parkway|pkwy|highway|hwy|row|mews|grove|walk|hill|park)"
)
# The first letter is never Q, V or X, the second never I, J or Z (so "Q1 2ND" is not one).
_UK_POSTCODE = r"(?:[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?|GIR)[ \t]?\d[ABD-HJLNP-UW-Z]{2}"
_US_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND"
    "|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY"
)
_CAPITALISED = r"[A-ZÀ-ÖØ-Þ][\w'’-]*"

KINDS: tuple[PiiKind, ...] = (
    PiiKind(
        "secret",
        re.compile(
            r"(?<![\w-])(?:sk-(?:proj-)?[A-Za-z0-9_-]{20,}|gh[pousr]_[A-Za-z0-9]{30,}|AKIA[0-9A-Z]{16}"
            r"|xox[abprs]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35}|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})"
            r"|(?i:\b(?:api[_-]?key|secret|token|password|passwd|pwd)\s*[:=]\s*\S{6,})"
        ),
    ),
    PiiKind(
        "password",
        re.compile(
            r"(?i:\bmy[ \t]+(?:new[ \t]+|old[ \t]+|current[ \t]+|account[ \t]+|temporary[ \t]+|bank[ \t]+|card[ \t]+)?"
            r"(?:password|passcode|passphrase|passwd|pin(?:[ \t]+(?:code|number))?)[ \t]+(?:is|was)[ \t]*[:=]?[ \t]*)"
            rf"{_NOT_A_VALUE}(\"[^\"\n]{{1,64}}\"|'[^'\n]{{1,64}}'|\S+)"
        ),
        group=1,
    ),
    # No \b before the local part: it would let a match start after every dot of "a.a.a.a...", and each
    # start would scan the rest of the run (the quadratic time this pattern once had).
    PiiKind("email", re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")),
    PiiKind("iban", re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,4})?\b"), iban_ok),
    PiiKind("card", re.compile(r"\b(?:\d[ -]?){12,18}\d\b"), luhn_ok),
    PiiKind(
        "cvc",
        re.compile(
            r"(?i:\b(?:cvc2?|cvv2?|csc|cid|security[ \t]+code|card[ \t]+verification[ \t]+(?:code|value))"
            r"(?:[ \t]+(?:number|code|is|was|no\.?))*[ \t]*[:=#-]?[ \t]*)(\d{3,4})\b"
        ),
        group=1,
    ),
    PiiKind(
        "national-id",
        re.compile(
            r"\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b"  # US SSN
            # UK National Insurance number
            r"|\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b"
        ),
    ),
    PiiKind(
        "date-of-birth",
        re.compile(
            r"(?i:\b(?:date[ \t]+of[ \t]+birth|birth[ \t]*date|birthday|dob|d\.o\.b\.?|born(?:[ \t]+on)?)"
            r"(?:[ \t]+is)?[ \t]*[:=-]?[ \t]*)"
            rf"({_DATE})"
        ),
        group=1,
    ),
    PiiKind(
        "address",
        # A house number, one to three capitalised words and a street type: "221B Baker Street".
        re.compile(rf"(?<![\w/.,-])\d{{1,5}}[A-Za-z]?,?[ \t]+(?:{_CAPITALISED}[ \t]+){{1,3}}{_STREET}\b\.?"),
    ),
    PiiKind(
        "postcode",
        re.compile(
            rf"\b{_UK_POSTCODE}\b"
            rf"|\b(?:{_US_STATES}),?[ \t]+\d{{5}}(?:-\d{{4}})?\b"  # "CA 94105", after a state
            r"|\b\d{5}-\d{4}\b"  # ZIP+4
        ),
    ),
    PiiKind(
        "postcode",
        re.compile(
            r"(?i:\b(?:zip|post|postal)[ \t]*code[ \t]*(?:is[ \t]*)?[:=-]?[ \t]*)"
            rf"(\d{{5}}(?:-\d{{4}})?\b|(?i:{_UK_POSTCODE})\b)"
        ),
        group=1,
    ),
    PiiKind("phone", re.compile(r"(?<![\w+])\+?\d[\d ().-]{7,}\d(?!\w)")),
    PiiKind(
        "name",
        re.compile(
            r"(?i:\bmy[ \t]+(?:full[ \t]+|first[ \t]+|last[ \t]+|real[ \t]+|sur)?name[ \t]+is|\bmy[ \t]+name'?s"
            r"|\bi[ \t]+am[ \t]+called|\bi'?m[ \t]+called)[ \t]*[:,]?[ \t]+"
            rf"{_NOT_A_VALUE}([^\W\d_][\w'’-]*(?:[ \t]+{_CAPITALISED}){{0,2}})"
        ),
        group=1,
    ),
)

_VERSION = re.compile(r"[1-9]\d*(?:\.\d+){2,}")  # 88.0.4324.146: a version, not a phone number
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}\b")


def _looks_like_phone(value: str) -> bool:
    """9-15 digits, written the way phone numbers are (a leading +, 0 or '(', or grouped)."""
    digits = sum(ch.isdigit() for ch in value)
    if _VERSION.fullmatch(value) or _DATE_TIME.match(value):
        return False
    return 9 <= digits <= 15 and (value[0] in "+0(" or bool(re.search(r"\d[ .-]\d", value)))


PII_WARNING = (
    "For your safety, please don't share personal details such as card numbers, passwords or "
    "account numbers here. I removed them from your message."
)


def find_pii(text: str) -> list[tuple[str, int, int]]:
    """(kind, start, end) of each detection, earlier kinds winning overlaps."""
    found: list[tuple[str, int, int]] = []
    starts: list[int] = []  # the spans taken so far, disjoint, sorted by start (bisected, not scanned)
    ends: list[int] = []
    for kind in KINDS:
        for match in kind.pattern.finditer(text):
            start, end = match.span(kind.group)
            at = bisect.bisect_right(starts, start)
            if start < 0 or (at and ends[at - 1] > start) or (at < len(starts) and starts[at] < end):
                continue
            value = match.group(kind.group)
            if kind.name == "phone" and not _looks_like_phone(value):
                continue
            if kind.valid(value):
                found.append((kind.name, start, end))
                starts.insert(at, start)
                ends.insert(at, end)
    return sorted(found, key=lambda item: item[1])


def _label(kind: str) -> str:
    return f"[{kind.upper()} REMOVED]"


def redact(text: str) -> tuple[str, list[str]]:
    kinds: list[str] = []
    out, last = [], 0
    for kind, start, end in find_pii(text):
        out.append(text[last:start])
        out.append(_label(kind))
        kinds.append(kind)
        last = end
    out.append(text[last:])
    return "".join(out), kinds


def redact_prefix(text: str, limit: int) -> tuple[str, list[str]]:
    """The first `limit` characters of `text`, redacted, in time bounded by `limit` whatever the
    text's length. A value that starts before the cut is redacted whole (the search reads
    PREFIX_MARGIN characters past it), so a cut never leaves part of a value readable."""
    if len(text) <= limit:
        return redact(text)
    window = text[: limit + PREFIX_MARGIN]
    kinds: list[str] = []
    out, last = [], 0
    for kind, start, end in find_pii(window):
        if start >= limit:
            break
        out.append(window[last:start])
        out.append(_label(kind))
        kinds.append(kind)
        last = end
    out.append(window[last:limit])
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
