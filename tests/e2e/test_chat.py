"""The chat in a real browser, as a returning customer tries it: the conversation is back after a reload,
"New conversation" empties it for good, a paste over the length limit says so, a new answer is scrolled
into view, and a report can leave a contact address. Chromium via Playwright against the real app and
OpenID provider on loopback (fixtures in conftest.py); screenshots go to tests/e2e/artifacts/.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from bot.storage.models import Report, TurnRecord
from tests.e2e.browser import log_in, new_page, shot
from tests.support import stored

LIMIT = 800  # SAFEDESK_MAX_INPUT_CHARS's default, which the stack runs with


def choose_billing(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_text("What do you need help with?").wait_for()
    page.locator("[data-testid=stSelectbox]").first.click()
    page.get_by_role("option", name="Billing and payments").click()


def ask(page, question: str, answer_text: str) -> None:  # type: ignore[no-untyped-def]
    chat = page.locator("[data-testid=stChatInputTextArea]")
    chat.fill(question)
    chat.press("Enter")
    page.locator("[data-testid=stChatMessage]").last.get_by_text(answer_text).first.wait_for()


def asked(page) -> list[str]:  # type: ignore[no-untyped-def]
    """The questions shown, in order (each turn is a user message, then the assistant's)."""
    return page.locator("[data-testid=stChatMessage]").locator("[data-testid=stText]").all_inner_texts()


def test_the_conversation_survives_a_reload_until_a_new_one_is_started(stack, browser) -> None:  # type: ignore[no-untyped-def]
    app_url, settings = stack
    blocked: list[str] = []
    page = new_page(browser, blocked)
    log_in(page, app_url, "carol")
    page.get_by_role("button", name="I understand").click()
    choose_billing(page)
    new_conversation = page.get_by_role("button", name="New conversation")
    expect(new_conversation).to_be_disabled()
    ask(page, "which credit cards can I pay with?", "We accept Visa, Mastercard and American Express")

    page.reload()
    page.get_by_text("We accept Visa, Mastercard and American Express").wait_for()
    assert asked(page) == ["which credit cards can I pay with?"]
    expect(page.get_by_role("link", name="Payment methods we accept")).to_be_visible()
    expect(page.get_by_role("combobox", name="What do you need help with?")).to_have_value("Billing and payments")
    expect(page.locator("[data-testid=stChatInputTextArea]")).to_be_enabled()
    shot(page, "chat-1-restored")

    new_conversation.click()
    page.get_by_role("button", name="Which cards do you accept?").wait_for()  # an empty chat shows suggestions
    assert asked(page) == []
    page.reload()
    page.get_by_role("button", name="Which cards do you accept?").wait_for()
    assert asked(page) == []
    shot(page, "chat-2-new-conversation")
    assert len(stored(settings, TurnRecord)) == 1
    assert blocked == []


def test_a_paste_over_the_limit_says_so_and_sends_nothing(stack, browser) -> None:  # type: ignore[no-untyped-def]
    app_url, settings = stack
    page = new_page(browser, [])
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_url)
    log_in(page, app_url, "dave")
    page.get_by_role("button", name="I understand").click()
    choose_billing(page)
    pasted = "My order was charged twice, please help. " * 25  # 1,050 characters
    assert len(pasted) > LIMIT
    page.evaluate("text => navigator.clipboard.writeText(text)", pasted)
    chat = page.locator("[data-testid=stChatInputTextArea]")
    chat.click()
    page.keyboard.press("ControlOrMeta+V")
    expect(chat).to_have_value(pasted)  # the paste lands: a browser-side limit used to drop it silently
    chat.press("Enter")
    warning = page.get_by_text(f"Your message is {len(pasted):,} characters long; the limit is {LIMIT}.")
    warning.wait_for()
    expect(warning).to_be_in_viewport()
    expect(chat).to_have_value(pasted)  # back in the box, to be shortened there
    shot(page, "chat-3-too-long")
    assert asked(page) == []
    assert not [t for t in stored(settings, TurnRecord) if "charged twice" in t.question]
    chat.fill("My order was charged twice, please help.")
    chat.press("Enter")
    page.locator("[data-testid=stChatMessage]").last.locator("[data-testid=stFeedback]").wait_for()
    assert asked(page) == ["My order was charged twice, please help."]
    expect(warning).to_have_count(0)


def test_a_new_answer_is_scrolled_into_view(stack, browser) -> None:  # type: ignore[no-untyped-def]
    app_url, _ = stack
    page = new_page(browser, [])
    page.set_viewport_size({"width": 1000, "height": 600})
    log_in(page, app_url, "erin")
    page.get_by_role("button", name="I understand").click()
    choose_billing(page)
    for question in ("which credit cards can I pay with?", "where do I find my VAT invoice?"):
        ask(page, question, "We accept Visa" if "cards" in question else "Download invoice")
    # Back up to the first answer, as a reader does: Streamlit follows new content only from the bottom.
    page.locator("[data-testid=stChatMessage]").first.scroll_into_view_if_needed()
    expect(page.locator("[data-testid=stChatMessage]").first).to_be_in_viewport()
    ask(page, "can I pay with PayPal?", "PayPal")
    messages = page.locator("[data-testid=stChatMessage]")
    expect(messages.nth(-2)).to_be_in_viewport()  # the new question, with its answer below it
    expect(messages.first).not_to_be_in_viewport()


def test_a_report_quotes_its_answer_and_keeps_a_contact_only_when_ticked(stack, browser) -> None:  # type: ignore[no-untyped-def]
    app_url, settings = stack
    page = new_page(browser, [])
    log_in(page, app_url, "frank")
    page.get_by_role("button", name="I understand").click()
    choose_billing(page)
    ask(page, "which credit cards can I pay with?", "We accept Visa, Mastercard and American Express")
    page.locator("[data-testid=stChatMessage] button", has_text="Report a problem").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("About the answer to “which credit cards can I pay with?”").wait_for()
    expect(dialog.locator("blockquote")).to_contain_text("Debit and credit cards are charged when the order ships")
    expect(dialog.get_by_role("textbox", name="Your email address")).to_have_count(0)
    dialog.get_by_text("Our support team may email me about this report").click()
    address = dialog.get_by_role("textbox", name="Your email address")
    address.fill("frank at example")
    address.press("Enter")
    dialog.locator("textarea").fill("Debit cards are missing.")
    dialog.get_by_role("button", name="Send report").click()
    dialog.get_by_text("Please enter an email address such as name@example.com").wait_for()
    assert not stored(settings, Report)
    address.fill("frank.castle@example.com")
    address.press("Enter")
    expect(dialog.get_by_text("Please enter an email address")).to_have_count(0)  # the rerun has shown the form
    shot(page, "chat-4-report-contact")
    dialog.get_by_role("button", name="Send report").click()
    received = page.get_by_text(re.compile(r"Report R-[0-9A-Z]+ received"))
    received.wait_for()
    (report,) = [r for r in stored(settings, Report) if r.text == "Debit cards are missing."]
    assert report.contact == "frank.castle@example.com"
    assert report.id in received.inner_text()
