"""Wiki-style Markdown (Obsidian and similar) becomes plain Markdown; drafts are skipped."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bot.intents import load_catalogue
from ingest import cli
from ingest.articles import Article, Skipped, find_files, read_article
from ingest.wiki import to_markdown

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TODAY = date(2026, 11, 25)
FRONT = """---
id: {id}
title: Plans
intents: [billing]
url: https://help.example/{id}
verified_by: Test Verifier
verified_at: 2026-01-10
review_by: 2099-12-31
{extra}
---
"""


def test_links_become_their_text() -> None:
    text = "See [[Change your plan]], [[Billing/Cancel|how to cancel]], [[Billing#Refunds]] and [[#Limits]]."
    assert to_markdown(text) == "See Change your plan, how to cancel, Billing > Refunds and Limits."


def test_embeds_and_editor_comments_are_dropped() -> None:
    text = "Before ![[diagram.png]] after ![[Other page#Part]]. %% todo: check %%\n"
    assert to_markdown(text) == "Before  after . \n"


def test_callouts_keep_their_title_and_text_without_the_marker() -> None:
    text = "> [!note] Before you start\n> You need the **owner** role.\n> > [!tip]- Nested\n> > inner\n\n> a quote\n"
    assert to_markdown(text) == "Before you start\nYou need the **owner** role.\nNested\ninner\n\n> a quote\n"
    assert to_markdown("> [!warning]\n> Deleting is final.\n") == "Deleting is final.\n"


def test_code_is_left_alone() -> None:
    text = "Use `[[x]]` literally.\n```\n[[not a link]]\n> [!note] in code\n```\nThen [[Page]].\n"
    assert to_markdown(text) == "Use `[[x]]` literally.\n```\n[[not a link]]\n> [!note] in code\n```\nThen Page.\n"


def test_a_wiki_article_is_cleaned_on_ingest(tmp_path: Path) -> None:
    file = tmp_path / "plans.md"
    body = "> [!info] Plans\n> Change it under [[Settings|Account settings]].\n\n![[plans.png]]\n"
    file.write_text(FRONT.format(id="plans", extra="") + body, encoding="utf-8")
    article = read_article(file, tmp_path, load_catalogue(FIXTURES / "kb" / "intents.yaml"), TODAY)
    assert isinstance(article, Article)
    assert article.body.strip() == "Plans\nChange it under Account settings."


def test_drafts_and_unpublished_pages_are_skipped_and_listed(tmp_path: Path) -> None:
    for name, extra in (("live", "publish: true"), ("draft", "draft: true"), ("hidden", "publish: false")):
        (tmp_path / f"{name}.md").write_text(FRONT.format(id=name, extra=extra) + "Enough text to be an article.\n")
    catalogue = load_catalogue(FIXTURES / "kb" / "intents.yaml")
    articles, rejected, skipped, _ = cli.read_all(find_files([tmp_path]), catalogue, TODAY, None, quiet=True)
    assert [a.id for a in articles] == ["live"] and rejected == []
    assert sorted(skipped, key=lambda s: s.source) == [
        Skipped(str(tmp_path / "draft.md"), "draft: true"),
        Skipped(str(tmp_path / "hidden.md"), "publish: false"),
    ]
