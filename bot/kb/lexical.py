"""BM25 over the snapshot's chunks that an ingest updates instead of rebuilding.

Scores are bm25s's Lucene variant (k1 1.5, b 0.75, idf log(1 + (N - df + 0.5) / (df + 0.5))), which
the retriever used before, computed at query time from term frequencies and the live corpus's
statistics, so that adding or removing rows needs no re-scoring of the others.

Rows are only appended; a removed row is marked dead (no score, out of the statistics: its text is
tokenized again to know its terms). Postings are in two parts: `main`, built once, and `recent`,
rebuilt from the rows appended since (whose terms are kept); the snapshot starts over with a full
build once too much is dead or recent (bot.kb.snapshot).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice

import numpy as np
import Stemmer

K1 = 1.5
B = 0.75
BATCH = 2000  # texts tokenized at a time when building
_STEMMER = Stemmer.Stemmer("english")
_EMPTY = np.zeros(0, dtype=np.int32)


def tokenize(texts: list[str]) -> list[list[str]]:
    import bm25s  # imported on first use: it brings scipy (~0.2 s), which a CLI that only plans never needs

    return bm25s.tokenize(texts, stopwords="en", stemmer=_STEMMER, return_ids=False, show_progress=False)  # type: ignore[return-value]


@dataclass(frozen=True)
class Postings:
    """For each term id, the rows holding it and how often (column-compressed)."""

    indptr: np.ndarray  # (terms + 1,) int64
    rows: np.ndarray  # int32
    tfs: np.ndarray  # float32

    @classmethod
    def of(cls, terms: list[np.ndarray], tfs: list[np.ndarray], first_row: int) -> Postings:
        """Postings of rows `first_row`, `first_row + 1`, ... holding `terms[i]` `tfs[i]` times."""
        if not terms:
            return cls(np.zeros(1, dtype=np.int64), _EMPTY, np.zeros(0, dtype=np.float32))
        return cls.flat(np.concatenate(terms), np.concatenate(tfs), np.array([len(t) for t in terms]), first_row)

    @classmethod
    def flat(cls, terms: np.ndarray, tfs: np.ndarray, per_row: np.ndarray, first_row: int) -> Postings:
        """The same from the rows' term ids and counts one after the other, `per_row[i]` for row i."""
        rows = np.repeat(np.arange(first_row, first_row + len(per_row), dtype=np.int32), per_row)
        order = np.argsort(terms, kind="stable")
        counts = np.bincount(terms, minlength=int(terms.max(initial=-1)) + 1)
        indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        rows = rows[order]
        return cls(indptr, rows, tfs[order])

    def column(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        if term + 1 >= len(self.indptr):
            return _EMPTY, _EMPTY
        start, end = self.indptr[term], self.indptr[term + 1]
        return self.rows[start:end], self.tfs[start:end]


@dataclass(frozen=True)
class LexicalIndex:
    vocab: dict[str, int]
    recent_terms: list[np.ndarray]  # per row from `main_rows` on: its distinct term ids
    recent_tfs: list[np.ndarray]  # and how often each occurs
    lengths: np.ndarray  # (rows,) tokens per row
    live: np.ndarray  # (rows,) False once removed
    df: np.ndarray  # (terms,) live rows holding each term
    main: Postings  # rows below `main_rows`
    recent: Postings  # rows from `main_rows` on
    main_rows: int

    def __post_init__(self) -> None:
        # The corpus statistics every query needs, once per index.
        live_rows = int(np.count_nonzero(self.live))
        average = float(self.lengths[self.live].sum()) / live_rows if live_rows else 0.0
        norm = K1 * (1 - B + B * self.lengths / average) if average else np.ones(len(self.lengths))
        object.__setattr__(self, "_live_rows", live_rows)
        object.__setattr__(self, "_norm", norm.astype(np.float32))

    @property
    def rows(self) -> int:
        return len(self.lengths)

    @property
    def dead(self) -> int:
        return int(self.rows - np.count_nonzero(self.live))

    @classmethod
    def build(cls, texts: Iterable[str]) -> LexicalIndex:
        vocab: dict[str, int] = {}
        terms: list[np.ndarray] = []  # per batch, its rows' term ids one after the other
        tfs: list[np.ndarray] = []
        per_row: list[np.ndarray] = []
        counts: list[np.ndarray] = []
        source = iter(texts)
        while batch_texts := list(islice(source, BATCH)):  # a token list per text for all at once cost 0.5 GB
            batch = _count(tokenize(batch_texts), vocab)
            terms.append(np.concatenate(batch[0]) if batch[0] else _EMPTY)  # an array per row cost 70 MB
            tfs.append(np.concatenate(batch[1]) if batch[1] else np.zeros(0, dtype=np.float32))
            per_row.append(np.array([len(t) for t in batch[0]], dtype=np.int64))
            counts.append(batch[2])
        lengths = np.concatenate(counts) if counts else np.zeros(0, dtype=np.float32)
        if not counts:
            return cls(vocab, [], [], lengths, np.ones(0, dtype=bool), np.zeros(0, dtype=np.int64),
                       Postings.of([], [], 0), Postings.of([], [], 0), 0)  # fmt: skip
        flat = np.concatenate(terms)
        del terms
        df = np.bincount(flat, minlength=len(vocab)).astype(np.int64)
        main = Postings.flat(flat, np.concatenate(tfs), np.concatenate(per_row), 0)
        return cls(
            vocab, [], [], lengths, np.ones(len(lengths), dtype=bool), df,
            main, Postings.of([], [], 0), len(lengths),
        )  # fmt: skip

    def updated(self, removed: np.ndarray, removed_texts: list[str], texts: list[str]) -> LexicalIndex:
        """A new index: live rows `removed` (whose texts were `removed_texts`) dead, `texts` appended
        as new rows. This one is left as it was (queries may be using it)."""
        if not self.live[removed].all() or len(removed) != len(removed_texts):
            raise ValueError("removed rows must be live, with their texts")
        vocab = dict(self.vocab)
        terms, tfs, lengths = _count(tokenize(texts), vocab)
        gone, _, _ = _count(tokenize(removed_texts), vocab)
        live = np.concatenate([self.live, np.ones(len(texts), dtype=bool)])
        live[removed] = False
        df = np.zeros(len(vocab), dtype=np.int64)
        df[: len(self.df)] = self.df
        if gone:
            np.subtract.at(df, np.concatenate(gone), 1)
        if terms:
            np.add.at(df, np.concatenate(terms), 1)
        recent_terms, recent_tfs = self.recent_terms + terms, self.recent_tfs + tfs
        return LexicalIndex(
            vocab, recent_terms, recent_tfs, np.concatenate([self.lengths, lengths]), live, df,
            self.main, Postings.of(recent_terms, recent_tfs, self.main_rows), self.main_rows,
        )  # fmt: skip

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every row for the query (zero for dead rows and when no word is known)."""
        scores = np.zeros(self.rows, dtype=np.float32)
        live_rows: int = self._live_rows  # type: ignore[attr-defined]
        norm: np.ndarray = self._norm  # type: ignore[attr-defined]
        for token in tokenize([query])[0]:
            term = self.vocab.get(token)
            if term is None or not self.df[term]:
                continue
            df = int(self.df[term])
            idf = math.log(1 + (live_rows - df + 0.5) / (df + 0.5))
            for part in (self.main, self.recent):
                rows, tfs = part.column(term)
                scores[rows] += np.float32(idf) * tfs / (norm[rows] + tfs)
        scores[~self.live] = 0.0
        return scores


def _count(tokens: list[list[str]], vocab: dict[str, int]) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    """Per text: distinct term ids (new words added to `vocab`), their counts; and token counts."""
    terms: list[np.ndarray] = []
    tfs: list[np.ndarray] = []
    for words in tokens:
        counted = Counter(words)
        ids = (vocab.setdefault(word, len(vocab)) for word in counted)
        terms.append(np.fromiter(ids, dtype=np.int32, count=len(counted)))
        tfs.append(np.fromiter(counted.values(), dtype=np.float32, count=len(counted)))
    return terms, tfs, np.array([len(words) for words in tokens], dtype=np.float32)
