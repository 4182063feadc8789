"""The offline responder: the block of the help centre that answers, quoted whole and cited.

Nothing is generated, so nothing can be invented. The unit of an answer is a coherent block
(bot.responders.blocks): a paragraph, a list or steps with their lead-in, or a table, shown
under its heading path (an FAQ entry under its question) and quoted whole within a token
budget; a list or table too long for it is cut at an item boundary with "…" and a link.

Blocks are ranked by what the question asks for (bot.responders.asks), not only by the words
they share with it: the cosine of the block to the question, the question's rare words that
the block's heading or prose holds (a word matched only inside a list item or an example
counts for less: "sofa" in "sofas in a fabric you choose" is an example, not the answer),
whether the block holds the kind of answer asked for (a duration, an amount, steps, a list,
a condition), and the retriever's ranking of its passage. A second block is quoted only when
it answers a part of the question that the first does not.
"""

from __future__ import annotations

import math
import re
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from bot.embedding import Embedder
from bot.kb.retrieval import Passage
from bot.responders import Answer, Exchange
from bot.responders.asks import Kind, Part, answers, kinds_of, parts_of
from bot.responders.blocks import Block, blocks_of, faq_question
from bot.text import LIST_MARKER, content_words, split_sentences

MODEL = "extractive"
HEADING_SEPARATOR = " › "  # between the title and the headings shown over a block
MORE = "…"  # where a block was cut; a link to the article follows
StoredBlocks = Callable[[Mapping[str, Sequence[str]]], Mapping[str, list[np.ndarray | None]]]
VECTOR_CACHE_CHUNKS = 4096  # a few blocks of ~1.5 KB each per chunk: a few MB at most
WORD_WEIGHT = 0.5  # weight of the question's (rarity-weighted) words the block holds, beside the cosine
EXAMPLE_SHARE = 0.4  # a word found only in a list item or an example "(for example ...)" counts this much
KIND_WEIGHT = 0.12  # the block holds the kind of answer asked for (a duration, an amount, steps ...)
RANK_WEIGHT = 0.6  # the retriever's hybrid score of the block's passage, relative to the top one
FAQ_WEIGHT = 0.3  # an FAQ entry's question words that the user's question lacks, against its block
PART_FLOOR = 0.3  # a second block must score this for the part it answers
EVERY_KIND = True  # a one-part question too gets a second block for the kind of answer it asks for
WHOLE_SECTION = True  # quote the best block's whole section when it fits the budget
PART_COVERED = 0.5  # a part whose rare words the answer holds to this share is answered
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_BARE_REPLY = re.compile(r"^(?:yes|no)\b[^\w]*$", re.IGNORECASE)  # "Yes." on its own
_FENCE = re.compile(r"^\s*(?:```|~~~)")
_LEAD_IN = re.compile(r":\s*\[\d{1,2}\]$")
_STEP = re.compile(r"^\s*(\d{1,3})[.)]\s+")
_TABLE_RULE = re.compile(r"^\s*\|?[\s:|-]*-[\s:|-]*$")
_EXAMPLE = re.compile(r"\((?:for example|e\.g\.|such as|like)[^)]*\)|\b(?:for example|e\.g\.|such as)\b[^.;:]*", re.I)


@dataclass(frozen=True)
class Ranking:
    """The blocks of the retrieved passages, best first, scored for one question."""

    question: str
    parts: list[Part]
    blocks: list[Block]  # best first; blocks that may not open an answer are kept for their words
    passages: Sequence[Passage]
    reach: float = 0.0  # rarity-weighted share of the question's words that some passage holds
    unknown: float = 0.0  # rarity-weighted share of the question's words that no KB chunk holds
    # the rarest question word that the best block's article (as retrieved) lacks, its idf relative
    # to a word no chunk holds: "police" in "do you give my data to the police" (0 when none is missing)
    missing: float = 0.0

    @property
    def best(self) -> Block | None:
        return next((b for b in self.blocks if b.openable), None)


class ExtractiveResponder:
    model = MODEL

    def __init__(
        self,
        max_tokens: int,
        corpus: Callable[[], Sequence[str]] | None = None,
        embedder: Embedder | None = None,
        count_tokens: Callable[[str], int] | None = None,
        stored_blocks: StoredBlocks | None = None,
    ) -> None:
        """`corpus` returns the KB's chunk texts (the retriever's current snapshot), for word
        weights; `embedder`, when given, adds each block's cosine to the question;
        `count_tokens` measures the budget (by default ~4 tokens for 3 words);
        `stored_blocks` gives the block vectors ingest stored (bot.kb.blocks.BlockVectors)."""
        self.max_tokens = max_tokens
        self.corpus = corpus
        self.embedder = embedder
        self.count = count_tokens or _approximate_tokens
        self.stored_blocks = stored_blocks
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()  # chunk id -> its blocks' vectors
        self._idf: tuple[object, Callable[[str], float]] | None = None
        self._last: tuple[tuple[str, tuple[str, ...]], Ranking] | None = None
        self._unseen = math.inf  # the idf of a stem no chunk holds

    def idf(self, stem: str) -> float:
        if self.corpus is None:
            return 1.0
        documents = self.corpus()
        if self._idf is None or self._idf[0] is not documents:  # a new snapshot after re-ingest
            self._idf = (documents, kb_idf(documents))
            self._unseen = math.log((len(documents) + 1) / 0.5)  # as kb_idf gives a stem no chunk holds
        return self._idf[1](stem)

    def known(self, stem: str) -> bool:
        """Whether some KB chunk holds the stem (always, without a corpus)."""
        return self.corpus is None or self.idf(stem) < self._unseen

    def rank(self, question: str, passages: Sequence[Passage]) -> Ranking:
        """Every block of the passages scored for the question (the last ranking is reused: the
        bands (bot.bands) and the answer rank the same question)."""
        key = (question, tuple(p.chunk_id for p in passages))
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        parts = parts_of(question)
        blocks = [b for n, p in enumerate(passages) for b in blocks_of(n, p.text, p.heading)]
        cosines = self._cosines(question, blocks, passages)
        terms = _terms(question)
        kinds = kinds_of(question)
        top = passages[0].score if passages else 0.0
        for block, cosine in zip(blocks, cosines, strict=True):
            passage = passages[block.passage]
            coverage = self._coverage(terms, block, passage)
            kind = sum(answers(k, block.text) for k in kinds) / len(kinds) if kinds else 0.0
            rank = passage.score - top
            heading = self._share(terms, _terms(f"{passage.title} {passage.heading}"))

            # An FAQ entry answers its own question: the specifics it asks about that the user did
            # not ("a custom sofa that doesn't fit through my door") make its answer someone else's.
            asked = faq_question(passage.heading)
            off = 1.0 - self._share(_terms(asked), terms) if asked else 0.0
            block.features = {
                "cosine": cosine,
                "coverage": coverage,
                "kind": kind,
                "rank": rank,
                "heading": heading,
                "faq_off": off,
            }
            block.score = cosine + WORD_WEIGHT * coverage + KIND_WEIGHT * kind + RANK_WEIGHT * rank - FAQ_WEIGHT * off
        ranked = sorted(blocks, key=lambda b: (-b.score, b.passage, b.position))
        weights = {t: self.idf(t) for t in terms}
        total = sum(weights.values()) or 1.0
        held = set().union(*(_terms(f"{p.title} {p.heading} {p.text}") for p in passages)) if passages else set()
        reach = sum(w for t, w in weights.items() if t in held) / total
        unknown = sum(w for t, w in weights.items() if not self.known(t)) / total
        best = next((b for b in ranked if b.openable), None)
        missing = 0.0
        if best is not None and weights:
            article = passages[best.passage].article_id
            own = _terms(" ".join(f"{p.title} {p.heading} {p.text}" for p in passages if p.article_id == article))
            lacking = [w for t, w in weights.items() if t not in own]
            missing = min(1.0, max(lacking, default=0.0) / self._unseen) if math.isfinite(self._unseen) else 0.0
        ranking = Ranking(question, parts, ranked, passages, reach, unknown, missing)
        self._last = (key, ranking)
        return ranking

    def respond(
        self,
        question: str,
        topic: str,
        passages: Sequence[Passage],
        history: Sequence[Exchange] = (),
        *,
        canary: str = "",
        safety_identifier: str = "",
    ) -> Answer:
        if not passages:
            return Answer("", self.model, not_in_kb=True)
        ranking = self.rank(question, passages)
        best = ranking.best
        if best is None:
            return Answer("", self.model, not_in_kb=True)
        chosen = [self._section(best, ranking)] if WHOLE_SECTION else [best]
        # Every part of the question answered: one with a kind the first block lacks ("which cards"
        # answered by a block without the list of cards) gets the best block that has it.
        for part in ranking.parts if len(ranking.parts) > 1 or EVERY_KIND else ():
            if not self._covered(part, chosen, passages):
                extra = self._block_for(part, ranking, chosen)
                if extra is not None:
                    chosen.append(extra)
        budget = self.max_tokens
        shown: list[str] = []
        for n, block in enumerate(chosen):
            # The first block may use the whole budget; a second one gets what is left, at least half.
            allowance = budget if n == 0 else max(budget - sum(self.count(s) for s in shown), budget // 2)
            shown.append(self._render(block, passages[block.passage], allowance, frozenset(_terms(question))))
        return Answer("\n\n".join(shown), self.model)

    def _share(self, terms: set[str], held: set[str]) -> float:
        """Rarity-weighted share of `terms` in `held`."""
        weights = {t: self.idf(t) for t in terms}
        total = sum(weights.values())
        return sum(w for t, w in weights.items() if t in held) / total if total else 0.0

    def _coverage(self, terms: set[str], block: Block, passage: Passage) -> float:
        """Rarity-weighted share of the question's terms that the block holds: in its title,
        heading or prose fully; only in a list item, a table row or an example, in part."""
        weights = {t: self.idf(t) for t in terms}
        total = sum(weights.values())
        if not total:
            return 0.0
        main, examples = _main_and_examples(block)
        strong = _terms(f"{passage.title} {passage.heading} {main}")
        weak = _terms(examples)
        held = sum(w * (1.0 if t in strong else EXAMPLE_SHARE if t in weak else 0.0) for t, w in weights.items())
        return held / total

    def _section(self, best: Block, ranking: Ranking) -> Block:
        """The best block's section read together: its heading's blocks in order, across the
        retrieved chunks of that heading (ingest splits a section into chunks of its own budget),
        from its first openable one when that fits the budget up to the best block (what a section
        opens with defines what follows), else from the best block on. The render cuts the rest
        at an item or sentence boundary."""
        order = {n: k for k, n in enumerate(_section_run(best.passage, ranking.passages))}
        own = sorted((b for b in ranking.blocks if b.passage in order), key=lambda b: (order[b.passage], b.position))
        start = next(k for k, b in enumerate(own) if b.openable)
        run = own[start:]
        size = [sum(self.count(line) for segment in b.segments for line in segment) for b in own]
        if sum(size[start:]) + 8 > self.max_tokens and sum(size[start : own.index(best) + 1]) + 8 > self.max_tokens:
            run = own[own.index(best) :]  # the section's opening and the best block do not fit together
        if len(run) == 1:
            return best
        return Block(
            best.passage,
            run[0].position,
            [segment for b in run for segment in b.segments],
            True,
            best.vector_key,
            best.score,
            best.features,
            tuple(pair for b in run for pair in b.covers),
            [b.source(n) for b in run for n in range(len(b.segments))],
        )

    def _covered(self, part: Part, chosen: list[Block], passages: Sequence[Passage]) -> bool:
        texts = [f"{passages[b.passage].title} {passages[b.passage].heading} {b.text}" for b in chosen]
        decisive = part.kinds - {Kind.CONDITION}  # nearly every block states some condition
        if decisive:
            return all(any(answers(k, t) for t in texts) for k in decisive)
        weights = {t: self.idf(t) for t in part.words}
        total = sum(weights.values())
        held = _terms(" ".join(texts))
        return not total or sum(w for t, w in weights.items() if t in held) / total >= PART_COVERED

    def _block_for(self, part: Part, ranking: Ranking, chosen: list[Block]) -> Block | None:
        """The best block for one part of the question, if one answers it well enough."""
        decisive = part.kinds - {Kind.CONDITION}
        best: tuple[float, Block] | None = None
        for block in ranking.blocks:
            if not block.openable or any((block.passage, block.position) in c.covers for c in chosen):
                continue
            if decisive and not all(answers(k, block.text) for k in decisive):
                continue
            passage = ranking.passages[block.passage]
            score = block.features["cosine"] + WORD_WEIGHT * self._coverage(set(part.words), block, passage)
            score += RANK_WEIGHT * block.features["rank"] - FAQ_WEIGHT * block.features["faq_off"]
            if best is None or score > best[0]:
                best = (score, block)
        return best[1] if best and best[0] >= PART_FLOOR else None

    def _render(self, block: Block, passage: Passage, budget: int, terms: frozenset[str] = frozenset()) -> str:
        """The block under its heading, cited, within `budget` tokens. A list or table too long
        for it keeps its items that share the most of the question's `terms` (all of them if
        none does: the first ones), a paragraph its first sentences; "…" and a link follow."""
        heading = f"**{_heading(passage)}**"
        used = self.count(heading)
        out: list[str] = [heading]
        cut = False
        for n, segment in enumerate(block.segments):
            lines = _segment_lines(segment, f"[{block.source(n) + 1}]")
            if used + sum(self.count(line) for line in lines) > budget:
                lines = self._relevant(lines, terms, budget - used)
                if n and sum(self.count(line) for line in lines) > budget - used:
                    lines = []  # not even one item of a later segment fits: it stays out whole
                cut = True
            if lines:
                used += sum(self.count(line) for line in lines)
                out.append("\n".join(_as_shown(lines)) if not _is_table(lines) else "\n".join(lines))
            if cut:
                break
        if cut and len(out) > 2 and _LEAD_IN.search(out[-1]):
            out.pop()  # "To start a return:" without the steps it introduces
        if cut:
            out.append(f"{MORE} [more in “{passage.title}”]({passage.url})")
        return "\n\n".join(out)

    def _relevant(self, lines: list[str], terms: frozenset[str], room: int) -> list[str]:
        """The lines that fit in `room` tokens, whole: a table's header first, then the items
        sharing the most rare words with the question, in their order (at least one line)."""
        head = lines[:2] if _is_table(lines) and len(lines) > 2 and _TABLE_RULE.match(lines[1]) else []
        items = lines[len(head) :]
        weight = {n: sum(self.idf(t) for t in terms & _terms(line)) for n, line in enumerate(items)}
        by_relevance = (head or any(LIST_MARKER.match(line) for line in items)) and any(weight.values())
        order = sorted(range(len(items)), key=lambda n: -weight[n]) if by_relevance else range(len(items))
        room -= sum(self.count(line) for line in head)
        kept: list[int] = []
        for n in order:
            cost = self.count(items[n])
            if kept and cost > room:
                break
            kept.append(n)
            room -= cost
        return head + [items[n] for n in sorted(kept)]

    def _cosines(self, question: str, blocks: list[Block], passages: Sequence[Passage]) -> list[float]:
        if self.embedder is None or not blocks:
            return [0.0] * len(blocks)
        vectors = self._block_vectors(blocks, passages)
        return [max(0.0, float(c)) for c in vectors @ self.embedder.embed([question])[0]]

    def _block_vectors(self, blocks: list[Block], passages: Sequence[Passage]) -> np.ndarray:
        """Embeddings of the blocks (each under its heading): those ingest stored, else embedded
        here; cached per chunk: a chunk id names its content (it carries the article's content
        hash), so a popular chunk is looked up once."""
        assert self.embedder is not None
        by_passage: dict[int, list[Block]] = {}
        for block in blocks:
            by_passage.setdefault(block.passage, []).append(block)
        missing = [n for n in by_passage if passages[n].chunk_id not in self._vectors]
        wanted = {passages[n].chunk_id: [_embedded_text(passages[n], b) for b in by_passage[n]] for n in missing}
        found = self.stored_blocks(wanted) if self.stored_blocks is not None and wanted else {}
        rows = {cid: list(found.get(cid) or [None] * len(texts)) for cid, texts in wanted.items()}
        gaps = [(cid, i) for cid, row in rows.items() for i, vector in enumerate(row) if vector is None]
        if gaps:  # a store from before block vectors, or blocks cut differently since
            for (cid, i), vector in zip(gaps, self.embedder.embed([wanted[c][i] for c, i in gaps]), strict=True):
                rows[cid][i] = vector
        for cid, row in rows.items():
            self._vectors[cid] = np.array(row)
        while len(self._vectors) > VECTOR_CACHE_CHUNKS:
            self._vectors.popitem(last=False)
        for n in by_passage:
            self._vectors.move_to_end(passages[n].chunk_id)
        return np.array([self._vectors[passages[b.passage].chunk_id][b.vector_key] for b in blocks])


def block_texts(title: str, heading: str, text: str) -> list[str]:
    """What `_block_vectors` embeds for each block of a chunk: ingest stores these vectors."""
    passage = Passage("", "", title, "", heading, text, 0.0, 0.0, 0.0)
    return [_embedded_text(passage, block) for block in blocks_of(0, text, heading)]


def _chunk_number(chunk_id: str) -> int | None:
    """The chunk's place in its article ("article::hash::3" -> 3), if its id says."""
    last = chunk_id.rsplit("::", 1)[-1]
    return int(last) if last.isdigit() and "::" in chunk_id else None


def _section_run(n: int, passages: Sequence[Passage]) -> list[int]:
    """The retrieved passages of passage n's section (same article and heading, consecutive
    chunks), in their order in the article: n alone when no other chunk of it was retrieved."""
    here = passages[n]
    number = _chunk_number(here.chunk_id)
    if number is None:
        return [n]
    by_number = {
        _chunk_number(p.chunk_id): k
        for k, p in enumerate(passages)
        if p.article_id == here.article_id
        and p.heading == here.heading
        and p.chunk_id.rsplit("::", 1)[0] == here.chunk_id.rsplit("::", 1)[0]
    }
    first = number
    while first - 1 in by_number:
        first -= 1
    last = number
    while last + 1 in by_number:
        last += 1
    return [by_number[k] for k in range(first, last + 1)]


def _heading(passage: Passage) -> str:
    """What a block is shown under: an FAQ's question, else the title and the heading path."""
    question = faq_question(passage.heading)
    if question:
        return question
    path = [passage.title, *(h.strip() for h in passage.heading.split(" > ") if h.strip())]
    return HEADING_SEPARATOR.join(part for part in path if part)


def _embedded_text(passage: Passage, block: Block) -> str:
    """What a block's cosine is measured on: its heading and prose (lead-ins included), without
    its list items and examples when it has prose: what a section says, not what it lists."""
    main = _main_and_examples(block)[0].strip()
    return f"{_heading(passage)}\n{main or block.text}"


def _segment_lines(segment: list[str], cite: str) -> list[str]:
    """A segment's lines as quoted, each item, row or paragraph with its citation marker."""
    if _FENCE.match(segment[0]):
        return ["\n".join(segment)]  # code whole and as written: a marker inside would be code
    if _is_table(segment):
        return [line if _TABLE_RULE.match(line) or n == 0 else _cite_row(line, cite) for n, line in enumerate(segment)]
    if any(LIST_MARKER.match(line) for line in segment):
        items: list[str] = []
        for line in segment:
            if LIST_MARKER.match(line) or not items:
                items.append(line.strip())
            else:
                items[-1] += " " + line.strip()  # an item's wrapped lines
        return [f"{item} {cite}" for item in items]
    paragraph = " ".join(line.strip() for line in segment)
    sentences: list[str] = []
    for sentence in split_sentences(paragraph):
        if sentences and _BARE_REPLY.match(sentences[-1]):
            sentences[-1] += " " + sentence  # "Yes." goes with the sentence after it
        else:
            sentences.append(sentence)
    return [f"{sentence} {cite}" for sentence in sentences]


def _cite_row(line: str, cite: str) -> str:
    stripped = line.strip()
    return f"{stripped[:-1].rstrip()} {cite} |" if stripped.endswith("|") else f"{stripped} {cite}"


def _is_table(lines: list[str]) -> bool:
    return bool(lines) and all(line.lstrip().startswith("|") for line in lines)


def _as_shown(lines: list[str]) -> list[str]:
    """A paragraph's sentences on one line; steps quoted out of their run ("4." alone, or "2."
    and "5.") become bullets: Markdown would renumber them from the first one."""
    if not any(LIST_MARKER.match(line) for line in lines):
        return [" ".join(lines)]
    numbers = [int(m[1]) for line in lines if (m := _STEP.match(line))]
    if len(numbers) != len(lines) or numbers == list(range(1, len(lines) + 1)):
        return lines
    return [_STEP.sub("- ", line, count=1) for line in lines]


def _main_and_examples(block: Block) -> tuple[str, str]:
    """The block's prose and lead-ins, and its list items, table rows and examples."""
    main: list[str] = []
    examples: list[str] = []
    for segment in block.segments:
        for line in segment:
            if LIST_MARKER.match(line) or line.lstrip().startswith("|"):
                examples.append(line)
            else:
                examples.extend(m.group(0) for m in _EXAMPLE.finditer(line))
                main.append(_EXAMPLE.sub(" ", line))
    return " ".join(main), " ".join(examples)


def _terms(text: str) -> set[str]:
    """Content-word stems, and numbers: "CHK-310" must pick the row for 310, not any CHK row."""
    return content_words(text) | set(_NUMBER.findall(text))


def _approximate_tokens(text: str) -> int:
    return math.ceil(len(text.split()) * 4 / 3)


def kb_idf(documents: Sequence[str]) -> Callable[[str], float]:
    """Inverse document frequency of content-word stems over the KB chunks (smoothed)."""
    df: dict[str, int] = {}
    for document in documents:
        for stem in _terms(document):
            df[stem] = df.get(stem, 0) + 1
    n = len(documents)
    unseen = math.log((n + 1) / 0.5)
    return lambda stem: math.log((n + 1) / (df[stem] + 0.5)) if stem in df else unseen
