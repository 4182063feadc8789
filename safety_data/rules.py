"""Label rules: source category codes mapped to OpenAI labels, refined by regex rules over the text."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from safety_data.records import close_labels
from safety_data.taxonomy import LabelSpec


@dataclass(frozen=True)
class Rule:
    """Item-level refinement: if ``pattern`` matches the text (and ``when`` is one of the item's source codes or
    current labels), then drop it, replace its labels, or add labels."""

    pattern: str
    why: str
    when: str | None = None
    add: tuple[str, ...] = ()
    replace: tuple[str, ...] | None = None
    drop: bool = False


def apply_rules(text: str, codes: Iterable[str], labels: set[str], rules: Iterable[Rule]) -> set[str] | None:
    codes = set(codes)
    for rule in rules:
        if rule.when is not None and rule.when not in codes and rule.when not in labels:
            continue
        if not re.search(rule.pattern, text, flags=re.IGNORECASE):
            continue
        if rule.drop:
            return None
        if rule.replace is not None:
            labels = set(rule.replace)
        labels |= set(rule.add)
    return labels


def map_codes(
    text: str, codes: Iterable[str], table: dict[str, LabelSpec], rules: Iterable[Rule]
) -> tuple[str, ...] | None:
    """Map source category codes to OpenAI labels. Returns labels (``()`` = benign) or None (leave out)."""
    codes = list(codes)
    labels: set[str] = set()
    has_drop = False
    for code in codes:
        if code not in table:
            raise KeyError(f"no mapping for source category {code!r}")
        spec = table[code]
        if spec is None:
            has_drop = True
        else:
            labels |= set(spec)
    refined = apply_rules(text, codes, labels, rules)
    if refined is None:
        return None
    if not refined and has_drop:
        return None
    return close_labels(refined)
