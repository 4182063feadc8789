import json
from datetime import date
from pathlib import Path

import pytest

from bot.intents import load_catalogue
from ingest.articles import Article, MappingError, Rejection, find_files, load_mapping, read_article

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TODAY = date(2026, 11, 25)


@pytest.fixture
def catalogue():  # type: ignore[no-untyped-def]
    return load_catalogue(FIXTURES / "kb" / "intents.yaml")


def read(path: Path, catalogue, today: date = TODAY):  # type: ignore[no-untyped-def]
    return read_article(path, path.parent, catalogue, today)


def test_a_verified_article_is_read_with_its_metadata(catalogue) -> None:  # type: ignore[no-untyped-def]
    article = read(FIXTURES / "kb/articles/shipping-times.md", catalogue)
    assert isinstance(article, Article)
    assert article.id == "shipping-times"
    assert article.intents == ("shipping", "billing")
    assert article.verified_by == "Test Verifier"
    assert article.review_by == date(2099, 12, 31)
    assert "---" not in article.body and "Express delivery" in article.body


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("unverified.md", "missing front matter: verified_by, verified_at, review_by"),
        ("stale.md", "stale: review_by 2021-01-01 has passed"),
        ("unknown-intent.md", "unknown intent(s): gardening"),
        ("bad-yaml.md", "front matter is not valid YAML"),
    ],
)
def test_bad_articles_are_rejected_with_a_reason(catalogue, name: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    result = read(FIXTURES / "rejects" / name, catalogue)
    assert isinstance(result, Rejection)
    assert reason in result.reason


def test_an_article_becomes_stale_the_day_after_review_by(catalogue) -> None:  # type: ignore[no-untyped-def]
    path = FIXTURES / "kb/articles/billing-cards.md"
    assert isinstance(read(path, catalogue, date(2099, 12, 31)), Article)
    assert isinstance(read(path, catalogue, date(2100, 1, 1)), Rejection)


def test_future_verification_date_is_rejected(tmp_path: Path, catalogue) -> None:  # type: ignore[no-untyped-def]
    text = (FIXTURES / "kb/articles/billing-cards.md").read_text().replace("2026-01-10", "2027-06-01")
    (tmp_path / "a.md").write_text(text)
    result = read(tmp_path / "a.md", catalogue)
    assert isinstance(result, Rejection) and "in the future" in result.reason


def test_html_txt_and_mdx_files_are_read(catalogue) -> None:  # type: ignore[no-untyped-def]
    files = [f for f, _ in find_files([FIXTURES / "mixed"])]
    assert {f.suffix for f in files} == {".html", ".txt", ".mdx"}
    for file in files:
        assert isinstance(read(file, catalogue), Article), file


def test_import_needs_an_attestation(tmp_path: Path) -> None:
    mapping = tmp_path / "map.yaml"
    mapping.write_text("base_url: https://x.example/\nrules:\n  - glob: '*'\n    intents: [billing]\n")
    with pytest.raises(MappingError, match="--verified-by"):
        load_mapping(mapping, "  ", 180)


def test_import_maps_paths_to_intents_and_records_the_attestation(tmp_path: Path, catalogue) -> None:  # type: ignore[no-untyped-def]
    docs = tmp_path / "docs"
    (docs / "guides").mkdir(parents=True)
    (docs / "guides" / "pay.md").write_text("---\ntitle: Paying\n---\nYou can pay with a card or by bank transfer.\n")
    (docs / "misc.md").write_text("# Misc page\n\nSomething that no rule maps to any intent at all.\n")
    mapping_file = tmp_path / "map.yaml"
    mapping_file.write_text(
        "base_url: https://help.example/docs/\nrules:\n  - glob: 'guides/*'\n    intents: [billing]\n"
    )
    mapping = load_mapping(mapping_file, "Ana Auditor", 30)
    article = read_article(docs / "guides" / "pay.md", docs, catalogue, TODAY, mapping)
    assert isinstance(article, Article)
    assert article.id == "guides/pay"
    assert article.title == "Paying"
    assert article.intents == ("billing",)
    assert article.url == "https://help.example/docs/guides/pay"
    assert article.verified_by == "Ana Auditor"
    assert article.review_by == date(2026, 12, 25)
    assert "Ana Auditor" in article.attestation and "map.yaml" in article.attestation
    rejected = read_article(docs / "misc.md", docs, catalogue, TODAY, mapping)
    assert isinstance(rejected, Rejection) and "no rule" in rejected.reason


def test_import_mapping_to_an_unknown_intent_is_rejected(tmp_path: Path, catalogue) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "a.md").write_text("# A\n\nSome text long enough to be an article body.\n")
    mapping_file = tmp_path / "map.yaml"
    mapping_file.write_text("base_url: https://h.example/\nrules:\n  - glob: '*'\n    intents: [nope]\n")
    result = read_article(tmp_path / "a.md", tmp_path, catalogue, TODAY, load_mapping(mapping_file, "Ana", 30))
    assert isinstance(result, Rejection) and "unknown intent" in result.reason


def test_content_hash_changes_with_content_and_salt(catalogue) -> None:  # type: ignore[no-untyped-def]
    article = read(FIXTURES / "kb/articles/billing-cards.md", catalogue)
    assert isinstance(article, Article)
    assert article.content_hash("a") != article.content_hash("b")
    from dataclasses import replace

    assert replace(article, body=article.body + "x").content_hash() != article.content_hash()
    assert replace(article, source="elsewhere.md").content_hash() == article.content_hash()


@pytest.mark.parametrize(
    "url",
    [
        "https://help.example/a) ![p](http://host/leak",
        "https://help.example/a b",
        "https://help.example/<x>",
        'https://help.example/"x"',
        "https://help.example/'x'",
        "javascript:alert(1)",
        "ftp://help.example/a",
        "https:///no-host",
        "https://[::1/broken",
    ],
)
def test_an_article_url_that_would_break_its_markdown_link_is_rejected(tmp_path: Path, catalogue, url: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "a.md"
    meta = "id: a\ntitle: A\nintents: [billing]\nverified_by: V\nverified_at: 2026-01-10\nreview_by: 2099-12-31\n"
    path.write_text(f"---\n{meta}url: {json.dumps(url)}\n---\nEnough text to be an article body here.\n")
    result = read(path, catalogue)
    assert isinstance(result, Rejection) and result.reason.startswith("invalid url")
    path.write_text(f"---\n{meta}url: https://help.example/a?b=c#d\n---\nEnough text to be an article body here.\n")
    assert isinstance(read(path, catalogue), Article)
