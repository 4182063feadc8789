"""End to end in a real browser against the real OpenID provider: a customer asks, thumbs down and
reports; a staff member, logging in within the same test, finds the report by its id, opens the
whole turn, resolves it with a note, and sees the dashboard count it. Screenshots of the queue, the
detail view and the dashboard go to tests/e2e/artifacts/ (copied to docs/screenshots for the README).
"""

from __future__ import annotations

import re

from bot.storage.models import Report
from tests.e2e.browser import log_in, new_page, shot
from tests.support import stored


def test_staff_find_resolve_and_count_a_customers_report(stack, browser) -> None:  # type: ignore[no-untyped-def]
    app_url, settings = stack
    customer = new_page(browser, [])
    log_in(customer, app_url, "carol")
    customer.get_by_role("button", name="I understand").click()
    customer.locator("[data-testid=stSelectbox]").first.click()
    customer.get_by_role("option", name="Billing and payments").click()
    chat = customer.locator("[data-testid=stChatInputTextArea]")
    chat.fill("which credit cards can I pay with?")
    chat.press("Enter")
    customer.get_by_text("Sources").wait_for()
    customer.locator("[data-testid=stFeedback] button").nth(1).click()  # thumbs down
    customer.get_by_text("Wrong or missing source").click()
    customer.get_by_text("Thanks, your feedback was saved.").wait_for()
    customer.locator("[data-testid=stChatMessage] button", has_text="Report a problem").click()
    dialog = customer.get_by_role("dialog")
    dialog.locator("textarea").fill("Debit cards are missing.")
    dialog.get_by_role("button", name="Send report").click()
    received = customer.get_by_text(re.compile(r"Report R-[0-9A-Z]+ received"))
    received.wait_for()
    report_id = re.search(r"R-[0-9A-Z]+", received.inner_text()).group(0)  # type: ignore[union-attr]

    staff = new_page(browser, [])
    log_in(staff, app_url, "staff-anna")
    staff.get_by_role("button", name="I understand").click()
    staff.goto(f"{app_url}/staff-review")
    staff.get_by_label("Report id").fill(report_id)
    staff.get_by_label("Report id").press("Enter")
    staff.get_by_role("heading", name=f"{report_id} · open").wait_for()
    main = staff.locator("[data-testid=stMainBlockContainer]")
    main.get_by_text("Debit cards are missing.").wait_for()
    main.locator("code", has_text="which credit cards can I pay with?").wait_for()  # the question, redacted
    main.get_by_role("link", name="Payment methods we accept").first.wait_for()
    shot(staff, "10-review-queue")
    staff.get_by_label("Change status to").click()
    staff.keyboard.type("resolved")
    staff.keyboard.press("Enter")
    staff.get_by_label("Note").fill("Added debit cards to the article.")
    shot(staff, "11-review-detail")
    staff.get_by_role("button", name="Save status").click()
    staff.get_by_text(f"{report_id} is now resolved.").wait_for()
    (report,) = stored(settings, Report)
    assert (report.id, report.status, report.note) == (report_id, "resolved", "Added debit cards to the article.")

    staff.goto(f"{app_url}/staff-dashboard")
    resolved = staff.locator("[data-testid=stMetric]").filter(has_text="Reports resolved")
    resolved.wait_for()
    assert resolved.locator("[data-testid=stMetricValue]").inner_text().strip() == "1"
    staff.locator("[data-testid=stVegaLiteChart]").first.wait_for()
    shot(staff, "12-dashboard")
