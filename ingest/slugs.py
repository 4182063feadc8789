"""Stable article ids from the file paths of an imported help centre.

Real help centres name files the way people write titles ("Billing and Plans/Change your
plan.md", "Rückgabe & Umtausch.md"). The id keeps the folder structure and slugs each part:

- letters lose their accents and are lowercased (ü → u, é → e; ß → ss, æ → ae, ø → o, ł → l);
- every run of other characters (spaces, punctuation, '&', '.') becomes one '-';
  ASCII letters, digits and '_' are kept; leading and trailing '-' and '_' are dropped;
- a part with no usable letter at all (a name in Greek or Chinese, say) becomes 'x' plus the
  first 8 hex digits of its SHA-1, so it is still stable.

So "Billing and Plans/Change your plan.md" → "billing-and-plans/change-your-plan". Two files
whose paths slug to the same id are both rejected (see ingest.cli.screen).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import PurePosixPath

# Letters that Unicode decomposition does not reduce to ASCII.
_FOLD = str.maketrans(
    {"ß": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l"}
    | {"đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "þ": "th", "Þ": "th", "ı": "i"}
)
_OTHER = re.compile(r"[^a-z0-9_]+")


def slug(text: str) -> str:
    """One path part as an id part: 'Change your plan' → 'change-your-plan'."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    part = _OTHER.sub("-", ascii_text).strip("-_")
    if not part and text.strip():
        return "x" + hashlib.sha1(text.encode()).hexdigest()[:8]
    return part


def path_id(relpath: str) -> str:
    """The id of a file at `relpath` (relative to the imported folder, '/'-separated)."""
    path = PurePosixPath(relpath)
    parts = [*path.parent.parts, path.stem] if path.parent != PurePosixPath(".") else [path.stem]
    return "/".join(slug(part) for part in parts)
