"""A CommonMark parser (markdown-it) whose link labels are found in linear time.

markdown-it scans from every `[` to the end of the paragraph when no `]` closes it, so 30 KB of
`![a` took six seconds. Here the end of every label scanned is remembered, so a label met again
inside another is jumped over, never rescanned: the result is the same, found once.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from markdown_it import MarkdownIt, helpers
from markdown_it.rules_inline import StateInline

_MEMO = "_label_ends"  # on each inline state: label start -> (its `]`, or -1; whether a link starts inside)


def markdown_parser(preset: str = "commonmark", options: dict[str, Any] | None = None) -> MarkdownIt:
    md = MarkdownIt(preset, options or {})
    md.helpers = SimpleNamespace(  # type: ignore[assignment]
        parseLinkLabel=parse_link_label,
        parseLinkDestination=helpers.parseLinkDestination,
        parseLinkTitle=helpers.parseLinkTitle,
    )
    return md


def parse_link_label(state: StateInline, start: int, disable_nested: bool = False) -> int:
    """As `markdown_it.helpers.parseLinkLabel`: the index of the `]` closing the label whose `[`
    is at `start`, or -1 (also, with `disable_nested`, when a link or image starts inside)."""
    memo: dict[int, tuple[int, bool]] = state.__dict__.setdefault(_MEMO, {})
    if start not in memo:
        _scan(state, start, memo)
    end, nested = memo[start]
    if end < 0 or end >= state.posMax or (nested and disable_nested):
        return -1
    return end


def _scan(state: StateInline, start: int, memo: dict[int, tuple[int, bool]]) -> None:
    """Scan the label at `start` and the labels nested in it, as markdown-it would, each once."""
    old_pos = state.pos
    open_labels: list[list[Any]] = [[start, False]]  # [start, whether a link or image starts inside]
    state.pos = start + 1
    while open_labels:
        if state.pos >= state.posMax:
            for label_start, nested in open_labels:
                memo[label_start] = (-1, nested)
            break
        char = state.src[state.pos]
        if char == "]":
            label_start, nested = open_labels.pop()
            memo[label_start] = (state.pos, nested)
            if open_labels:
                open_labels[-1][1] |= nested
            state.pos += 1
            continue
        before = state.pos
        state.md.inline.skipToken(state)
        if char != "[":
            continue
        if state.pos != before + 1:  # a link or image starts here
            open_labels[-1][1] = True
        elif before in memo:  # a label scanned before: jump over it
            end, nested = memo[before]
            if end < 0:
                for label_start, outer_nested in open_labels:
                    memo[label_start] = (-1, outer_nested)
                break
            open_labels[-1][1] |= nested
            state.pos = end + 1
        else:
            open_labels.append([before, False])
    state.pos = old_pos
