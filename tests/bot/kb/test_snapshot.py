"""The snapshot a running retriever refreshes after each ingest, read incrementally, equals one built
whole from the store: same chunks, same dense and BM25 scores, same filters, same search results."""

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from bot.config import Settings
from bot.embedding import local_embedder
from bot.kb import snapshot
from bot.kb.retrieval import Retriever
from bot.kb.snapshot import KBSnapshot, stored_ids
from bot.kb.store import bump_revision, open_kb
from ingest import cli

ROOT = Path(__file__).resolve().parents[3]
ARTICLES = ROOT / "tests" / "fixtures" / "kb" / "articles"
TOPICS = ["parcel", "invoice", "password", "refund", "voucher", "courier", "receipt", "login"]
QUERIES = [
    "which credit cards can I pay with?",
    "how many days does delivery take",
    "below what temperature must a parcel be stored?",
    "the password reset email never arrived",
    "invoice voucher refund receipt courier",
    "parcel parcel parcel",
    "quantum chromodynamics",
]
TODAY = date(2027, 1, 15)  # the retrievers' today
INTENTS = ["all", "billing", "account", "shipping"]
NOTE = """---
id: note-{n:02d}
title: Note {n} about the {topic}
intents: [{intent}]
url: https://help.fixture.example/note-{n}
verified_by: Test Verifier
verified_at: 2026-01-10
review_by: {review_by}
---
Note {n}, version {version}: keep the {topic} receipt for {days} days; a {other} question goes to the desk.
"""
STAFF = """---
id: staff-only
title: Manager override
intents: [billing]
url: https://help.fixture.example/staff-only
audience: staff
verified_by: Test Verifier
verified_at: 2026-01-10
review_by: 2099-12-31
---
A manager enters the override code 4417 at the till to approve a refund above the limit.
"""


def write_note(kb: Path, n: int, version: int = 1) -> None:
    intent = ["billing", "account", "shipping"][n % 3]
    review_by = "2026-12-31" if n % 7 == 0 else "2099-12-31"  # some expired by TODAY: filters compared too
    text = NOTE.format(
        n=n, topic=TOPICS[n % 8], intent=intent, review_by=review_by, version=version, days=n + version,
        other=TOPICS[(n * 3 + version) % 8],
    )  # fmt: skip
    (kb / f"note-{n:02d}.md").write_text(text)


def ingest(settings: Settings, kb: Path) -> None:
    assert cli.main([str(kb), "--prune", "--quiet"], settings) == 0


def live_retriever(settings: Settings) -> Retriever:
    embedder = local_embedder()
    client, collection = open_kb(settings, embedder, create=False)
    return Retriever(
        client, collection, embedder, threshold=0.2, refresh_seconds=0.0, today=lambda: TODAY,
        reopen=lambda: open_kb(settings, embedder, create=False, fresh=True),
    )  # fmt: skip


def refresh(live: Retriever) -> KBSnapshot:
    live.wait_for_refresh()
    assert live.freshness().current, live.freshness()
    return live.index()


def chunks_of(settings: Settings, article_id: str) -> int:
    _, collection = open_kb(settings, local_embedder(), create=False, fresh=True)
    return len(collection.get(where={"article_id": article_id}, include=[])["ids"])


def assert_same(settings: Settings, live: Retriever) -> None:
    """The live retriever's snapshot against one built whole, chunk by chunk, and their searches."""
    incremental = live.index()
    today = TODAY
    embedder = local_embedder()
    client, collection = open_kb(settings, embedder, create=False, fresh=True)
    fresh = Retriever(client, collection, embedder, threshold=0.2, today=lambda: today, refresh_seconds=3600)
    whole = fresh.index()  # built whole from the store
    assert set(incremental.row_of) == set(whole.row_of) and incremental.size == whole.size
    ids = sorted(whole.row_of)
    inc_rows = np.array([incremental.row_of[i] for i in ids])
    whole_rows = np.array([whole.row_of[i] for i in ids])
    assert [incremental.documents[r] for r in inc_rows] == [whole.documents[r] for r in whole_rows]
    for intent in INTENTS:
        assert np.array_equal(incremental.servable(intent, today)[inc_rows], whole.servable(intent, today)[whole_rows])
    for query in QUERIES:
        vector = embedder.embed([query])[0]
        np.testing.assert_allclose(
            incremental.embeddings[inc_rows] @ vector, whole.embeddings[whole_rows] @ vector, rtol=0, atol=1e-6
        )
        lexical = incremental.scores(query)[inc_rows]
        np.testing.assert_allclose(lexical, whole.scores(query)[whole_rows], rtol=1e-5, atol=1e-6)
        for intent in INTENTS:
            for mode in ("hybrid", "dense", "bm25"):
                live.mode = fresh.mode = mode
                got = [(p.chunk_id, p.score) for p in live.search(query, intent, k=8, query_vector=vector)]
                want = [(p.chunk_id, p.score) for p in fresh.search(query, intent, k=8, query_vector=vector)]
                assert [c for c, _ in got] == [c for c, _ in want], (query, intent, mode)
                np.testing.assert_allclose([s for _, s in got], [s for _, s in want], rtol=1e-5, atol=1e-6)
    live.mode = "hybrid"
    assert any(incremental.scores(q).any() for q in QUERIES)  # the comparison is of something


def test_an_incremental_refresh_equals_a_whole_build(
    store_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    listings: list[int] = []  # ids listed (every stored id compared) rather than the articles ingest logged
    monkeypatch.setattr(snapshot, "stored_ids", lambda c: listings.append(1) or stored_ids(c))
    kb = tmp_path / "kb"
    kb.mkdir()
    for file in ARTICLES.glob("*.md"):
        (kb / file.name).write_text(file.read_text())
    for n in range(30):
        write_note(kb, n)
    (kb / "staff-only.md").write_text(STAFF)
    ingest(store_settings, kb)
    live = live_retriever(store_settings)
    first = live.index()
    assert first.fetched == first.size > 30 and "staff-only" not in {m["article_id"] for m in first.metadatas}

    write_note(kb, 30)  # added
    ingest(store_settings, kb)
    assert refresh(live).fetched == chunks_of(store_settings, "note-30") == 1  # only its chunk was read
    assert_same(store_settings, live)

    write_note(kb, 4, version=2)  # changed: new words, and an old one's last use gone
    ingest(store_settings, kb)
    assert refresh(live).fetched == chunks_of(store_settings, "note-04") == 1
    assert "version 2" in " ".join(live.index().documents[r] for r in live.index().row_of.values())
    assert_same(store_settings, live)

    (kb / "billing-cards.md").unlink()  # deleted
    ingest(store_settings, kb)
    assert refresh(live).fetched == 0
    assert not any(c.startswith("billing-cards::") for c in live.index().row_of)
    assert_same(store_settings, live)

    assert not listings  # three ingests: each refresh read only the articles ingest named

    # Another writer, who names no articles: every id is compared.
    _, collection = open_kb(store_settings, local_embedder(), create=False, fresh=True)
    gone = collection.get(where={"article_id": "note-05"}, include=[])["ids"]
    collection.delete(ids=gone)
    bump_revision(collection)
    assert refresh(live).fetched == 0 and gone[0] not in live.index().row_of
    assert len(listings) == 1
    assert_same(store_settings, live)

    # A write the log does not name (an ingest that stopped half-way): the count gives it away.
    row = collection.get(where={"article_id": "note-06"}, include=["documents", "metadatas", "embeddings"])
    collection.upsert(
        ids=["note-06::copy::0"], documents=row["documents"], metadatas=row["metadatas"], embeddings=row["embeddings"]
    )
    bump_revision(collection, [])
    assert refresh(live).fetched == 1 and "note-06::copy::0" in live.index().row_of
    assert_same(store_settings, live)

    for n in range(10):  # past a fifth of the snapshot: built whole again
        write_note(kb, n, version=3)
    ingest(store_settings, kb)
    whole = refresh(live)
    assert whole.fetched == whole.size and whole.lexical.dead == 0
    assert_same(store_settings, live)


def test_a_refresh_with_nothing_changed_keeps_the_snapshot(settings: Settings, tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    for file in ARTICLES.glob("*.md"):
        (kb / file.name).write_text(file.read_text())
    (kb / "staff-only.md").write_text(STAFF)  # stored, never served, not read again
    ingest(settings, kb)
    live = live_retriever(settings)
    before = live.index()
    _, collection = open_kb(settings, local_embedder(), create=False, fresh=True)
    assert before.refreshed(collection) is before
