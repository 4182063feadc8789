"""Input normalisation: NFKC, invisible and bidi characters, homoglyphs, absurd repetition.

Runs first, so that every later screen (and the model) sees what a person sees.
"""

from __future__ import annotations

import re
import unicodedata

from bot.safety.verdict import ScreenContext, Verdict

# Zero-width, joiners, word joiner, BOM, soft hyphen, Mongolian vowel separator, and the bidi
# embedding/override/isolate controls (Trojan Source): stripped outright.
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
# Other control characters except tab and newline.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Cyrillic and Greek letters that look like Latin ones. Folded only inside words that also
# contain Latin letters, so real Cyrillic or Greek text is left alone.
_CONFUSABLES = str.maketrans(
    "аеорсухіјѕԁԛԝАВЕКМНОРСТХУІЈЅαβεικνορτυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxijsdqwABEKMHOPCTXYIJSabeiknoptuxABEZHIKMNOPTYX",
)
_WORD = re.compile(r"\w+", re.UNICODE)
_LATIN = re.compile(r"[A-Za-z]")
_NON_LATIN_LETTER = re.compile(r"[^\W\d_A-Za-z]")
_REPEATED_CHAR = re.compile(r"(.)\1{4,}", re.DOTALL)  # 5+ of one char -> 3
_REPEATED_RUN = re.compile(r"(.{2,40}?)(?:\s*\1){3,}", re.DOTALL)  # a phrase 4+ times -> once
_SPACES = re.compile(r"[ \t]{2,}")
_BLANK_LINES = re.compile(r"\n{3,}")


def normalize_text(text: str) -> tuple[str, list[str]]:
    """The normalised text and what was changed (for the record)."""
    changes: list[str] = []
    out = unicodedata.normalize("NFKC", text)
    if out != text:
        changes.append("nfkc")
    stripped = _CONTROL.sub("", _INVISIBLE.sub("", out))
    if stripped != out:
        changes.append("invisible-or-control-characters")
    out = _WORD.sub(_fold_word, stripped)
    if out != stripped:
        changes.append("homoglyphs")
    collapsed = _REPEATED_RUN.sub(_once, _REPEATED_CHAR.sub(_three, out))
    if collapsed != out:
        changes.append("repetition")
    collapsed = _BLANK_LINES.sub("\n\n", _SPACES.sub(" ", collapsed)).strip()
    return collapsed, changes


# Digits are never collapsed: "4111 1111 1111 1111" is a card number for the PII screen to find,
# and "10000" a price, not padding.
def _three(match: re.Match[str]) -> str:
    return match.group(0) if match.group(1).isdigit() else match.group(1) * 3


def _once(match: re.Match[str]) -> str:
    return match.group(0) if any(c.isdigit() for c in match.group(1)) else match.group(1)


_LETTERS = re.compile(r"[^\W\d_]+")


def is_noise(text: str) -> bool:
    """Judged on the original's shape: no word in it has two different letters ("aaa", "!!!",
    what 100,000 repeated characters collapse to). Such text is noise, not a question: nothing
    for moderation to judge, so it never counts as a strike."""
    return bool(text.strip()) and not any(len(set(w.lower())) > 1 for w in _LETTERS.findall(text))


def _fold_word(match: re.Match[str]) -> str:
    word = match.group(0)
    if _LATIN.search(word) and _NON_LATIN_LETTER.search(word):
        return word.translate(_CONFUSABLES)
    return word


class NormalizeScreen:
    name = "normalize"

    def check(self, text: str, context: ScreenContext) -> Verdict:
        normalized, changes = normalize_text(text)
        return Verdict(self.name, True, normalized, reasons=tuple(changes))
