import pytest

from bot.bands import SAMPLE_REFERENCE, Band, band_verdict, confidence, decide, percentile, suggest, suggestion_text
from bot.kb.retrieval import Passage
from bot.responders.extractive import ExtractiveResponder


def passage(article: str, text: str, heading: str = "", dense: float = 0.6, n: int = 0) -> Passage:
    url = f"https://kb.example/{article}"
    return Passage(f"{article}::{n}", article, article.title(), url, heading, text, dense, dense, 0.5)


PASSAGES = [
    passage("returns", "You can return most items within 30 days of delivery. Refunds take 5 days.", "Return window"),
    passage("returns", "Large items are collected for a fee of 39 EUR.", "Collection", n=1),
    passage("delivery", "Standard delivery takes 3 to 5 working days.", "Delivery times", dense=0.5),
    passage("gift-cards", "Gift cards can't be returned.", "", dense=0.45),
    passage("plus", "Plus members get free delivery.", "", dense=0.4),
]


def ranking(question: str = "how long do I have to return a chair?"):  # type: ignore[no-untyped-def]
    return ExtractiveResponder(160).rank(question, PASSAGES)


def test_the_confidence_grows_with_every_feature() -> None:
    low = {"dense_kb": 0.4, "cosine_kb": 0.4, "coverage": 0.2, "kind": 0.0, "reach": 0.5, "unknown": 0.0}
    for name in ("dense_kb", "cosine_kb", "coverage"):
        assert confidence({**low, name: low[name] + 0.3}) > confidence(low), name
    assert 0.0 < confidence(low) < 1.0


def test_three_bands_by_the_two_thresholds() -> None:
    r = ranking()
    score = decide(r, 1.0, 0.0).confidence
    answered = decide(r, score, 0.0)
    suggested = decide(r, score + 1e-6, score)
    declined = decide(r, 1.0, score + 1e-6)
    assert (answered.band, suggested.band, declined.band) == (Band.ANSWERED, Band.SUGGESTED, Band.NOT_IN_KB)
    assert suggested.confidence == answered.confidence == declined.confidence


def test_suggestions_are_one_per_article_best_first_at_most_three_each_with_a_line() -> None:
    suggestions = suggest(ranking())
    assert len(suggestions) == 3
    assert len({s.article_id for s in suggestions}) == 3
    assert suggestions[0].article_id == "returns"
    assert suggestions[0].line == "You can return most items within 30 days of delivery."
    assert suggestions[0].url == "https://kb.example/returns" and suggestions[0].heading == "Return window"


def test_without_passages_the_band_is_not_in_kb() -> None:
    empty = ExtractiveResponder(160).rank("anything", [])
    assert decide(empty, 0.0, 0.0).band is Band.NOT_IN_KB


def test_the_band_is_recorded_with_its_features_and_closest_articles() -> None:
    banding = decide(ranking(), 1.0, 0.0)
    verdict = band_verdict(banding)
    assert verdict.screen == "bands" and not verdict.ok
    assert verdict.reasons[0] == "suggested" and "closest:returns" in verdict.reasons
    assert {"confidence", "dense", "cosine", "coverage", "kind"} <= set(verdict.scores)


def test_the_suggestion_text_opens_with_the_intro_then_links_each_article_with_its_line() -> None:
    text = suggestion_text(suggest(ranking()))
    lines = text.splitlines()
    assert lines[0].startswith("I'm not sure our help centre answers this exactly.")
    assert lines[2] == (
        "- [Returns › Return window](https://kb.example/returns): You can return most items within 30 days of delivery."
    )


def test_cosines_are_read_as_percentiles_of_the_kb_reference() -> None:
    reference = [0.2, 0.4, 0.6]  # quantiles 0, 50, 100 %
    got = [percentile(c, reference) for c in (0.1, 0.2, 0.3, 0.4, 0.6, 0.9)]
    assert got == pytest.approx([0.0, 0.0, 0.25, 0.5, 1.0, 1.0])
    # Without a reference the KB is read as the sample KB, on which the weights were calibrated.
    assert percentile(0.6) == percentile(0.6, SAMPLE_REFERENCE)


def test_the_same_match_is_less_confident_in_a_kb_whose_articles_all_score_high() -> None:
    r = ranking()
    broad_kb = [c - 0.1 for c in SAMPLE_REFERENCE]
    narrow_kb = [c + 0.1 for c in SAMPLE_REFERENCE]
    broad, sample, narrow = (decide(r, 1.0, 0.0, reference) for reference in (broad_kb, None, narrow_kb))
    assert broad.confidence > sample.confidence > narrow.confidence
    assert narrow.features["dense"] == sample.features["dense"]  # the raw cosine, recorded beside
    assert narrow.features["dense_kb"] < sample.features["dense_kb"] < broad.features["dense_kb"]
    assert decide(r, 1.0, 0.0, SAMPLE_REFERENCE).confidence == sample.confidence
    assert {"dense_kb", "cosine_kb"} <= set(band_verdict(narrow).scores)
