"""Split an article into chunks by headings, each within a token budget.

A chunk never crosses a heading; a long section is packed block by block
(paragraph, list, table, code), and a block longer than the budget is split by
lines, then sentences. Every chunk carries its heading path.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

CHUNKER_VERSION = "2"  # bump when chunking changes, so every article is re-embedded

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_TABLE_RULE = re.compile(r"^\s*\|?[\s:|-]*-[\s:|-]*$")


@dataclass(frozen=True)
class Chunk:
    index: int
    heading: str  # "Section > Subsection", "" before the first heading
    text: str


def chunk_article(body: str, budget: int, count_tokens: Callable[[str], int]) -> list[Chunk]:
    chunks: list[Chunk] = []
    for heading, section in _sections(body):
        for text in _pack(_blocks(section), budget, count_tokens):
            chunks.append(Chunk(len(chunks), heading, text))
    return chunks


def _sections(body: str) -> list[tuple[str, str]]:
    sections: list[tuple[str, str]] = []
    path: list[tuple[int, str]] = []
    lines: list[str] = []
    in_code = False

    def flush() -> None:
        text = "\n".join(lines).strip()
        if text:
            sections.append((" > ".join(title for _, title in path), text))
        lines.clear()

    for line in body.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
        match = None if in_code else _HEADING.match(line)
        if match:
            flush()
            level = len(match.group(1))
            path[:] = [(lvl, t) for lvl, t in path if lvl < level] + [(level, match.group(2))]
        else:
            lines.append(line)
    flush()
    return sections


def _blocks(section: str) -> list[str]:
    """Paragraphs, lists, tables and code blocks, separated by blank lines (code kept whole)."""
    blocks: list[str] = []
    current: list[str] = []
    in_code = False
    for line in section.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
        if not line.strip() and not in_code:
            if current:
                blocks.append("\n".join(current))
                current = []
            continue
        current.append(line)
    if current:
        blocks.append("\n".join(current))
    return blocks


def _pack(blocks: list[str], budget: int, count: Callable[[str], int]) -> list[str]:
    out: list[str] = []
    current: list[str] = []
    used = 0
    for block in blocks:
        for piece in _split_oversized(block, budget, count):
            tokens = count(piece)
            if current and used + tokens > budget:
                out.append("\n\n".join(current))
                current, used = [], 0
            current.append(piece)
            used += tokens
    if current:
        out.append("\n\n".join(current))
    return out


def _split_oversized(block: str, budget: int, count: Callable[[str], int]) -> list[str]:
    if count(block) <= budget:
        return [block]
    lines = block.splitlines()
    if len(lines) > 3 and lines[0].lstrip().startswith("|") and _TABLE_RULE.match(lines[1]):
        return _split_table(lines, budget, count)
    units = block.splitlines() if "\n" in block else _SENTENCE_END.split(block)
    if len(units) == 1:  # one huge sentence: cut by words
        words = block.split()
        step = max(1, len(words) * budget // max(1, count(block)))
        return [" ".join(words[i : i + step]) for i in range(0, len(words), step)]
    pieces: list[str] = []
    current: list[str] = []
    sep = "\n" if "\n" in block else " "
    for unit in units:
        candidate = sep.join([*current, unit])
        if current and count(candidate) > budget:
            pieces.append(sep.join(current))
            current = []
        current.append(unit)
    if current:
        pieces.append(sep.join(current))
    out: list[str] = []
    for piece in pieces:  # a single line or sentence may still be too long
        out.extend([piece] if piece == block else _split_oversized(piece, budget, count))
    return out


def _split_table(lines: list[str], budget: int, count: Callable[[str], int]) -> list[str]:
    """Whole rows, each piece under the table's header and rule lines, so a chunk's rows keep
    their column names (a row longer than the budget stays whole)."""
    head = lines[:2]
    pieces: list[str] = []
    rows: list[str] = []
    for row in lines[2:]:
        if rows and count("\n".join([*head, *rows, row])) > budget:
            pieces.append("\n".join([*head, *rows]))
            rows = []
        rows.append(row)
    pieces.append("\n".join([*head, *rows]))
    return pieces
