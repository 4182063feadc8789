"""A `suggested` turn in a real browser: the hand-off first, then the closest articles as links,
in a box that does not look like an answer (no Sources list, no quoted block).

The fixture KB is three articles, too small for the bands' calibration (bot/bands.py, made on
the sample KB), so this module runs its own stack with the answer threshold at 1.0: whatever
is found is only suggested. The screenshot goes to docs/screenshots/ for the README.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot.bands import SUGGESTED_INTRO
from bot.config import Settings
from bot.storage.models import TurnRecord
from bot.ui.suggested import TITLE
from ingest import cli
from tests.e2e.browser import LOOPBACK, ROOT, log_in, new_page, running_stack, shot
from tests.support import stored

SCREENSHOT = ROOT / "docs" / "screenshots" / "10-suggested.png"


@pytest.fixture(scope="module")
def uncertain_stack(settings_factory, tmp_path_factory) -> Iterator[tuple[str, Settings]]:  # type: ignore[no-untyped-def]
    home: Path = tmp_path_factory.mktemp("e2e-suggested")
    settings = settings_factory(home / "data")
    assert cli.main([str(settings.kb_dir), "--quiet"], settings) == 0
    bands = {"SAFEDESK_ANSWER_CONFIDENCE": "1.0", "SAFEDESK_SUGGEST_CONFIDENCE": "0.0"}
    with running_stack(settings, home, extra_env=bands) as app_url:
        yield app_url, settings


def test_an_uncertain_question_gets_the_handoff_first_then_the_closest_articles(uncertain_stack, browser) -> None:  # type: ignore[no-untyped-def]
    app_url, settings = uncertain_stack
    blocked: list[str] = []
    page = new_page(browser, blocked)
    log_in(page, app_url, "bob")
    page.get_by_role("button", name="I understand").click()
    page.locator("[data-testid=stSelectbox]").first.click()
    page.get_by_role("option", name="Billing and payments").click()
    chat = page.locator("[data-testid=stChatInputTextArea]")
    chat.fill("can I pay for my order with a card from another country?")
    chat.press("Enter")

    message = page.locator("[data-testid=stChatMessage]").last
    box = message.locator("[data-testid=stAlert]")
    box.get_by_text(TITLE).wait_for()
    assert "To reach a person: Email billing@fixture.example" in box.inner_text()  # the hand-off, in the box
    message.get_by_text(SUGGESTED_INTRO).wait_for()
    link = message.get_by_role("link", name="Payment methods we accept")
    assert link.get_attribute("href") == "https://help.fixture.example/billing-cards"
    # The hand-off comes before the suggestions, and nothing is shown as an answer with sources.
    assert box.bounding_box()["y"] < link.bounding_box()["y"]  # type: ignore[index]
    assert message.get_by_text("Sources").count() == 0

    shot(page, "10-suggested")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    message.screenshot(path=str(SCREENSHOT))

    (turn,) = stored(settings, TurnRecord)  # recorded like any turn
    assert turn.decision == "suggested"
    assert turn.turn["suggestions"][0]["article_id"] == "billing-cards"
    assert blocked == [] or all(urlsplit(u).hostname not in LOOPBACK for u in blocked)
