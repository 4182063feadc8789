"""Real help centres import as they are: file and folder names become stable slug ids."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.intents import load_catalogue
from ingest import cli
from ingest.articles import Article, find_files, load_mapping, read_article
from ingest.slugs import path_id, slug

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("relpath", "expected"),
    [
        ("Billing and Plans/Change your plan.md", "billing-and-plans/change-your-plan"),
        ("Rückgabe & Umtausch/Straße und Größe.md", "ruckgabe-umtausch/strasse-und-grosse"),
        ("Æble/Øl, très café.html", "aeble/ol-tres-cafe"),
        ("custom-props/introduction.mdx", "custom-props/introduction"),
        ("  FAQ -- (v2.1)!.md", "faq-v2-1"),
        ("_drafts/snake_case name.md", "drafts/snake_case-name"),
        ("top.md", "top"),
    ],
)
def test_paths_become_slug_ids(relpath: str, expected: str) -> None:
    assert path_id(relpath) == expected


def test_names_without_latin_letters_get_a_stable_id() -> None:
    assert slug("Σελίδα") == slug("Σελίδα") != slug("Άλλη")
    assert slug("Σελίδα").startswith("x") and len(slug("Σελίδα")) == 9


def import_folder(tmp_path: Path, files: dict[str, str]) -> tuple[list[Article], list, list]:  # type: ignore[type-arg]
    docs = tmp_path / "docs"
    for name, text in files.items():
        (docs / name).parent.mkdir(parents=True, exist_ok=True)
        (docs / name).write_text(text, encoding="utf-8")
    mapping_file = tmp_path / "mapping.yaml"
    mapping_file.write_text('base_url: https://help.example/\nrules:\n  - glob: "*"\n    intents: [billing]\n')
    mapping = load_mapping(mapping_file, "Dana QA", 90)
    catalogue = load_catalogue(FIXTURES / "kb" / "intents.yaml")
    return cli.read_all(find_files([docs]), catalogue, TODAY, mapping, quiet=True)[:3]


def test_an_imported_folder_with_spaces_and_capitals_loads(tmp_path: Path) -> None:
    articles, rejected, _ = import_folder(
        tmp_path,
        {
            "Billing and Plans/Change your plan.md": "Open Settings and choose a new plan. It applies at once.\n",
            "Billing and Plans/Kündigung.md": "# Cancel your plan\n\nCancel any time from Settings > Plan.\n",
        },
    )
    assert rejected == []
    by_id = {a.id: a for a in articles}
    assert set(by_id) == {"billing-and-plans/change-your-plan", "billing-and-plans/kundigung"}
    plan = by_id["billing-and-plans/change-your-plan"]
    assert plan.title == "Change your plan"
    assert plan.url == "https://help.example/Billing%20and%20Plans/Change%20your%20plan"
    assert by_id["billing-and-plans/kundigung"].title == "Cancel your plan"


def test_two_files_with_one_id_are_both_rejected_naming_both(tmp_path: Path) -> None:
    articles, rejected, _ = import_folder(
        tmp_path,
        {
            "Billing and Plans/Change your plan.md": "Open Settings and choose a new plan. It applies at once.\n",
            "billing-and-plans/change-your-plan.md": "An older copy of the same page, with different words.\n",
            "Other.md": "This one is fine and has nothing to do with the clash.\n",
        },
    )
    assert [a.id for a in articles] == ["other"]
    assert len(rejected) == 2
    for rejection in rejected:
        assert rejection.article_id == "billing-and-plans/change-your-plan"
        assert "duplicate id 'billing-and-plans/change-your-plan'" in rejection.reason
        assert "Billing and Plans/Change your plan.md" in rejection.reason
        assert "billing-and-plans/change-your-plan.md" in rejection.reason


def test_ids_of_our_own_articles_are_not_slugged(tmp_path: Path) -> None:
    """Only imports derive ids from paths; our articles keep the id their front matter names."""
    catalogue = load_catalogue(FIXTURES / "kb" / "intents.yaml")
    article = read_article(FIXTURES / "kb/articles/billing-cards.md", FIXTURES / "kb/articles", catalogue, TODAY)
    assert isinstance(article, Article) and article.id == "billing-cards"
