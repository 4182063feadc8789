"""The int8 pass bounds every cosine, and a search over its candidates ranks exactly as the float32
product over all rows does: same rows, same order, the same scores to the bit."""

from collections.abc import Callable

import numpy as np
import pytest

from bot.kb import dense
from bot.kb.dense import DenseIndex, padded_rows

Score = Callable[[np.ndarray, np.ndarray], np.ndarray]


def unit(vectors: np.ndarray) -> np.ndarray:
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def spread(rng: np.random.Generator, n: int, d: int = 384) -> np.ndarray:
    return unit(rng.normal(size=(n, d)))


def clustered(rng: np.random.Generator, n: int, d: int = 384) -> np.ndarray:
    """Noisy copies of a few hundred vectors, as bench_query fills its store: many near ties."""
    base = spread(rng, 300, d)
    return unit(base[rng.integers(0, len(base), n)] + rng.normal(0.0, 0.02, (n, d)))


def index_of(vectors: np.ndarray) -> DenseIndex:
    padded = np.zeros((padded_rows(len(vectors)), vectors.shape[1]), dtype=np.float32)
    padded[: len(vectors)] = vectors
    return DenseIndex.of(padded, len(vectors))


def ranked(rows: np.ndarray, cosine: np.ndarray, score: Score, threshold: float, k: int) -> list[tuple[int, float]]:
    """What the retriever does with the rows and cosines it is given (bot.kb.retrieval.search)."""
    scores = score(cosine, rows)
    found = np.flatnonzero(cosine >= threshold)
    if len(found) > k:
        found = found[scores[found] >= -np.partition(-scores[found], k - 1)[k - 1]]
    best = found[np.argsort(-scores[found], kind="stable")[:k]]
    return [(int(rows[i]), float(scores[i])) for i in best]


def test_the_integer_product_is_exact() -> None:
    rng = np.random.default_rng(1)
    left = rng.integers(0, 2 * dense.QUERY_LEVELS + 2, (1, 384)).astype(np.uint8)
    right = rng.integers(-dense.CODE_LEVELS, dense.CODE_LEVELS + 1, (384, 500)).astype(np.int8)
    want = left.astype(np.int64) @ right.astype(np.int64)
    assert np.array_equal(dense._integer_product(left, right), want[0])
    # the largest products the codes allow, where an int16 pair sum would saturate with 8 bits on both sides
    top = np.full((1, 384), dense.ZERO_POINT + dense.QUERY_LEVELS, dtype=np.uint8)
    for sign in (1, -1):
        extreme = np.full((384, 3), sign * dense.CODE_LEVELS, dtype=np.int8)
        assert dense._integer_product(top, extreme).tolist() == [sign * 384 * 127 * 127] * 3


@pytest.mark.parametrize("make", [spread, clustered])
def test_every_cosine_is_within_its_bound(make: Callable[[np.random.Generator, int], np.ndarray]) -> None:
    rng = np.random.default_rng(2)
    vectors = make(rng, 5000)
    index = index_of(vectors)
    for query in [vectors[7], vectors[4000], *spread(rng, 5)]:
        approx, slack = index.bounds(query)
        exact = index.cosines(query)
        assert np.all(np.abs(exact - approx) <= slack)
        assert float(slack.max()) < 0.05  # tight enough to prune: what makes the search fast


def test_exact_cosines_of_some_rows_are_those_of_the_product_over_all() -> None:
    rng = np.random.default_rng(3)
    index = index_of(spread(rng, 3001))
    query = spread(rng, 1)[0]
    every = index.cosines(query)
    for size in (1, 3, 15, 17, 64, 1001):
        rows = np.sort(rng.choice(3001, size, replace=False))
        assert np.array_equal(index.cosines(query, rows), every[rows])


def test_rows_appended_are_coded_as_in_an_index_made_whole() -> None:
    vectors = spread(np.random.default_rng(4), 1000)
    whole = index_of(vectors)
    for split in (0, 5, 16, 999):
        grown = index_of(vectors[:split]).appended(vectors[split:]) if split else index_of(vectors)
        assert grown.rows == whole.rows and np.array_equal(grown.vectors, whole.vectors)
        for name in ("codes", "steps", "code_sums", "errors", "coded_norms", "padded"):
            assert np.array_equal(getattr(grown, name), getattr(whole, name)), (split, name)


def scorers(lexical: np.ndarray) -> dict[str, Score]:
    """The retriever's three modes, the lexical part given."""
    return {
        "dense": lambda cosine, rows: cosine,
        "hybrid": lambda cosine, rows: 0.85 * cosine + (1 - 0.85) * lexical[rows],
        "bm25": lambda cosine, rows: lexical[rows],
    }


@pytest.mark.parametrize("make", [spread, clustered])
def test_candidates_rank_as_the_product_over_all_rows(make: Callable[[np.random.Generator, int], np.ndarray]) -> None:
    assert dense.SMALL < 20_000  # the int8 pass is taken
    rng = np.random.default_rng(5)
    n = 20_000
    vectors = make(rng, n)
    index = index_of(vectors)
    lexical = np.where(rng.random(n) < 0.1, rng.random(n), 0.0).astype(np.float32)  # most rows share no word
    masks = {"all": np.ones(n, dtype=bool), "a third": rng.random(n) < 0.33, "a few": rng.random(n) < 0.005}
    queries = [unit(vectors[i : i + 1] + rng.normal(0, 0.03, (1, 384)))[0] for i in (0, 11, 12345)]
    queries += list(spread(rng, 2))  # far from everything: few or no rows pass a threshold
    narrowed = 0
    for query in queries:
        for mode, score in scorers(lexical).items():
            for name, mask in masks.items():
                allowed = mask & (lexical > 0) if mode == "bm25" else mask
                for threshold in (0.0, 0.1, 0.5, 0.95):
                    for k in (1, 4, 10):
                        rows, cosine = index.candidates(query, allowed, threshold, k, score)
                        want = ranked(*index.every(query, allowed), score, threshold, k)
                        assert ranked(rows, cosine, score, threshold, k) == want, (mode, name, threshold, k)
                        narrowed += len(rows) < 0.05 * np.count_nonzero(allowed)
    assert narrowed > 100  # most searches scored a few rows exactly, not all of them


def test_an_empty_index_finds_nothing() -> None:
    index = DenseIndex.empty(384)
    rows, cosine = index.candidates(spread(np.random.default_rng(6), 1)[0], np.zeros(0, dtype=bool), 0.0, 4, scorers(
        np.zeros(0, dtype=np.float32))["dense"])  # fmt: skip
    assert len(rows) == len(cosine) == 0
