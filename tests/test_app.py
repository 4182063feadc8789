"""The app's flows with Streamlit's AppTest: real pipeline, real SQLite records, `st.user` seeded.

The browser end-to-end test against the real OpenID provider is tests/e2e/test_browser.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from bot import config
from bot.config import Settings
from bot.storage.models import Acknowledgement, Feedback, Report, TurnRecord
from ingest import cli
from tests.llm_server import MODEL_ID
from tests.support import stored

ROOT = Path(__file__).resolve().parents[1]
ALICE = {"is_logged_in": True, "sub": "alice", "iss": "http://localhost:9400", "name": "Alice", "email": "a@x.test"}
STAFF = {**ALICE, "sub": "staff-anna", "name": "Anna", "groups": ["safedesk-staff"], "iat": int(time.time())}
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "x" * 32,
    "client_id": "c",
    "client_secret": "s",
    "server_metadata_url": "http://localhost:9400/.well-known/openid-configuration",
}


@pytest.fixture
def app_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("SAFEDESK_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SAFEDESK_INTENTS_FILE", str(settings.intents_file))
    monkeypatch.setenv("SAFEDESK_COLLECTION", settings.collection)
    monkeypatch.setenv("SAFEDESK_SUPPORT_CONTACT", "help@fixture.example")
    assert cli.main([str(settings.kb_dir), "--quiet"], settings) == 0
    config.get_settings.cache_clear()
    st.cache_resource.clear()  # the app caches its pipeline and database per process
    yield settings
    config.get_settings.cache_clear()
    st.cache_resource.clear()


def app(user: dict, run: bool = True) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.user = user
    at.secrets["auth"] = AUTH
    if run:
        at.run()
        assert not at.exception, at.exception
    return at


def past_notice(at: AppTest) -> AppTest:
    next(b for b in at.button if b.label == "I understand").click().run()
    assert not at.exception, at.exception
    return at


def ask(at: AppTest, intent: str, question: str) -> AppTest:
    at.selectbox(key="intent").select(intent).run()
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    return at


def test_logged_out_visitors_see_only_the_login_page(app_env: Settings) -> None:
    at = app({"is_logged_in": False})
    assert [b.label for b in at.button] == ["Log in"]
    assert not at.chat_input and not at.selectbox
    assert "Nordlys Home help" in at.title[0].value


def test_without_an_identity_provider_the_page_says_how_to_configure_one(app_env: Settings) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.user = {"is_logged_in": False}
    at.run()
    assert "Login is not configured" in at.error[0].value and not at.button


def test_guest_mode_is_off_by_default_and_says_so_when_on(app_env: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "Continue as a guest" not in [b.label for b in app({"is_logged_in": False}).button]
    monkeypatch.setenv("SAFEDESK_GUEST_MODE", "true")
    config.get_settings.cache_clear()
    at = app({"is_logged_in": False})
    next(b for b in at.button if b.label == "Continue as a guest").click().run()
    past_notice(at)
    assert any("asking as a guest" in i.value for i in at.info)


def test_the_notice_comes_first_and_is_acknowledged_once(app_env: Settings) -> None:
    at = app(ALICE)
    notice = at.markdown[1].value if "Before you ask" not in at.markdown[0].value else at.markdown[0].value
    assert "can be wrong" in notice and "Never share passwords, card numbers" in notice
    assert "help@fixture.example" in notice and "Reports are read by our support" in notice
    assert not at.selectbox  # nothing to ask before the notice is acknowledged
    past_notice(at)
    assert at.selectbox(key="intent")
    assert len(stored(app_env, Acknowledgement)) == 1
    again = app(ALICE)  # a new session of the same user: not shown again
    assert again.selectbox(key="intent") and "I understand" not in [b.label for b in again.button]


def test_free_text_only_once_an_intent_is_chosen(app_env: Settings) -> None:
    at = past_notice(app(ALICE))
    assert at.chat_input[0].disabled
    at.selectbox(key="intent").select("billing").run()
    assert "up to 800 characters" in at.chat_input[0].placeholder
    assert "Which cards do you accept?" in [b.label for b in at.button]  # a suggested question


def test_an_answer_cites_its_articles_and_is_recorded(app_env: Settings) -> None:
    at = ask(past_notice(app(ALICE)), "billing", "which credit cards can I pay with?")
    texts = [m.value for m in at.markdown]
    assert any("We accept Visa, Mastercard and American Express" in t for t in texts)
    assert any("1. [Payment methods we accept](https://help.fixture.example/billing-cards)" in t for t in texts)
    assert [c.value for c in at.caption if c.value.startswith("Not what you asked?")] == [
        "Not what you asked? Email billing@fixture.example"
    ]
    (turn,) = stored(app_env, TurnRecord)
    assert turn.decision == "answered" and turn.question == "which credit cards can I pay with?"
    assert turn.turn["citations"][0]["article_id"] == "billing-cards"


def test_with_a_real_model_server_the_streamed_answer_ends_as_a_cited_turn(
    app_env: Settings, llm_base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "SAFEDESK_ANSWER_MODE": "llm",
        "OPENAI_BASE_URL": llm_base_url,
        "OPENAI_API_KEY": "local",
        "OPENAI_CHAT_MODEL": MODEL_ID,
        "SAFEDESK_LLM_MAX_OUTPUT_TOKENS": "48",
    }.items():
        monkeypatch.setenv(name, value)
    config.get_settings.cache_clear()
    st.cache_resource.clear()
    at = ask(past_notice(app(ALICE)), "billing", "which credit cards can I pay with?")
    (turn,) = stored(app_env, TurnRecord)
    assert turn.decision in ("answered", "not_in_kb")
    texts = [m.value for m in at.markdown]
    if turn.decision == "answered":  # the model's screened answer, or the quoted one that replaced it
        assert turn.turn["model"] in (MODEL_ID, "extractive")
        assert any(turn.turn["answer"] in t for t in texts)
        assert any("1. [Payment methods we accept](https://help.fixture.example/billing-cards)" in t for t in texts)


def test_a_suggested_question_is_asked_with_one_click(app_env: Settings) -> None:
    at = past_notice(app(ALICE))
    at.selectbox(key="intent").select("billing").run()
    next(b for b in at.button if b.label == "Which cards do you accept?").click().run()
    assert any("Visa" in m.value for m in at.markdown)


def test_not_in_the_kb_is_a_plain_note_with_the_handoff(app_env: Settings) -> None:
    at = ask(past_notice(app(ALICE)), "billing", "do you sell garden furniture and barbecues?")
    assert any("couldn't find an answer" in i.value for i in at.info)
    assert any("Email billing@fixture.example" in m.value for m in at.markdown)
    assert not any("Sources" in m.value for m in at.markdown)
    assert not any(c.value.startswith("Not what you asked?") for c in at.caption)  # said once, above
    assert not any("score" in m.value.lower() for m in at.markdown)  # no scores shown to users


def test_personal_data_is_never_shown_back_or_stored(app_env: Settings) -> None:
    at = ask(past_notice(app(ALICE)), "billing", "my card is 4111 1111 1111 1111, which cards do you accept?")
    assert any("don't share personal details" in c.value for c in at.caption)
    assert not any("4111" in t.value for t in at.text)
    assert "4111" not in stored(app_env, TurnRecord)[0].question


def test_thumbs_down_with_a_reason_is_stored(app_env: Settings) -> None:
    at = ask(past_notice(app(ALICE)), "billing", "which credit cards can I pay with?")
    at.feedback[0].set_value(0).run()
    at.radio[0].set_value("wrong_citation").run()
    (feedback,) = stored(app_env, Feedback)
    assert feedback.score == -1 and feedback.reason == "wrong_citation"
    assert any("feedback was saved" in c.value for c in at.caption)


def test_report_a_problem_gives_an_id_and_keeps_the_whole_turn(app_env: Settings) -> None:
    at = ask(past_notice(app(ALICE)), "billing", "which credit cards can I pay with?")
    next(b for b in at.button if b.label == "Report a problem" and b.key.startswith("report-")).click().run()
    at.selectbox(key=next(s.key for s in at.selectbox if s.key.startswith("report-reason-"))).select("unsafe")
    at.text_area[0].input("It told me to email jane@example.com my card number")
    next(b for b in at.button if b.label == "Send report").click().run()
    (report,) = stored(app_env, Report)
    assert any(report.id in s.value for s in at.success)
    assert report.reason == "unsafe" and "jane@example.com" not in report.text
    assert report.turn["question"] == "which credit cards can I pay with?" and report.turn["passages"]


def test_staff_pages_exist_only_for_staff(app_env: Settings) -> None:
    at = past_notice(app(ALICE))
    assert "(staff)" not in at.sidebar.markdown[0].value
    staff = past_notice(app(STAFF))
    assert "(staff)" in staff.sidebar.markdown[0].value


def test_staff_who_logged_in_too_long_ago_are_customers_until_they_log_in_again(app_env: Settings) -> None:
    stale = past_notice(app({**STAFF, "iat": int(time.time()) - 13 * 3600}))
    assert "(staff)" not in stale.sidebar.markdown[0].value
    assert any("staff session has expired" in w.value for w in stale.sidebar.warning)
    fresh = app(STAFF)  # the same user, logged in again (the notice was acknowledged above)
    assert "(staff)" in fresh.sidebar.markdown[0].value and not fresh.sidebar.warning


def test_an_unverified_allowlisted_email_is_not_staff(app_env: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFEDESK_STAFF_EMAILS", "a@x.test")
    config.get_settings.cache_clear()
    claimed = {**ALICE, "iat": int(time.time()), "email_verified": False}
    assert "(staff)" not in past_notice(app(claimed)).sidebar.markdown[0].value
    assert "(staff)" in app({**claimed, "email_verified": True}).sidebar.markdown[0].value


def test_log_out_is_in_the_sidebar(app_env: Settings) -> None:
    at = past_notice(app(ALICE))
    assert "Log out" in [b.label for b in at.sidebar.button]


def test_a_report_that_cannot_be_saved_says_so_and_keeps_what_was_typed(
    app_env: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    from bot.storage import records

    real = records.add_report

    def down(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    at = ask(past_notice(app(ALICE)), "billing", "which credit cards can I pay with?")
    next(b for b in at.button if b.label == "Report a problem" and b.key.startswith("report-")).click().run()
    at.text_area[0].input("The answer was wrong")
    monkeypatch.setattr(records, "add_report", down)
    next(b for b in at.button if b.label == "Send report").click().run()
    assert any("couldn't save your report" in e.value for e in at.error)
    assert at.text_area[0].value == "The answer was wrong" and not stored(app_env, Report)
    monkeypatch.setattr(records, "add_report", real)
    next(b for b in at.button if b.label == "Send report").click().run()
    (report,) = stored(app_env, Report)
    assert report.text == "The answer was wrong" and any(report.id in s.value for s in at.success)


def test_without_a_knowledge_base_the_app_says_what_to_run(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFEDESK_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SAFEDESK_INTENTS_FILE", str(settings.intents_file))
    monkeypatch.setenv("SAFEDESK_COLLECTION", settings.collection)
    config.get_settings.cache_clear()
    st.cache_resource.clear()
    try:
        at = app(ALICE)
        (error,) = at.error
        assert "no knowledge base at" in error.value and str(settings.chroma_path.resolve()) in error.value
        assert "python -m ingest" in error.value and not at.chat_input
        assert not settings.chroma_path.exists()  # not silently created empty
        assert cli.main([str(settings.kb_dir), "--quiet"], settings) == 0
        assert not app(ALICE).error  # the next page load finds it: the failure was not cached
    finally:
        config.get_settings.cache_clear()
        st.cache_resource.clear()


# --- database faults: a plain message, never the error ------------------------------------------


def database_down(*args, **kwargs):  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import OperationalError

    raise OperationalError("SELECT acknowledgements.id FROM acknowledgements", {}, Exception("database is locked"))


def page_text(at: AppTest) -> str:
    kinds = (at.markdown, at.error, at.warning, at.info, at.caption, at.text, at.exception, at.toast)
    return "\n".join(str(getattr(element, "value", element)) for kind in kinds for element in kind)


def assert_plain(at: AppTest) -> None:
    assert not at.exception, at.exception
    text = page_text(at)
    for leak in ("Traceback", "OperationalError", "SELECT", "INSERT", "sqlite3"):
        assert leak not in text, text


def test_errors_are_never_shown_in_detail() -> None:
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"


def test_an_answer_that_cannot_be_saved_says_so_after_the_rerun(
    app_env: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.storage import records

    at = past_notice(app(ALICE))
    monkeypatch.setattr(records, "record_turn", database_down)
    ask(at, "billing", "which credit cards can I pay with?")
    assert any("We accept Visa" in m.value for m in at.markdown)
    (error,) = at.error
    assert error.value == "Sorry, we couldn't save this answer just now. Please try again in a moment."
    assert_plain(at)
    assert not stored(app_env, TurnRecord)
    monkeypatch.undo()  # the database is back: the answer is recorded before its feedback
    at.feedback[0].set_value(1).run()
    assert len(stored(app_env, TurnRecord)) == 1 and len(stored(app_env, Feedback)) == 1
    assert not at.error  # said once, not on every rerun


def test_unreadable_records_still_show_the_notice_and_let_the_visitor_ask(
    app_env: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.storage import records

    monkeypatch.setattr(records, "has_acknowledged", database_down)
    monkeypatch.setattr(records, "acknowledge", database_down)
    at = app(ALICE)
    assert "I understand" in [b.label for b in at.button]
    past_notice(at)
    assert any("couldn't save that you read this notice" in t.value for t in at.toast)
    ask(at, "billing", "which credit cards can I pay with?")
    assert any("We accept Visa" in m.value for m in at.markdown)
    assert_plain(at)


def test_records_that_cannot_be_opened_give_a_plain_message(app_env: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.ui import resources

    monkeypatch.setattr(resources, "open_database", database_down)
    at = app(ALICE)
    assert [e.value for e in at.error] == [resources.RECORDS_DOWN]
    assert_plain(at)
