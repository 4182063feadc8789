"""The real stack for browser tests: the app (`streamlit run app.py`) and the development OpenID
provider (devauth/) on loopback, Debian's Chromium driven by Playwright, and page helpers.

`running_stack` starts both for a settings object (with its KB already loaded) and stops them by
pid; every page made with `new_page` blocks, and lists, any request that leaves loopback. Test
modules share these through tests/e2e/conftest.py; a module that needs its own KB calls
`running_stack` itself.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from bot.config import Settings
from tests.support import free_port, stop
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


@contextmanager
def running_stack(settings: Settings, home: Path, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """The app and the provider for `settings`, on free loopback ports; yields the app's URL."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (make test does it)")
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
        **(extra_env or {}),
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
            yield app_url
        finally:
            stop(app)


def new_page(browser, blocked: list[str]):  # type: ignore[no-untyped-def]
    """A page in a new context; requests that leave loopback are aborted and listed in `blocked`."""
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
