"""The offline responder: the most relevant sentences and steps of the retrieved passages, cited.

Nothing is generated, so nothing can be invented: each sentence (or list item, kept whole with
its marker) is copied from a verified passage and cited with that passage's number. Sentences
are scored by how much of the question's weight they cover (content-word stems weighted by
their rarity in the KB); the answer is built around the best one, in the order the article
gives, within a word budget. A list is kept whole when one of its steps is chosen; table rows
are quoted under their header row, as a table of their own.
"""

from __future__ import annotations

import math
import re
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bot.embedding import Embedder
from bot.kb.retrieval import Passage
from bot.responders import Answer, Exchange
from bot.text import LIST_MARKER, content_words, split_sentences

MODEL = "extractive"
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_STEP = re.compile(r"^\s*(\d{1,3})[.)]\s+")
_CODE = re.compile(r"\b(?:[A-Za-z]+-\d+|[A-Za-z]+\d+[A-Za-z\d]*|\d{3,})\b")  # CHK-310, E404, 404
_NOT_PROSE = re.compile(r"^\s*(?:```|~~~|\|?[\s:|-]*-[\s:|-]*$)")  # code fences, table rules
_TABLE_RULE = re.compile(r"^\s*\|?[\s:|-]*-[\s:|-]*$")
_BARE_REPLY = re.compile(r"^(?:yes|no)\b[^\w]*$", re.IGNORECASE)  # "Yes." on its own
_REPLY = re.compile(r"^(?:yes|no)\b", re.IGNORECASE)  # "Yes. Same-price exchanges ..."
VECTOR_CACHE_CHUNKS = 4096  # ~1.5 KB per sentence: a few MB at most
MAX_SCORED = 24  # sentences of the top article compared with the question (one embedding batch)
RELATED_SHARE = 0.7  # other sentences of the top article join the best one when they score this close
MAX_RELATED = 2  # ... but at most this many: the answer stays short
WORD_WEIGHT = 0.25  # weight of shared (rarity-weighted) words beside the cosine
MAXLIST_MARKERS = 8  # a longer list is cut to its relevant items
MAX_TABLE_ROWS = 3  # a longer table is cut to its relevant rows (always under its header row)
CODE_BONUS = 0.5  # a sentence or row naming the very code the question names ("CHK-310") comes first
SECOND_SOURCE_MARGIN = 0.1  # another article is cited too when its passage is this close (cosine) to the top one


@dataclass
class _Unit:
    passage: int  # index into the passages
    position: int  # order within the passage
    text: str
    group: int  # list group id within the passage; -1 for prose
    score: float = 0.0
    table: int = -1  # table id within the passage; -1 if not a table row
    rule: str = ""  # for a table's header row: the rule line under it ("" for any other unit)

    @property
    def is_header(self) -> bool:
        return bool(self.rule)


class ExtractiveResponder:
    model = MODEL

    def __init__(
        self, max_words: int, corpus: Callable[[], Sequence[str]] | None = None, embedder: Embedder | None = None
    ) -> None:
        """`corpus` returns the KB's chunk texts (the retriever's current snapshot), for word
        weights; `embedder`, when given, adds each sentence's cosine to the question."""
        self.max_words = max_words
        self.corpus = corpus
        self.embedder = embedder
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()  # chunk id -> its units' vectors
        self._idf: tuple[object, Callable[[str], float]] | None = None

    def idf(self, stem: str) -> float:
        if self.corpus is None:
            return 1.0
        documents = self.corpus()
        if self._idf is None or self._idf[0] is not documents:  # a new snapshot after re-ingest
            self._idf = (documents, kb_idf(documents))
        return self._idf[1](stem)

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
        weights = {stem: self.idf(stem) for stem in _terms(question)}
        total = sum(weights.values()) or 1.0
        units = [u for n, p in enumerate(passages) for u in _units(n, p.text)]
        # The retriever's ranking (dense + BM25 over whole passages) is a better judge of which
        # article answers than one sentence's overlap: the answer is built on the top article,
        # from the best sentence among its retrieved passages.
        anchor = passages[0].article_id
        headers = {(u.passage, u.table): u for u in units if u.is_header}
        units = [u for u in units if not u.is_header]  # header rows come with their rows, never alone
        candidates = [u for u in units if passages[u.passage].article_id == anchor][:MAX_SCORED]
        for unit in units:
            unit.score = sum(w for stem, w in weights.items() if stem in _terms(unit.text)) / total
        if self.embedder is not None and candidates:
            # Meaning first (all-MiniLM-L6-v2 was trained on question-answer pairs); shared rare
            # words break near-ties, e.g. an error code or a product name.
            cosines = self._sentence_vectors(candidates, passages) @ self.embedder.embed([question])[0]
            for unit, cosine in zip(candidates, cosines, strict=True):
                unit.score = max(0.0, float(cosine)) + WORD_WEIGHT * unit.score
        codes = {c.upper() for c in _CODE.findall(question)}
        for unit in candidates if codes else ():
            if codes & {c.upper() for c in _CODE.findall(unit.text)}:
                unit.score += CODE_BONUS
        best = max(candidates, key=lambda u: (u.score, -u.passage, -u.position))
        chosen = self._around(best, candidates)
        chosen.sort(key=lambda u: (_chunk_index(passages[u.passage]), u.passage, u.position))  # the article's order
        words = sum(_words(u.text) for u in chosen)
        second = self._second_source(units, passages)
        if second is not None and words + _words(second.text) <= self.max_words:
            chosen.append(second)
        questions = {n: q for n, p in enumerate(passages) if (q := faq_question(p.heading))}
        return Answer(_render(chosen, headers, questions), self.model)

    def _sentence_vectors(self, units: list[_Unit], passages: Sequence[Passage]) -> np.ndarray:
        """Embeddings of the units, cached per chunk: a chunk id names its content (it carries the
        article's content hash), so a popular article's sentences are embedded once."""
        assert self.embedder is not None
        missing = sorted({u.passage for u in units if passages[u.passage].chunk_id not in self._vectors})
        texts = [u.text for n in missing for u in _units(n, passages[n].text)]
        if texts:
            vectors = iter(self.embedder.embed(texts))
            for n in missing:
                self._vectors[passages[n].chunk_id] = np.array([next(vectors) for _ in _units(n, passages[n].text)])
            while len(self._vectors) > VECTOR_CACHE_CHUNKS:
                self._vectors.popitem(last=False)
        for n in {u.passage for u in units}:
            self._vectors.move_to_end(passages[n].chunk_id)
        return np.array([self._vectors[passages[u.passage].chunk_id][u.position] for u in units])

    def _around(self, best: _Unit, article: list[_Unit]) -> list[_Unit]:
        """The best unit, its whole list if it is a step, then the article's units that score close."""
        same_passage = [u for u in article if u.passage == best.passage]
        if best.score == 0:  # no embedder and no shared words (a pure paraphrase): the passage's lead
            picked = same_passage[:2]
        else:
            picked = [best]
            following = next((u for u in same_passage if u.position == best.position + 1), None)
            group = best.group
            if group < 0 and best.text.endswith(":") and following is not None:
                group = following.group  # "To start a return:" introduces the steps after it
            if group >= 0:
                steps = [u for u in same_passage if u.group == group]
                picked = steps if len(steps) <= MAXLIST_MARKERS else [best]
                lead_in = [u for u in same_passage if u.position == steps[0].position - 1 and u.group < 0]
                picked = lead_in + [u for u in picked if u not in lead_in]
            elif best.table >= 0:
                rows = [u for u in same_passage if u.table == best.table]
                picked = rows if len(rows) <= MAX_TABLE_ROWS else [best]
            related = [u for u in article if u.score >= RELATED_SHARE * best.score and u not in picked]
            picked += sorted(related, key=lambda u: -u.score)[:MAX_RELATED]
        out: list[_Unit] = []
        words = 0
        for unit in sorted(picked, key=lambda u: (u is not best, -u.score)):
            if out and words + _words(unit.text) > self.max_words:
                continue
            out.append(unit)
            words += _words(unit.text)
        return sorted(out, key=lambda u: (u.passage, u.position))

    @staticmethod
    def _second_source(units: list[_Unit], passages: Sequence[Passage]) -> _Unit | None:
        """The best sentence of the best-ranked passage from another article, when it is close:
        the top passage is from the wrong article often enough (about one question in five on
        our sample set) that a second, cited source is worth a sentence."""
        first = passages[0]
        others = [n for n, p in enumerate(passages) if p.article_id != first.article_id]
        if not others:
            return None
        # The closest in meaning, not the next in the hybrid ranking: when the ranking's top
        # article is wrong, the right one is most often the passage nearest the question.
        other = max(others, key=lambda n: passages[n].dense)
        if passages[other].dense < first.dense - SECOND_SOURCE_MARGIN:
            return None
        candidates = [u for u in units if u.passage == other and not u.text.endswith(":")]
        candidates = [u for u in candidates if u.group < 0] or candidates  # prose or a row first, else a step
        if not candidates:
            return None
        best = max(candidates, key=lambda u: (u.score, -u.position))
        return best if best.score > 0 else candidates[0]


def _units(passage: int, text: str) -> list[_Unit]:
    """Sentences, list items and table rows (each row whole; a header row carries its rule line)."""
    units: list[_Unit] = []
    group, in_list, table = -1, False, -1
    lines = text.splitlines()
    for n, line in enumerate(lines):
        if line.lstrip().startswith("|") and not _TABLE_RULE.match(line):
            starts = n == 0 or not lines[n - 1].lstrip().startswith("|")
            table += starts
            below = lines[n + 1] if n + 1 < len(lines) else ""
            rule = below.strip() if starts and _TABLE_RULE.match(below) and "|" in below else ""
            units.append(_Unit(passage, len(units), line.strip(), -1, table=table, rule=rule))
            continue
        if _NOT_PROSE.match(line):
            continue
        is_item = bool(LIST_MARKER.match(line))
        if is_item and not in_list:
            group += 1
        in_list = is_item or (in_list and not line.strip())
        for sentence in _replies_joined(split_sentences(line)) if not is_item else [line.strip()]:
            units.append(_Unit(passage, len(units), sentence, group if is_item else -1))
    return units


def _replies_joined(sentences: list[str]) -> list[str]:
    """A bare "Yes." or "No." goes with the sentence after it: alone it says nothing, or worse."""
    out: list[str] = []
    for sentence in sentences:
        if out and _BARE_REPLY.match(out[-1]):
            out[-1] += " " + sentence
        else:
            out.append(sentence)
    return out


def faq_question(heading: str) -> str:
    """The question a chunk answers, when its heading is one ("FAQ > Can I ...?"), else ""."""
    last = heading.rsplit(" > ", 1)[-1].strip()
    return last if last.endswith("?") else ""


def _render(units: list[_Unit], headers: dict[tuple[int, int], _Unit], questions: dict[int, str]) -> str:
    """Blocks apart by blank lines, so that Markdown shows each as it is: prose sentences joined
    into a paragraph, a list's items one per line, table rows under their header row. Each cited.
    A paragraph opening with an FAQ's "Yes"/"No" comes under the FAQ's question (`questions`, by
    passage), in italics: "Yes." is an answer only to the question it was written for."""
    blocks: list[list[str]] = []
    kind: tuple[object, ...] | None = None
    for unit in units:
        cite = f"[{unit.passage + 1}]"
        header = headers.get((unit.passage, unit.table)) if unit.table >= 0 else None
        if unit.table >= 0:
            # Rows of one table split across chunks come under one header.
            this = ("table", header.text) if header else ("table", unit.passage, unit.table)
            line = f"{unit.text[:-1].rstrip()} {cite} |" if unit.text.endswith("|") else f"{unit.text} {cite}"
        else:
            this = ("list", unit.passage, unit.group) if unit.group >= 0 else ("prose",)
            line = f"{unit.text} {cite}"
        if this != kind:
            if this[0] == "prose" and _REPLY.match(unit.text) and unit.passage in questions:
                blocks.append([f"*{questions[unit.passage]}*"])
            blocks.append([header.text, header.rule] if header else [])
            kind = this
        if this[0] == "prose" and blocks[-1]:
            blocks[-1][-1] += " " + line
        else:
            blocks[-1].append(line)
    return "\n\n".join("\n".join(_as_shown(block)) for block in blocks)


def _as_shown(block: list[str]) -> list[str]:
    """Steps quoted out of their run ("4." alone, or "2." and "5.") become bullets: Markdown
    would renumber them from the first one and show "2." and "3."."""
    numbers = [int(m[1]) for line in block if (m := _STEP.match(line))]
    if len(numbers) != len(block) or numbers == list(range(1, len(block) + 1)):
        return block
    return [_STEP.sub("- ", line, count=1) for line in block]


def _terms(text: str) -> set[str]:
    """Content-word stems, and numbers: "CHK-310" must pick the row for 310, not any CHK row."""
    return content_words(text) | set(_NUMBER.findall(text))


def _chunk_index(passage: Passage) -> int:
    """Chunk ids end in '::<n>', the chunk's place in its article (bot.kb.store)."""
    tail = passage.chunk_id.rsplit("::", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _words(text: str) -> int:
    return sum(word != "|" for word in text.split())


def kb_idf(documents: Sequence[str]) -> Callable[[str], float]:
    """Inverse document frequency of content-word stems over the KB chunks (smoothed)."""
    df: dict[str, int] = {}
    for document in documents:
        for stem in _terms(document):
            df[stem] = df.get(stem, 0) + 1
    n = len(documents)
    unseen = math.log((n + 1) / 0.5)
    return lambda stem: math.log((n + 1) / (df[stem] + 0.5)) if stem in df else unseen
