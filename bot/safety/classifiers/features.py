"""Lexical features for the safety classifiers: TF-IDF over word 1-2 grams, in plain numpy.

The same code builds the vocabulary at training time and computes features at run time, so
the run time needs no scikit-learn.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import pairwise

import numpy as np

_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def ngrams(text: str) -> list[str]:
    words = _TOKEN.findall(text.lower())
    return words + [f"{a} {b}" for a, b in pairwise(words)]


class TfidfFeatures:
    def __init__(self, vocabulary: Sequence[str], idf: np.ndarray) -> None:
        self.vocabulary = list(vocabulary)
        self.index = {term: i for i, term in enumerate(self.vocabulary)}
        self.idf = idf.astype(np.float32)

    @classmethod
    def fit(cls, texts: Iterable[str], min_df: int = 2, max_terms: int = 6000) -> TfidfFeatures:
        docs = [set(ngrams(t)) for t in texts]
        df: Counter[str] = Counter(term for doc in docs for term in doc)
        terms = [t for t, n in df.most_common() if n >= min_df][:max_terms]
        n = len(docs)
        idf = np.array([math.log((1 + n) / (1 + df[t])) + 1 for t in terms], dtype=np.float32)
        return cls(terms, idf)

    @property
    def size(self) -> int:
        return len(self.vocabulary)

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.size), dtype=np.float32)
        for row, text in enumerate(texts):
            for term, count in Counter(ngrams(text)).items():
                j = self.index.get(term)
                if j is not None:
                    out[row, j] = (1 + math.log(count)) * self.idf[j]
            norm = float(np.linalg.norm(out[row]))
            if norm:
                out[row] /= norm
        return out
