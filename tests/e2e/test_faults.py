"""Database faults in a real browser: the records locked by another process, then broken. The
page says so plainly and goes on; no traceback, error class, SQL or hashed user id reaches it,
and no request leaves loopback."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from bot.config import Settings
from bot.storage.models import Acknowledgement, Feedback, TurnRecord
from tests.e2e.browser import log_in, new_page, shot
from tests.support import stored

# A write waits 1 s for the lock before it fails (30 s by default): the test need not wait longer.
STACK_ENV = {"SAFEDESK_DB_BUSY_TIMEOUT_SECONDS": "1"}
LEAKS = ("Traceback", "OperationalError", "DatabaseError", "sqlite3", "SELECT ", "INSERT ", "BEGIN", "[SQL")
ANSWER = "We accept Visa, Mastercard and American Express"
NOT_SAVED = "Sorry, we couldn't save this answer just now."


@contextmanager
def sqlite(settings: Settings) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(settings.data_dir / "safedesk.db", isolation_level=None)
    try:
        yield connection
    finally:
        connection.close()


@contextmanager
def write_locked(settings: Settings) -> Iterator[None]:
    """Another process holds the records' write lock (as a long migration or a stuck writer would)."""
    with sqlite(settings) as holder:
        holder.execute("BEGIN IMMEDIATE")
        yield
        holder.execute("ROLLBACK")


def assert_plain(page, *secrets: str) -> None:  # type: ignore[no-untyped-def]
    text = page.locator("body").inner_text()
    for leak in (*LEAKS, *secrets):
        assert leak not in text, f"{leak!r} on the page:\n{text}"


def ask(page, question: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_text("What do you need help with?").wait_for()
    page.locator("[data-testid=stSelectbox]").first.click()
    page.get_by_role("option", name="Billing and payments").click()
    chat = page.locator("[data-testid=stChatInputTextArea]")
    chat.fill(question)
    chat.press("Enter")


def test_a_locked_database_neither_holds_up_the_page_nor_loses_the_answer(stack, browser) -> None:  # type: ignore[no-untyped-def]
    app_url, settings = stack
    blocked: list[str] = []
    page = new_page(browser, blocked)
    log_in(page, app_url, "alice")
    page.get_by_role("button", name="I understand").click()
    page.get_by_text("What do you need help with?").wait_for()
    (ack,) = stored(settings, Acknowledgement)

    with write_locked(settings):
        page.reload()  # a new session: the acknowledgement is read while another process writes
        ask(page, "which credit cards can I pay with?")
        page.get_by_text(ANSWER).wait_for()
        page.get_by_text(NOT_SAVED).wait_for()  # the save failed; its message outlived the rerun
        shot(page, "faults-1-locked")
        assert_plain(page, ack.user_id)

    # The lock is gone: the answer is recorded before its feedback, so nothing was lost.
    page.locator("[data-testid=stFeedback] button").nth(1).click()  # thumbs down
    page.get_by_text("Wrong or missing source").click()
    page.get_by_text("Thanks, your feedback was saved.").wait_for()
    (turn,) = stored(settings, TurnRecord)
    (feedback,) = stored(settings, Feedback)
    assert turn.question == "which credit cards can I pay with?" and feedback.turn_id == turn.id
    assert blocked == []


def test_a_broken_database_gets_a_plain_message_and_the_visitor_can_still_ask(stack, browser) -> None:  # type: ignore[no-untyped-def]
    app_url, settings = stack
    blocked: list[str] = []
    with sqlite(settings) as db:  # the schema is damaged: the acknowledgements cannot be read or written
        db.execute("ALTER TABLE acknowledgements RENAME TO acknowledgements_lost")
    try:
        page = new_page(browser, blocked)
        log_in(page, app_url, "bob")
        page.get_by_role("button", name="I understand").click()
        page.get_by_text("couldn't save that you read this notice").wait_for()
        ask(page, "which credit cards can I pay with?")
        page.get_by_text(ANSWER).wait_for()
        shot(page, "faults-2-broken")
        (_alice, bob) = sorted(stored(settings, TurnRecord), key=lambda t: t.created_at)
        assert_plain(page, bob.user_id, "acknowledgements")
        log = (settings.data_dir.parent / "streamlit.log").read_text()
        assert "could not read the notice acknowledgement" in log and "no such table" in log  # for the operator
        assert blocked == []
    finally:
        with sqlite(settings) as db:
            db.execute("ALTER TABLE acknowledgements_lost RENAME TO acknowledgements")
