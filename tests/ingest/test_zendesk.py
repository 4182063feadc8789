"""A Zendesk Help Center export (tests/fixtures/zendesk, written from the Help Center API's
documented article shape) imported by `python -m ingest --format zendesk`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from bot.config import Settings
from bot.embedding import local_embedder
from bot.intents import load_catalogue
from bot.kb.retrieval import make_retriever
from bot.kb.store import chroma_client, kb_collection
from ingest import cli, zendesk
from ingest.articles import Article, MappingError, Rejection, Skipped

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
EXPORT = FIXTURES / "zendesk" / "articles.json"
MAPPING = FIXTURES / "zendesk" / "mapping.yaml"
TODAY = date(2026, 11, 25)


def read(export: Path = EXPORT) -> dict[str, Article | Rejection | Skipped]:
    """source -> result"""
    mapping = zendesk.load_mapping(MAPPING, "Zed QA", 90)
    catalogue = load_catalogue(FIXTURES / "kb" / "intents.yaml")
    return {r.source.split("#", 1)[1]: r for r in zendesk.read_export(export, catalogue, TODAY, mapping)}


def test_articles_map_to_intents_by_section_or_label_first_rule_wins() -> None:
    results = read()
    gift = results["article 360001110001 (en-us)"]
    delivery = results["article 360001110002 (en-us)"]
    password = results["article 360001110005 (en-us)"]  # its section comes before its 'delivery' label
    assert isinstance(gift, Article) and isinstance(delivery, Article) and isinstance(password, Article)
    assert (gift.intents, delivery.intents, password.intents) == (("billing",), ("shipping",), ("account",))
    assert gift.id == "zendesk/en-us/360001110001"
    assert gift.url == "https://fixture.zendesk.com/hc/en-us/articles/360001110001-Paying-with-a-gift-card"
    assert gift.title == "Paying with a gift card"
    assert gift.verified_by == "Zed QA" and "mapping.yaml" in gift.attestation
    assert gift.review_by == date(2027, 2, 23)


def test_the_html_body_is_cleaned_by_the_html_path() -> None:
    gift, delivery = read()["article 360001110001 (en-us)"], read()["article 360001110002 (en-us)"]
    assert isinstance(gift, Article) and isinstance(delivery, Article)
    assert "## How to use a gift card" in gift.body
    assert "- Enter the 16-digit card number and the 4-digit PIN." in gift.body
    assert "<" not in gift.body + delivery.body and "window.track" not in delivery.body
    assert "| Express | 9.95 EUR |" in delivery.body


def test_drafts_other_locales_and_unmapped_sections_are_not_loaded() -> None:
    results = read()
    assert results["article 360001110003 (en-us)"] == Skipped(
        f"{EXPORT}#article 360001110003 (en-us)", "draft in Zendesk"
    )
    assert isinstance(results["article 360001110005 (de)"], Skipped)
    careers = results["article 360001110004 (en-us)"]
    assert isinstance(careers, Rejection) and "matches section 360000999999" in careers.reason


def test_bad_exports_and_mappings_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="--verified-by"):
        zendesk.load_mapping(MAPPING, " ", 90)
    bad = tmp_path / "m.yaml"
    bad.write_text("rules:\n  - intents: [billing]\n")
    with pytest.raises(MappingError, match="one of 'section_id' or 'label'"):
        zendesk.load_mapping(bad, "Zed QA", 90)
    not_export = tmp_path / "x.json"
    not_export.write_text(json.dumps({"sections": []}))
    with pytest.raises(zendesk.ExportError, match="'articles' list"):
        read(not_export)
    untitled = tmp_path / "untitled.json"
    untitled.write_text(json.dumps({"articles": [{"id": 1, "locale": "en-us", "section_id": 360000100001}]}))
    assert read(untitled)["article 1 (en-us)"].reason == "the export has no title, body, html_url for this article"  # type: ignore[union-attr]


def test_import_end_to_end_into_chroma(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [str(EXPORT), "--format", "zendesk", "--mapping", str(MAPPING), "--verified-by", "Zed QA", "--quiet"]
    assert cli.main([*argv, "--today", TODAY.isoformat()], settings) == cli.EXIT_REJECTED  # the unmapped article
    out = capsys.readouterr().out
    assert "loaded:    3" in out and "rejected:  1" in out
    assert "skipped (drafts, unpublished): 2" in out and "article 360001110003 (en-us): draft in Zendesk" in out

    collection = kb_collection(chroma_client(settings), settings.collection, local_embedder())
    metas = collection.get(include=["metadatas"])["metadatas"] or []
    by_article = {m["article_id"]: m for m in metas}
    assert set(by_article) == {f"zendesk/en-us/36000111000{n}" for n in (1, 2, 5)}
    gift = by_article["zendesk/en-us/360001110001"]
    assert gift["url"].startswith("https://fixture.zendesk.com/hc/en-us/articles/360001110001")
    assert "Zed QA" in gift["attestation"] and gift["verified_by"] == "Zed QA"

    found = make_retriever(settings).search("how do I use my gift card at checkout", "billing", k=1, threshold=0.0)
    assert [p.article_id for p in found] == ["zendesk/en-us/360001110001"]
    assert cli.main([*argv[:-5], "--quiet"], settings) == cli.EXIT_USAGE  # no --mapping
    assert "--format zendesk needs" in capsys.readouterr().err
