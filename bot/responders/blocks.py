"""A passage as coherent blocks: a paragraph, a list or steps with their lead-in, a table.

A block is what an extractive answer quotes whole. Blocks never open on a sentence that
depends on the one before it ("They include:", "This means ...", a bare "Yes."): such a
paragraph joins the block before it, and when it opens its passage it is marked so that an
answer never starts with it (an FAQ's "Yes."/"No." is fine under the FAQ's question).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.text import LIST_MARKER

_BLANK = re.compile(r"\n\s*\n")
_FENCE = re.compile(r"^\s*(?:```|~~~)")
# Openers that point back at something said before.
_DEPENDENT = re.compile(
    r"^(?:they|these|those|this|that|it|its|such|both|either|neither|also|however|but|and|or|so|then|there|"
    r"otherwise|instead|in (?:that|this|which) case|if so|if not|for (?:this|that) reason|as a result|"
    r"in addition|besides|here|he|she|them|the (?:above|following|latter|former|same))\b",
    re.IGNORECASE,
)
_RULE = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")
_YES_NO = re.compile(r"^(?:yes|no)\b", re.IGNORECASE)


@dataclass
class Block:
    passage: int  # index into the passages
    position: int  # order within the passage
    segments: list[list[str]]  # Markdown blocks (lines), shown apart by blank lines
    openable: bool = True  # may start an answer
    vector_key: int = 0  # position of its vector among its passage's blocks
    score: float = 0.0
    features: dict[str, float] = field(default_factory=dict)
    # (passage, position) of the blocks it stands for, when it joins several (a section may
    # span several retrieved chunks of one heading)
    covers: tuple[tuple[int, int], ...] = ()
    sources: list[int] = field(default_factory=list)  # the passage of each segment (cited per segment)

    def __post_init__(self) -> None:
        self.covers = self.covers or ((self.passage, self.position),)

    def source(self, segment: int) -> int:
        """The passage the segment was quoted from."""
        return self.sources[segment] if self.sources else self.passage

    @property
    def text(self) -> str:
        return "\n\n".join("\n".join(lines) for lines in self.segments)

    @property
    def kind(self) -> str:
        last = self.segments[-1]
        if any(line.lstrip().startswith("|") for line in last):
            return "table"
        return "list" if any(LIST_MARKER.match(line) for line in last) else "prose"


def dependent(text: str) -> bool:
    """Whether a paragraph opens with words that need the sentence before it."""
    first = text.lstrip(" *_>")
    return bool(_DEPENDENT.match(first) or _YES_NO.match(first))


def faq_question(heading: str) -> str:
    """The question a chunk answers, when its heading is one ("FAQ > Can I ...?"), else ""."""
    last = heading.rsplit(" > ", 1)[-1].strip()
    return last if last.endswith("?") else ""


def blocks_of(passage: int, text: str, heading: str = "") -> list[Block]:
    raw = _segments(text)
    blocks: list[Block] = []
    lead: list[list[str]] = []  # a paragraph ending with ":" waits for the list or table it introduces
    attach = False  # the last block ends with a lead-in ("They include:"): its list joins it
    for segment in raw:
        is_items = not _FENCE.match(segment[0]) and any(
            LIST_MARKER.match(line) or line.lstrip().startswith("|") for line in segment
        )
        introduces = segment[-1].rstrip().endswith(":") and not is_items
        if attach and is_items:
            blocks[-1].segments.append(segment)
            attach = False
            continue
        if _is_list(segment) and not lead and blocks and _is_list(blocks[-1].segments[-1]):
            blocks[-1].segments[-1] = [*blocks[-1].segments[-1], *segment]  # a loose list is one list
            continue
        attach = False
        opener = segment[0]
        if dependent(opener) and not lead and not is_items:
            under_question = bool(_YES_NO.match(opener.lstrip(" *_"))) and bool(faq_question(heading))
            if not under_question:
                if blocks:
                    blocks[-1].segments.append(segment)  # "They include: ..." stays with what "they" are
                else:
                    blocks.append(Block(passage, len(blocks), [segment], openable=False))
                attach = introduces
                continue
        if introduces:
            lead.append(segment)
            continue
        blocks.append(Block(passage, len(blocks), [*lead, segment]))
        lead = []
    if lead:  # a lead-in whose list is in the next chunk: the lead-in alone
        blocks.append(Block(passage, len(blocks), lead))
    for n, block in enumerate(blocks):
        block.position = block.vector_key = n
        block.covers = ((passage, n),)
    return blocks


def _is_list(segment: list[str]) -> bool:
    return bool(LIST_MARKER.match(segment[0])) and not segment[0].lstrip().startswith("|")


def _segments(text: str) -> list[list[str]]:
    """Markdown blocks split at blank lines (code fences kept whole), each as its lines."""
    out: list[list[str]] = []
    in_code = False
    current: list[str] = []
    for line in text.splitlines():
        if _FENCE.match(line):
            in_code = not in_code
        if not in_code and _RULE.match(line):  # a thematic break ("---") separates, it says nothing
            line = ""
        if not line.strip() and not in_code:
            if current:
                out.append(current)
                current = []
            continue
        current.append(line.rstrip())
    if current:
        out.append(current)
    # A paragraph and a list or table written without a blank line between them are two blocks
    # (a list item's unindented next line continues the item, as in Markdown).
    split: list[list[str]] = []
    for segment in out:
        start, previous = 0, _line_kind(segment[0])
        in_code = previous == "code"  # a fenced code block is one piece, whatever its lines look like
        for n in range(1, len(segment)):
            if in_code:
                in_code = not _FENCE.match(segment[n])
                previous = "code" if in_code else "code-end"
                continue
            kind = _line_kind(segment[n])
            if previous != "code-end" and (
                kind == "continued" or kind == previous or (previous == "list" and kind == "prose")
            ):
                continue
            split.append(segment[start:n])
            start, previous = n, kind
            in_code = kind == "code"
        split.append(segment[start:])
    return split


def _line_kind(line: str) -> str:
    if _FENCE.match(line):
        return "code"
    if line.lstrip().startswith("|"):
        return "table"
    if LIST_MARKER.match(line):
        return "list"
    if line.startswith((" ", "\t")):
        return "continued"  # an item's wrapped line stays with its item
    return "prose"
