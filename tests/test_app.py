from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from bot import config
from bot.config import Settings
from ingest import cli

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def app_env(settings: Settings, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SAFEDESK_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SAFEDESK_INTENTS_FILE", str(settings.intents_file))
    monkeypatch.setenv("SAFEDESK_COLLECTION", settings.collection)
    config.get_settings.cache_clear()
    st.cache_resource.clear()  # the app caches its retriever per process
    yield settings
    config.get_settings.cache_clear()
    st.cache_resource.clear()


def run_app() -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.run()
    assert not app.exception, app.exception
    return app


def test_the_page_shows_the_kb_is_loaded(app_env: Settings) -> None:
    assert cli.main([str(app_env.kb_dir), "--quiet"], app_env) == 0
    app = run_app()
    assert "Knowledge base loaded: 3 verified articles" in app.success[0].value
    assert app.dataframe[0].value["Articles"].tolist() == [2, 1, 1]  # billing, account, shipping
    app.text_input[0].input("which credit cards can I pay with").run()
    assert "Payment methods we accept" in app.markdown[0].value


def test_an_empty_kb_says_how_to_load_it(app_env: Settings) -> None:
    app = run_app()
    assert "knowledge base is empty" in app.warning[0].value


def test_a_question_outside_the_kb_gets_the_handoff(app_env: Settings) -> None:
    cli.main([str(app_env.kb_dir), "--quiet"], app_env)
    app = run_app()
    app.selectbox[0].select("shipping").run()
    app.text_input[0].input("what is the capital of france").run()
    assert "Call +44 20 7946 0001" in app.info[0].value
