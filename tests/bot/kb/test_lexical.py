"""The updatable BM25 scores as bm25s did, and an updated index scores as one built anew."""

import bm25s
import numpy as np
import pytest

from bot.kb import lexical
from bot.kb.lexical import LexicalIndex, tokenize

TEXTS = [
    "Payment methods we accept\nCards\nWe accept Visa, Mastercard and Amex. Prepaid cards are not accepted.",
    "Delivery times\n\nStandard delivery takes 3 to 5 working days; express delivery takes 1 day.",
    "Resetting your password\nFAQ\nThe reset email can take ten minutes. Check the spam folder for the reset email.",
    "Storing a parcel\n\nKeep an unopened parcel somewhere dry, below 30 degrees, away from radiators.",
    "",  # a chunk with no indexable word
    "Refunds\n\nRefunds reach the card you paid with within 10 days. Vouchers are refunded as vouchers.",
]
QUERIES = ["which cards do you accept?", "delivery days", "reset reset email", "parcel radiators", "zebra", "the a of"]


def bm25s_scores(texts: list[str], query: str) -> np.ndarray:
    index = bm25s.BM25()
    index.index(tokenize(texts), show_progress=False)
    tokens = [t for t in tokenize([query])[0] if t in index.vocab_dict]
    return np.asarray(index.get_scores(tokens), dtype=np.float32) if tokens else np.zeros(len(texts), np.float32)


@pytest.mark.parametrize("batch", [2, lexical.BATCH])
def test_scores_are_bm25s_lucene_scores(batch: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lexical, "BATCH", batch)  # texts tokenized a few at a time, or all at once
    index = LexicalIndex.build(TEXTS)
    for query in QUERIES:
        np.testing.assert_allclose(index.scores(query), bm25s_scores(TEXTS, query), rtol=1e-5, atol=1e-6)
    assert index.scores("reset email").argmax() == 2


def test_an_updated_index_scores_as_one_built_from_its_live_rows() -> None:
    added = ["Gift vouchers\n\nVouchers can pay for delivery and for a parcel's express upgrade.", "Cards again: Visa."]
    updated = LexicalIndex.build(TEXTS[:4]).updated(np.array([1, 3]), [TEXTS[1], TEXTS[3]], TEXTS[4:] + added)
    live = [0, 2, 4, 5, 6, 7]
    assert updated.live.tolist() == [i in live for i in range(8)] and updated.dead == 2
    again = updated.updated(np.array([6]), [added[0]], [])  # and once more, on top of the first update
    for query in [*QUERIES, "vouchers parcel express"]:
        rebuilt = LexicalIndex.build([(TEXTS + added)[i] for i in live]).scores(query)
        np.testing.assert_allclose(updated.scores(query)[live], rebuilt, rtol=1e-5, atol=1e-6)
        assert not updated.scores(query)[[1, 3]].any()  # dead rows score nothing
        still = [i for i in live if i != 6]
        np.testing.assert_allclose(
            again.scores(query)[still], LexicalIndex.build([(TEXTS + added)[i] for i in still]).scores(query), rtol=1e-5
        )
    only_parcel_gone = LexicalIndex.build(TEXTS[:4]).updated(np.array([3]), [TEXTS[3]], [])
    assert not only_parcel_gone.scores("parcel").any() and only_parcel_gone.df[only_parcel_gone.vocab["parcel"]] == 0
    with pytest.raises(ValueError, match="must be live"):
        updated.updated(np.array([1]), [TEXTS[1]], [])  # dead already
