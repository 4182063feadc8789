"""End to end in a real browser against the real OpenID provider: a customer asks, thumbs down and
reports; a staff member, logging in within the same test, finds the report by its id, opens the
whole turn, says the article it cited needs a fix, resolves the report with a note, sees the dashboard
count it, and finds the fix on the KB page with the report and its status. Screenshots of the queue,
the detail view, the dashboard and the KB page's article health go to tests/e2e/artifacts/ (copied
to docs/screenshots for the README).
"""

from __future__ import annotations

import re

from bot.storage.models import ArticleFix, Report
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
    fix_note = staff.get_by_label("What is wrong with it")
    fix_note.fill("Debit cards are missing.")
    fix_note.press("Enter")
    staff.get_by_role("button", name="Article needs a fix").click()
    staff.get_by_text(re.compile(r"[a-z-]+ is listed for a fix on the Knowledge base page")).wait_for()
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

    # The article named in the report is listed on the KB page, with the report and its status, and
    # the customer's thumbs down and report count against the articles the answer cited.
    staff.goto(f"{app_url}/staff-kb")
    staff.get_by_role("heading", name="Article health").wait_for()
    (fix,) = stored(settings, ArticleFix)
    listed = staff.get_by_text(re.compile(rf"{fix.article_id} · fix open · from report {report_id} \(resolved\)"))
    listed.wait_for()
    assert staff.get_by_text("Debit cards are missing.").count() == 1
    for figure in ("Cited in answers", "Thumbed down", "Reported"):
        staff.get_by_text(figure, exact=True).wait_for()
    assert staff.get_by_text("No thumbs down in this range.").count() == 0
    assert staff.get_by_text("No reports in this range.").count() == 0
    staff.locator("[data-testid=stVegaLiteChart]").nth(3).wait_for()  # topics, then the three figures
    staff.set_viewport_size({"width": 1200, "height": 1500})  # the page scrolls inside Streamlit's own container
    staff.get_by_role("heading", name="Article health").evaluate("e => e.scrollIntoView({block: 'start'})")
    for label in ("Fix status", "Between start date", "Topic"):  # drawn again at the new size before the picture
        staff.get_by_label(label, exact=True).wait_for()
    shot(staff, "13-kb-health")
