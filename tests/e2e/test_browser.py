"""End to end in a real browser: Debian's Chromium driven by Playwright, against the real app
(`streamlit run app.py`) and the real development OpenID provider (devauth/), both on loopback.

Log in, see the notice, pick a topic, ask a KB question, see a cited answer, thumbs down with a
reason, report a problem and see its id, log out. Every non-loopback request is blocked.
Screenshots of each step go to tests/e2e/artifacts/ (kept by CI as artifacts; not committed).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from bot.storage.models import Feedback, Report
from tests.e2e.browser import LOOPBACK, log_in, new_page, shot
from tests.support import stored


def test_a_customer_logs_in_asks_gives_feedback_reports_and_logs_out(stack, browser) -> None:  # type: ignore[no-untyped-def]
    app_url, settings = stack
    blocked: list[str] = []
    page = new_page(browser, blocked)

    page.goto(app_url)
    page.get_by_role("button", name="Log in").wait_for()
    shot(page, "1-login")
    log_in(page, app_url, "alice")

    main = page.locator("[data-testid=stMainBlockContainer]")
    main.get_by_text("How this assistant works").wait_for()
    main.get_by_text("It can be wrong.").wait_for()
    shot(page, "2-notice")
    page.get_by_role("button", name="I understand").click()

    page.get_by_text("What do you need help with?").wait_for()
    page.locator("[data-testid=stSelectbox]").first.click()
    page.get_by_role("option", name="Billing and payments").click()
    page.get_by_role("button", name="Which cards do you accept?").wait_for()
    shot(page, "3-topic")
    chat = page.locator("[data-testid=stChatInputTextArea]")
    chat.fill("which credit cards can I pay with?")
    chat.press("Enter")
    page.get_by_text("Sources").wait_for()
    source = page.get_by_role("link", name="Payment methods we accept")
    assert source.get_attribute("href") == "https://help.fixture.example/billing-cards"
    page.get_by_text("We accept Visa, Mastercard and American Express").wait_for()
    shot(page, "4-answer")

    page.locator("[data-testid=stFeedback] button").nth(1).click()  # thumbs down
    page.get_by_text("Wrong or missing source").click()
    page.get_by_text("Thanks, your feedback was saved.").wait_for()
    shot(page, "5-feedback")
    (feedback,) = stored(settings, Feedback)
    assert feedback.score == -1 and feedback.reason == "wrong_citation"

    page.locator("[data-testid=stChatMessage] button", has_text="Report a problem").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Tell us what went wrong").wait_for()
    dialog.locator("textarea").fill("The answer should mention debit cards first.")
    shot(page, "6-report")
    dialog.get_by_role("button", name="Send report").click()
    received = page.get_by_text(re.compile(r"Report R-[0-9A-Z]+ received"))
    received.wait_for()
    report_id = re.search(r"R-[0-9A-Z]+", received.inner_text()).group(0)  # type: ignore[union-attr]
    shot(page, "7-reported")
    (report,) = stored(settings, Report)
    assert report.id == report_id and report.text == "The answer should mention debit cards first."
    assert report.turn["question"] == "which credit cards can I pay with?"

    # A KB table is quoted under its header row and shown as a table.
    chat.fill("where do I find my VAT invoice?")
    chat.press("Enter")
    table = page.locator("[data-testid=stChatMessage]").last.locator("table")
    table.wait_for()
    assert table.locator("th").all_inner_texts() == ["Document", "Where to find it"]
    assert "Account > Orders > Download invoice" in table.inner_text()
    shot(page, "7b-table")

    page.get_by_role("button", name="Log out").click()
    page.get_by_role("button", name=re.compile("Yes, sign me out", re.I)).click()
    page.get_by_role("button", name="Log in").wait_for()
    shot(page, "8-logged-out")
    assert blocked == [] or all(urlsplit(u).hostname not in LOOPBACK for u in blocked)


def test_staff_pages_are_not_reachable_by_url_for_customers(stack, browser) -> None:  # type: ignore[no-untyped-def]
    app_url, _ = stack
    page = new_page(browser, [])
    log_in(page, app_url, "bob")
    page.get_by_role("button", name="I understand").click()
    page.goto(f"{app_url}/staff-kb")
    page.get_by_text("What do you need help with?").wait_for()
    assert page.get_by_text("Knowledge base loaded").count() == 0
    staff = new_page(browser, [])
    log_in(staff, app_url, "staff-anna")
    staff.get_by_role("button", name="I understand").click()
    staff.goto(f"{app_url}/staff-kb")
    staff.get_by_text("Knowledge base loaded: 3 verified articles").wait_for()
    shot(staff, "9-staff-kb")
