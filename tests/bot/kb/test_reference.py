from collections.abc import Sequence

import numpy as np

from bot.embedding import local_embedder
from bot.kb.reference import KBReference, headings, reference_cosine
from bot.kb.snapshot import KBSnapshot

# Three articles in two dimensions: a heading's best cosine to *another* article is known exactly.
UNIT = {"x": (1.0, 0.0), "y": (0.0, 1.0), "xy": (0.6, 0.8)}


def snapshot(chunks: Sequence[tuple[str, str, np.ndarray | Sequence[float]]]) -> KBSnapshot:
    """Chunks as (article id, heading, vector)."""
    metadatas = [{"article_id": a, "title": f"Title of {a}", "heading": h} for a, h, _ in chunks]
    vectors = np.array([v for _, _, v in chunks], dtype=np.float32)
    return KBSnapshot(
        [f"{a}::{i}" for i, (a, _, _) in enumerate(chunks)], ["text"] * len(chunks), metadatas, vectors, None
    )


class Embed:
    """Each heading's vector by name; counts the calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        return np.array([UNIT[t] for t in texts], dtype=np.float32)


def test_the_reference_is_the_mean_best_cosine_of_each_heading_to_another_article() -> None:
    kb = snapshot([("a", "x", UNIT["x"]), ("b", "y", UNIT["y"]), ("c", "xy", UNIT["xy"])])
    # x's own chunk (cosine 1) does not count: its best other is c (0.6); y's is c (0.8); xy's is y (0.8).
    assert reference_cosine(kb, Embed()) == np.float32(np.mean([0.6, 0.8, 0.8]))


def test_a_kb_of_one_article_has_no_reference() -> None:
    kb = snapshot([("a", "x", UNIT["x"]), ("a", "y", UNIT["y"])])
    assert reference_cosine(kb, Embed()) is None


def test_headings_are_distinct_sorted_titles_stand_in_and_a_long_list_is_thinned_evenly() -> None:
    kb = snapshot([("b", "y", UNIT["y"]), ("a", "x", UNIT["x"]), ("a", "x", UNIT["x"]), ("c", "", UNIT["xy"])])
    assert headings(kb) == [("a", "x"), ("b", "y"), ("c", "Title of c")]
    many = snapshot([(f"art{i:03d}", "x", UNIT["x"]) for i in range(100)])
    thinned = headings(many, limit=10)
    assert len(thinned) == 10 and thinned[0] == ("art000", "x") and thinned[-1] == ("art099", "x")
    assert thinned == headings(many, limit=10)


def test_the_reference_is_computed_once_per_snapshot_and_again_when_it_changes() -> None:
    first = snapshot([("a", "x", UNIT["x"]), ("b", "y", UNIT["y"])])
    second = snapshot([("a", "x", UNIT["x"]), ("b", "xy", UNIT["xy"])])
    serving = [first]
    embed = Embed()
    reference = KBReference(lambda: serving[0], embed)
    assert reference() == reference() == 0.0 and embed.calls == 1
    serving[0] = second
    assert reference() == np.float32(0.6) and embed.calls == 2


def test_a_help_centre_whose_articles_sound_alike_has_a_higher_reference_than_a_broad_one() -> None:
    embedder = local_embedder()

    def kb(articles: dict[str, str]) -> KBSnapshot:
        texts = list(articles.values())
        vectors = embedder.embed(texts)
        return snapshot([(a, heading, v) for (a, heading), v in zip(articles.items(), vectors, strict=True)])

    narrow = kb(
        {
            "goals": "Track goals and conversions in your analytics dashboard",
            "funnels": "Funnel analysis of conversions in the analytics dashboard",
            "events": "Custom event tracking in your analytics dashboard",
        }
    )
    broad = kb(
        {
            "returns": "Return a sofa within 30 days",
            "password": "Reset your account password",
            "delivery": "Delivery times to Norway",
        }
    )
    narrow_ref, broad_ref = reference_cosine(narrow, embedder.embed), reference_cosine(broad, embedder.embed)
    assert narrow_ref is not None and broad_ref is not None
    assert narrow_ref > broad_ref + 0.1
