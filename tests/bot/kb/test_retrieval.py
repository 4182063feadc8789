import json
import logging
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from bot.config import Settings
from bot.embedding import local_embedder
from bot.identity import User
from bot.kb import dense
from bot.kb.retrieval import Retriever, make_retriever
from bot.kb.store import chroma_client, kb_collection, open_kb
from bot.pipeline import Pipeline
from bot.wiring import build_pipeline
from ingest import cli

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture
def loaded(settings: Settings) -> Settings:
    assert cli.main([str(FIXTURES / "kb" / "articles"), "--quiet"], settings) == 0
    return settings


def retriever(settings: Settings, **kwargs) -> Retriever:  # type: ignore[no-untyped-def]
    client = chroma_client(settings)
    collection = kb_collection(client, settings.collection, local_embedder())
    options = {"threshold": settings.relevance_threshold, "refresh_seconds": 0.0, **kwargs}
    return Retriever(client, collection, local_embedder(), **options)


def test_finds_the_right_article_with_everything_a_citation_needs(loaded: Settings) -> None:
    passages = make_retriever(loaded).search("which credit cards can I pay with?", "billing")
    assert passages, "nothing found"
    top = passages[0]
    assert top.article_id == "billing-cards"
    assert top.title == "Payment methods we accept"
    assert top.url == "https://help.fixture.example/billing-cards"
    assert top.text and 0 < top.dense <= 1.0
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)


def test_results_are_filtered_to_the_intent(loaded: Settings) -> None:
    question = "how many days does delivery take"
    assert retriever(loaded).search(question, "shipping")[0].article_id == "shipping-times"
    assert all(p.article_id != "shipping-times" for p in retriever(loaded).search(question, "account"))
    assert retriever(loaded).search(question, "all")[0].article_id == "shipping-times"


def test_heading_path_is_returned(loaded: Settings) -> None:
    passages = retriever(loaded).search("the password reset email never arrived", "account")
    assert passages[0].heading == "FAQ > The reset email never arrived"


def test_off_topic_questions_return_nothing(loaded: Settings) -> None:
    assert retriever(loaded).search("what is the capital of france", "all") == []
    assert retriever(loaded).search("   ", "all") == []


def test_expired_articles_are_never_served(loaded: Settings) -> None:
    later = retriever(loaded, today=lambda: date(2100, 1, 1))
    assert later.search("which credit cards can I pay with?", "all") == []
    for mode in ("dense", "bm25"):
        assert retriever(loaded, mode=mode, today=lambda: date(2100, 1, 1)).search("credit cards", "all") == []


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_every_mode_finds_a_plain_question(loaded: Settings, mode: str) -> None:
    passages = retriever(loaded, mode=mode).search("forgot password reset link", "all")
    assert passages[0].article_id == "account-password"


def test_threshold_is_applied_to_every_passage(loaded: Settings) -> None:
    passages = retriever(loaded, threshold=0.5).search("which credit cards can I pay with?", "all", k=10)
    assert passages and all(p.dense >= 0.5 for p in passages)
    assert retriever(loaded, threshold=0.99).search("which credit cards can I pay with?", "all") == []


def test_a_reingested_article_is_seen_without_restarting(loaded: Settings, tmp_path: Path) -> None:
    live = retriever(loaded)
    assert live.search("do you take prepaid cards", "billing")
    kb = tmp_path / "kb"
    kb.mkdir()
    for file in (FIXTURES / "kb" / "articles").glob("*.md"):
        text = file.read_text().replace("Prepaid cards are not accepted.", "Prepaid gift vouchers work too.")
        (kb / file.name).write_text(text)
    assert cli.main([str(kb), "--quiet"], loaded) == 0
    live.wait_for_refresh()
    texts = " ".join(p.text for p in live.search("prepaid cards vouchers", "billing", k=10))
    assert "Prepaid gift vouchers work too." in texts and "not accepted" not in texts


def test_an_empty_store_returns_nothing(settings: Settings) -> None:
    assert retriever(settings).search("anything at all", "all") == []


STORAGE = """---
id: parcel-storage
title: Storing a parcel before you unpack it
intents: [shipping]
url: https://help.fixture.example/parcel-storage
verified_by: Test Verifier
verified_at: 2026-01-10
review_by: 2099-12-31
---
Keep an unopened parcel somewhere dry. Parcels must be stored below {temperature} degrees C, away from radiators.
"""
STORAGE_QUESTION = "below what temperature must a parcel be stored?"


def kb_with_storage(folder: Path, temperature: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for file in (FIXTURES / "kb" / "articles").glob("*.md"):
        (folder / file.name).write_text(file.read_text())
    (folder / "parcel-storage.md").write_text(STORAGE.format(temperature=temperature))
    return folder


def ingest_in_another_process(settings: Settings, kb: Path) -> None:
    env = {
        **os.environ,
        "SAFEDESK_ENV_FILE": "",
        "SAFEDESK_DATA_DIR": str(settings.data_dir),
        "SAFEDESK_INTENTS_FILE": str(settings.intents_file),
        "SAFEDESK_COLLECTION": settings.collection,
        "CHROMA_HOST": settings.chroma_host,
        "CHROMA_PORT": str(settings.chroma_port),
    }
    done = subprocess.run(
        [sys.executable, "-m", "ingest", str(kb), "--quiet"], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def served_texts(pipeline: Pipeline) -> str:
    return " ".join(p.text for p in pipeline.stages.retriever.search(STORAGE_QUESTION, "shipping", k=10))


def test_a_running_pipeline_serves_what_another_process_ingested(store_settings: Settings, tmp_path: Path) -> None:
    kb = kb_with_storage(tmp_path / "kb", 30)
    ingest_in_another_process(store_settings, kb)
    pipeline = build_pipeline(store_settings)
    assert "below 30 degrees C" in served_texts(pipeline)

    kb_with_storage(kb, 90)
    ingest_in_another_process(store_settings, kb)
    deadline = time.monotonic() + 120  # the retriever checks every 5 s; a rebuild takes well under a second
    while "below 90 degrees C" not in served_texts(pipeline) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert "below 90 degrees C" in served_texts(pipeline), pipeline.stages.retriever.freshness()
    assert "30 degrees" not in served_texts(pipeline)
    turn = pipeline.run(STORAGE_QUESTION, "shipping", User("refresh-test"))
    assert "90 degrees C" in turn.answer and "30 degrees" not in turn.answer
    assert pipeline.stages.retriever.freshness().current


def test_a_failed_refresh_keeps_the_last_snapshot_and_is_logged(
    loaded: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    gone = loaded.model_copy(update={"data_dir": tmp_path / "moved-away"})
    live = retriever(loaded, reopen=lambda: open_kb(gone, local_embedder(), create=False, fresh=True))
    assert "Prepaid cards are not accepted." in " ".join(p.text for p in live.search("prepaid cards", "billing"))
    assert live.freshness().current
    kb = kb_with_storage(tmp_path / "kb", 30)
    assert cli.main([str(kb), "--quiet"], loaded) == 0
    with caplog.at_level(logging.ERROR, logger="bot.kb.retrieval"):
        live.wait_for_refresh()
    freshness = live.freshness()
    assert "no knowledge base at" in freshness.error and str(tmp_path / "moved-away") in freshness.error
    assert freshness.served_revision < freshness.stored_revision and freshness.failing_since is not None
    assert any("still serving revision" in r.getMessage() for r in caplog.records)
    assert live.search(STORAGE_QUESTION, "shipping") == []  # the old snapshot, not a half-read new one


STAFF_ONLY = """---
id: manager-override
title: Manager override for refunds
intents: [billing]
url: https://help.fixture.example/manager-override
audience: staff
verified_by: Test Verifier
verified_at: 2026-01-10
review_by: 2099-12-31
---
To approve a refund above the limit, a manager enters the override code 4417-ALPHA at the till.
"""


def test_articles_for_staff_are_never_served(settings: Settings, tmp_path: Path) -> None:
    kb = kb_with_storage(tmp_path / "kb", 30)
    (kb / "manager-override.md").write_text(STAFF_ONLY)
    assert cli.main([str(kb), "--quiet"], settings) == 0
    question = "what is the manager override code for refunds?"
    for mode in ("dense", "bm25", "hybrid"):
        for intent in ("billing", "all"):
            found = retriever(settings, mode=mode, threshold=0.0).search(question, intent, k=50)
            assert found or mode == "bm25"  # BM25 needs a shared word, and no customer article has one
            assert all(p.article_id != "manager-override" for p in found)
    stored = kb_collection(chroma_client(settings), settings.collection, local_embedder()).get(include=["documents"])
    assert any("4417" in text for text in stored["documents"] or [])  # loaded, and listed for staff
    live = retriever(settings)
    assert all("4417" not in text for text in live.index().documents)
    turn = build_pipeline(settings, retriever=live).run(question, "billing", User("customer"))
    assert "4417" not in turn.answer


def test_the_fast_dense_search_returns_what_the_exact_product_does_on_the_sample_kb(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every sample question, with its intent and with 'all', in every mode: the int8 pass and its
    exact re-score (bot.kb.dense) give the passages, order and scores of the float32 product over all rows."""
    monkeypatch.setattr(dense, "SMALL", 0)  # the int8 pass, though one product is as fast at 370 rows
    settings = settings.model_copy(update={"intents_file": ROOT / "kb" / "intents.yaml"})
    assert cli.main([str(ROOT / "kb" / "articles"), "--quiet"], settings) == 0
    questions = [json.loads(line) for line in (ROOT / "bench" / "data" / "sample_questions.jsonl").open()]
    embedder = local_embedder()
    vectors = embedder.embed([q["question"] for q in questions])
    fast, exact = retriever(settings), retriever(settings, exact=True)
    assert fast.index().size > 300
    found = 0
    for mode in ("hybrid", "dense", "bm25"):
        fast.mode = exact.mode = mode
        for question, vector in zip(questions, vectors, strict=True):
            for intent in (question["intent"], "all"):
                for k in (1, 4, 10):
                    got = fast.search(question["question"], intent, k, query_vector=vector)
                    want = exact.search(question["question"], intent, k, query_vector=vector)
                    assert [(p.chunk_id, p.score, p.dense, p.lexical) for p in got] == [
                        (p.chunk_id, p.score, p.dense, p.lexical) for p in want
                    ], (question["id"], intent, mode, k)
                    found += len(got)
    assert found > 1000
