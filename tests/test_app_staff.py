"""The staff console inside the app: registered for staff only, so a customer reaches none of it by URL."""

from __future__ import annotations

import pytest
from streamlit.util import calc_hash

from bot.config import Settings
from bot.ui.staff_pages import STAFF_TITLES, STAFF_URLS
from tests.test_app import ALICE, STAFF, app, app_env, past_notice  # noqa: F401 (app_env is a fixture)


def visit(at, url_path: str):  # type: ignore[no-untyped-def]
    at._page_hash = calc_hash(url_path)  # what a browser opening /<url_path> asks for
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("url_path", STAFF_URLS)
def test_a_customer_opening_a_staff_url_gets_the_chat(app_env: Settings, url_path: str) -> None:  # noqa: F811
    at = visit(past_notice(app(ALICE)), url_path)
    titles = [t.value for t in at.title]
    assert "What do you need help with?" in [s.label for s in at.selectbox]  # the chat page
    assert not set(STAFF_TITLES) & set(titles)


def test_staff_open_each_staff_page_by_url(app_env: Settings) -> None:  # noqa: F811
    expected = dict(zip(STAFF_URLS, STAFF_TITLES, strict=True))
    at = past_notice(app(STAFF))
    for url_path, title in expected.items():
        assert title in [t.value for t in visit(at, url_path).title]
