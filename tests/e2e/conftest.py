"""Fixtures of the browser tests: the real stack on the fixture KB, and one Chromium per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.config import Settings
from ingest import cli
from tests.e2e.browser import CHROMIUM, FLAGS, running_stack


@pytest.fixture(scope="module")
def stack(request, settings_factory, tmp_path_factory) -> Iterator[tuple[str, Settings]]:  # type: ignore[no-untyped-def]
    """The app and the provider on the fixture KB, started here and stopped by pid. A test module
    may set `STACK_ENV` (a dict) for environment variables of its own app."""
    home = tmp_path_factory.mktemp("e2e")
    settings = settings_factory(home / "data")
    assert cli.main([str(settings.kb_dir), "--quiet"], settings) == 0
    # Three articles are too few for the bands' calibration (made on the sample KB): a lower answer
    # threshold lets these tests see answers; tests/e2e/test_suggested.py covers the middle band.
    # A module may add settings of its own (STACK_ENV).
    env = {"SAFEDESK_ANSWER_CONFIDENCE": "0.2", **getattr(request.module, "STACK_ENV", {})}
    with running_stack(settings, home, env) as app_url:
        yield app_url, settings


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield browser
        browser.close()
