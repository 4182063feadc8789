"""The first load of the KB in a real browser: the chat shows the run's progress with its ask box
disabled, and turns into the chat by itself (no reload) once the run is recorded as finished.

The run is written into the stack's records as `python -m ingest` writes it (bot.storage.ingest_runs):
its progress stays put while the test looks, which a real run of the fixture KB (three articles, a
few seconds) would not. tests/tools/test_background_ingest.py starts the real one beside the app.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.storage.db import open_database
from bot.storage.ingest_runs import finish_ingest_run, start_ingest_run, update_ingest_run
from bot.ui.kb_loading import WAITING
from tests.e2e.browser import log_in, new_page, shot

# The test's run beats no heartbeat of its own: a long stale limit keeps it "alive" while the test looks.
STACK_ENV = {"SAFEDESK_INGEST_STALE_SECONDS": "3600"}


def test_the_chat_shows_the_load_and_becomes_usable_by_itself(stack, browser) -> None:  # type: ignore[no-untyped-def]
    app_url, settings = stack
    db = open_database(settings)
    try:
        now = datetime.now(UTC)
        run = start_ingest_run(db, started_at=now, by="make-run")
        update_ingest_run(db, run, at=now, chunks_planned=370, stored_articles=0, chunks_done=120)
        blocked: list[str] = []
        page = new_page(browser, blocked)
        log_in(page, app_url, "carol")
        page.get_by_role("button", name="I understand").click()
        bar = page.locator("[data-testid=stProgress]")
        bar.get_by_text("Loading the help centre: 120 of 370 sections").wait_for()
        box = page.locator("[data-testid=stChatInputTextArea]")
        assert box.is_disabled() and box.get_attribute("placeholder") == WAITING
        assert page.get_by_text("What do you need help with?").count() == 0

        update_ingest_run(db, run, at=datetime.now(UTC), chunks_done=256)
        bar.get_by_text("Loading the help centre: 256 of 370 sections").wait_for()  # it updates by itself
        shot(page, "kb-loading")

        finish_ingest_run(
            db, run, finished_at=datetime.now(UTC), articles=3, chunks=370, counts={"loaded": 3}, rejects=[]
        )
        page.get_by_text("What do you need help with?").wait_for()  # the chat, without a reload
        assert bar.count() == 0
        assert blocked == []
    finally:
        db.close()
