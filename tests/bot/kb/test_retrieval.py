from datetime import date
from pathlib import Path

import pytest

from bot.config import Settings
from bot.embedding import local_embedder
from bot.kb.retrieval import Retriever, make_retriever
from bot.kb.store import chroma_client, kb_collection
from ingest import cli

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


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
