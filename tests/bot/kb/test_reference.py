from collections.abc import Sequence

import numpy as np

from bot.embedding import local_embedder
from bot.kb.reference import QUANTILES, KBReference, reference_quantiles
from bot.kb.snapshot import KBSnapshot

# Three articles in two dimensions: each chunk's best cosine to *another* article is known exactly.
X, Y, XY = (1.0, 0.0), (0.0, 1.0), (0.6, 0.8)


def snapshot(chunks: Sequence[tuple[str, Sequence[float]]]) -> KBSnapshot:
    """Chunks as (article id, vector)."""
    metadatas = [{"article_id": a, "title": f"Title of {a}", "heading": ""} for a, _ in chunks]
    vectors = np.array([v for _, v in chunks], dtype=np.float32)
    ids = [f"{a}::{i}" for i, (a, _) in enumerate(chunks)]
    return KBSnapshot(ids, ["text"] * len(chunks), metadatas, vectors, None)


def test_the_reference_is_the_quantiles_of_each_chunks_best_cosine_to_another_article() -> None:
    # a's second chunk (X again) does not count for a: its best other is c (0.6), as for a's first;
    # b's best other is c (0.8); c's is b (0.8).
    kb = snapshot([("a", X), ("a", X), ("b", Y), ("c", XY)])
    quantiles = reference_quantiles(kb)
    assert quantiles is not None and len(quantiles) == QUANTILES
    assert np.allclose(quantiles, np.quantile([0.6, 0.6, 0.8, 0.8], np.linspace(0, 1, QUANTILES)))


def test_a_kb_of_one_article_has_no_reference() -> None:
    assert reference_quantiles(snapshot([("a", X), ("a", Y)])) is None


def test_a_large_kb_is_sampled_evenly_and_always_alike() -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(300, 8))
    kb = snapshot([(f"art{i % 40}", v / np.linalg.norm(v)) for i, v in enumerate(vectors)])
    sampled, whole = reference_quantiles(kb, limit=100), reference_quantiles(kb)
    assert sampled is not None and whole is not None
    assert np.array_equal(sampled, reference_quantiles(kb, limit=100))
    assert abs(float(np.median(sampled)) - float(np.median(whole))) < 0.05


def test_the_reference_is_computed_once_per_snapshot_and_again_when_it_changes() -> None:
    first, second = snapshot([("a", X), ("b", Y)]), snapshot([("a", X), ("b", XY)])
    serving = [first]
    reference = KBReference(lambda: serving[0])
    value = reference()
    assert value is not None and reference() is value and np.allclose(value, 0.0)
    serving[0] = second
    changed = reference()
    assert changed is not None and np.allclose(changed, 0.6)


def test_a_help_centre_whose_articles_sound_alike_has_a_higher_reference_than_a_broad_one() -> None:
    embedder = local_embedder()

    def kb(texts: list[str]) -> KBSnapshot:
        return snapshot([(f"art{i}", v) for i, v in enumerate(embedder.embed(texts))])

    narrow = kb(
        [
            "Track goals and conversions in your analytics dashboard",
            "Funnel analysis of conversions in the analytics dashboard",
            "Custom event tracking in your analytics dashboard",
        ]
    )
    broad = kb(["Return a sofa within 30 days", "Reset your account password", "Delivery times to Norway"])
    narrow_ref, broad_ref = reference_quantiles(narrow), reference_quantiles(broad)
    assert narrow_ref is not None and broad_ref is not None
    assert float(np.median(narrow_ref)) > float(np.median(broad_ref)) + 0.1


def test_rows_compared_in_blocks_give_what_one_product_gives() -> None:
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(300, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    articles = np.array([f"art{i % 40}" for i in range(300)])
    kb = snapshot(list(zip(articles.tolist(), vectors, strict=True)))
    cosines = vectors @ vectors.T  # all 300 rows at once: more than one block
    cosines[articles[:, None] == articles[None, :]] = -1.0
    expected = np.quantile(cosines.max(axis=1), np.linspace(0.0, 1.0, QUANTILES))
    assert np.allclose(reference_quantiles(kb), expected)
