"""End to end in a real browser: Debian's Chromium driven by Playwright, against the real app
(`streamlit run app.py`) and the real development OpenID provider (devauth/), both on loopback.

Log in, see the notice, pick a topic, ask a KB question, see a cited answer, thumbs down with a
reason, report a problem and see its id, log out. Every non-loopback request is blocked.
Screenshots of each step go to tests/e2e/artifacts/ (kept by CI as artifacts; not committed).
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from bot.config import Settings
from bot.storage.models import Feedback, Report
from ingest import cli
from tests.support import free_port, stop, stored
from tools.local_auth import running_provider

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOOPBACK = {"localhost", "127.0.0.1", "::1"}


@pytest.fixture(scope="module")
def stack(settings_factory, tmp_path_factory) -> Iterator[tuple[str, Settings]]:  # type: ignore[no-untyped-def]
    """The app and the provider, started here and stopped by pid."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (make test does it)")
    home = tmp_path_factory.mktemp("e2e")
    settings = settings_factory(home / "data")
    assert cli.main([str(settings.kb_dir), "--quiet"], settings) == 0
    app_port, provider_port = free_port(), free_port()
    app_url = f"http://localhost:{app_port}"
    client_secret = secrets.token_urlsafe(24)
    secrets_file = home / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "{app_url}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_urlsafe(32)}"\n'
        'client_id = "safedesk-e2e"\n'
        f'client_secret = "{client_secret}"\n'
        f'server_metadata_url = "http://localhost:{provider_port}/.well-known/openid-configuration"\n'
        'client_kwargs = { prompt = "login", scope = "openid profile email groups" }\n'
    )
    env = {
        **os.environ,
        "SAFEDESK_ENV_FILE": "",
        "SAFEDESK_DATA_DIR": str(settings.data_dir),
        "SAFEDESK_KB_DIR": str(settings.kb_dir),
        "SAFEDESK_INTENTS_FILE": str(settings.intents_file),
        "SAFEDESK_COLLECTION": settings.collection,
        "STREAMLIT_SECRETS_FILES": str(secrets_file),
    }
    log = home / "streamlit.log"
    redirect = [f"{app_url}/oauth2callback"]
    with running_provider(provider_port, "safedesk-e2e", client_secret, redirect, home / "devauth.log"):
        with log.open("wb") as out:
            app = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
                 "--server.port", str(app_port), "--server.headless", "true",
                 "--browser.gatherUsageStats", "false"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{app_port}/_stcore/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if app.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the app did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.25)
            yield app_url, settings
        finally:
            stop(app)


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield browser
        browser.close()


def new_page(browser, blocked: list[str]):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1200, "height": 900})

    def only_loopback(route) -> None:  # type: ignore[no-untyped-def]
        if urlsplit(route.request.url).hostname in LOOPBACK or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_loopback)
    page = context.new_page()
    page.set_default_timeout(60_000)
    return page


def shot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page, app_url: str, account: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(app_url)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"localhost:\d+/interaction/"))
    page.locator("input[name=login]").fill(account)
    page.locator("input[name=password]").fill("anything")
    page.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(re.escape(app_url)))


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
