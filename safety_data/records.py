"""Dataset items, with filtering and deduplication as they are added."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from bot.safety.moderation import CATEGORIES  # OpenAI's 13 categories, one list for the project
from safety_data.taxonomy import PARENT

MAX_CHARS: Final = 2000


@dataclass
class Item:
    text: str
    source: str
    family: str
    labels: tuple[str, ...] = ()  # moderation
    label: int = 0  # injection


def close_labels(labels: Iterable[str]) -> tuple[str, ...]:
    out = set(labels)
    for lab in list(out):
        if lab not in CATEGORIES:
            raise ValueError(f"unknown category {lab!r}")
        if lab in PARENT:
            out.add(PARENT[lab])
    return tuple(c for c in CATEGORIES if c in out)


def repair_mojibake(text: str) -> str:
    """Undo UTF-8-read-as-Latin-1 damage (PromptInject's emoji prompt ships as "ð\x9f\x91¨..."), only when the
    whole text round-trips cleanly."""
    if not re.search("[\u00c2-\u00f4][\u0080-\u00bf]", text):
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def norm_key(text: str) -> str:
    """Dedup key: NFKC, case-folded, punctuation and whitespace ignored."""
    return " ".join(re.findall(r"\w+", unicodedata.normalize("NFKC", text).casefold()))


@dataclass
class Dataset:
    name: str
    split: dict[str, str]
    items: list[Item] = field(default_factory=list)
    seen: dict[str, Item] = field(default_factory=dict)
    dropped: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (family, source, reason)
    conflicts: list[tuple[Item, Item]] = field(default_factory=list)

    def add(self, item: Item) -> None:
        item.text = repair_mojibake(item.text).strip()
        key = norm_key(item.text)
        if not key:
            self.dropped[(item.family, item.source, "empty")] += 1
            return
        if len(item.text) > MAX_CHARS:
            self.dropped[(item.family, item.source, f"longer than {MAX_CHARS} chars")] += 1
            return
        if key in self.seen:
            first = self.seen[key]
            reason = "duplicate (same family)" if first.family == item.family else f"duplicate of {first.family}"
            self.dropped[(item.family, item.source, reason)] += 1
            if (first.labels, first.label) != (item.labels, item.label):
                self.conflicts.append((first, item))
            return
        self.seen[key] = item
        self.items.append(item)

    def leave_out(self, family: str, source: str, reason: str, n: int = 1) -> None:
        self.dropped[(family, source, reason)] += n
