"""The chat as a returning user meets it, with Streamlit's AppTest: the last conversation restored in a new
session, "New conversation", a question over the length limit, suggested questions that wrap, and the
report dialog naming its answer and taking an optional contact address. Real pipeline, real SQLite."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from bot import config
from bot.config import Settings
from bot.storage.models import Conversation, Feedback, Report, TurnRecord
from bot.ui.report_form import answer_first_line, literal
from tests.support import stored
from tests.test_app import ALICE, app, ask, past_notice
from tests.test_app import app_env as app_env  # the fixture, shared with test_app.py

BOB = {**ALICE, "sub": "bob", "name": "Bob"}
QUESTION = "which credit cards can I pay with?"
ANSWER = "We accept Visa, Mastercard and American Express"


def new_session(user: dict) -> AppTest:
    """The same user in a new Streamlit session: what a reload of the page gives."""
    at = app(user)
    assert not at.exception, at.exception
    return at


def questions(at: AppTest) -> list[str]:
    return [t.value for t in at.text]  # questions are shown with st.text, never as Markdown


def open_report_dialog(at: AppTest) -> AppTest:
    next(b for b in at.button if b.label == "Report a problem" and (b.key or "").startswith("report-")).click().run()
    assert not at.exception, at.exception
    return at


def send_report(at: AppTest) -> AppTest:
    next(b for b in at.button if b.label == "Send report").click().run()
    assert not at.exception, at.exception
    return at


# --- the conversation survives a reload ----------------------------------------------------------


def test_a_reload_shows_the_last_conversation_with_its_feedback_and_topic(app_env: Settings) -> None:
    at = ask(past_notice(app(ALICE)), "billing", QUESTION)
    at.feedback[0].set_value(1).run()
    assert len(stored(app_env, Feedback)) == 1

    again = new_session(ALICE)
    assert questions(again) == [QUESTION]
    assert any(ANSWER in m.value for m in again.markdown)
    assert any(
        "1. [Payment methods we accept](https://help.fixture.example/billing-cards)" in m.value for m in again.markdown
    )
    assert again.feedback[0].value == 1  # the thumbs up given before the reload
    assert again.selectbox(key="intent").value == "billing"  # ready to go on
    assert not again.chat_input[0].disabled
    assert not again.sidebar.button(key="report-sidebar").disabled  # it reports on the restored answer
    assert "Which cards do you accept?" not in [b.label for b in again.button]  # suggestions only when empty

    ask(again, "billing", "where do I find my VAT invoice?")  # continues the same conversation
    turns = stored(app_env, TurnRecord)
    assert len(turns) == 2 and len({t.conversation_id for t in turns}) == 1
    assert len(stored(app_env, Feedback)) == 1  # restoring did not record anything again


def test_a_thumbs_down_and_a_report_are_shown_as_done_after_a_reload(app_env: Settings) -> None:
    at = ask(past_notice(app(ALICE)), "billing", QUESTION)
    at.feedback[0].set_value(0).run()
    at.radio[0].set_value("wrong_citation").run()
    send_report(open_report_dialog(at))
    (report,) = stored(app_env, Report)

    again = new_session(ALICE)
    assert again.feedback[0].value == 0
    assert not again.radio  # the reason is not asked for again
    assert any("feedback was saved" in c.value for c in again.caption)
    assert any(report.id in s.value for s in again.success)


def test_another_users_conversation_is_never_shown(app_env: Settings) -> None:
    ask(past_notice(app(ALICE)), "billing", QUESTION)
    bob = past_notice(new_session(BOB))
    assert questions(bob) == [] and bob.selectbox(key="intent").value is None


def test_a_guest_starts_empty(app_env: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFEDESK_GUEST_MODE", "true")
    config.get_settings.cache_clear()
    at = app({"is_logged_in": False})
    next(b for b in at.button if b.label == "Continue as a guest").click().run()
    ask(past_notice(at), "billing", QUESTION)
    assert questions(at) == [QUESTION]
    other = app({"is_logged_in": False})  # a reload: the guest's identity was this session's only
    assert "Continue as a guest" in [b.label for b in other.button] and questions(other) == []


# --- New conversation ----------------------------------------------------------------------------


def test_new_conversation_empties_the_chat_and_stays_empty_after_a_reload(app_env: Settings) -> None:
    at = past_notice(app(ALICE))
    assert at.button(key="new-conversation").disabled  # nothing to start again from
    ask(at, "billing", QUESTION)
    at.button(key="new-conversation").click().run()
    assert not at.exception, at.exception
    assert questions(at) == [] and not any(ANSWER in m.value for m in at.markdown)
    assert "Which cards do you accept?" in [b.label for b in at.button]  # the topic stays, with its suggestions
    assert at.button(key="new-conversation").disabled

    conversations = stored(app_env, Conversation)
    assert len(conversations) == 2 and conversations[-1].intent == "billing"
    assert questions(new_session(ALICE)) == []  # the new, empty one is the last conversation

    ask(at, "billing", "where do I find my VAT invoice?")
    turns = sorted(stored(app_env, TurnRecord), key=lambda t: t.started_at)
    assert len({t.conversation_id for t in turns}) == 2
    assert questions(new_session(ALICE)) == ["where do I find my VAT invoice?"]


# --- the length limit ----------------------------------------------------------------------------


def test_a_question_over_the_limit_says_so_with_the_limit_and_is_not_sent(app_env: Settings) -> None:
    at = past_notice(app(ALICE))
    at.selectbox(key="intent").select("billing").run()
    assert at.chat_input[0].proto.max_chars == 0  # no limit in the browser, where a long paste does nothing
    at.chat_input[0].set_value("x" * 801).run()
    (warning,) = at.warning
    assert "801 characters" in warning.value and "the limit is 800" in warning.value and "not sent" in warning.value
    assert not stored(app_env, TurnRecord) and questions(at) == []
    at.chat_input[0].set_value("y" * 800).run()  # at the limit: asked
    assert not at.warning and len(stored(app_env, TurnRecord)) == 1


# --- suggested questions and the scroll to a new answer ------------------------------------------


def test_suggested_questions_wrap_instead_of_being_cut(app_env: Settings) -> None:
    at = past_notice(app(ALICE))
    at.selectbox(key="intent").select("billing").run()
    (suggestion,) = [b for b in at.button if (b.key or "").startswith("suggest-")]
    assert suggestion.label == "Which cards do you accept?" and suggestion.proto.wrap is True


def test_the_page_scrolls_to_a_new_answer_once(app_env: Settings) -> None:
    at = ask(past_notice(app(ALICE)), "billing", QUESTION)
    (script,) = at.get("html")
    assert "scrollIntoView" in script.proto.body and script.proto.unsafe_allow_javascript
    at.feedback[0].set_value(1).run()
    assert not at.get("html")  # not on every rerun: only when an answer is new
    assert not new_session(ALICE).get("html")  # nor after a reload


# --- the report dialog ---------------------------------------------------------------------------


def test_the_report_dialog_quotes_the_answer_it_is_about(app_env: Settings) -> None:
    at = open_report_dialog(ask(past_notice(app(ALICE)), "billing", QUESTION))
    captions = [c.value.replace("\\", "") for c in at.caption]  # shown escaped: as text, not Markdown
    assert "About the answer to “which credit cards can I pay with?”:" in captions
    quotes = [m.value for m in at.markdown if m.value.startswith("> ")]
    assert len(quotes) == 1  # the answer's first line of text (after its heading), shown escaped
    (turn,) = at.session_state["turns"]
    assert quotes[0] == f"> {literal(answer_first_line(turn.answer))}"
    assert answer_first_line(turn.answer).split(".")[0] in turn.answer and "**" not in quotes[0]


def test_a_contact_address_is_kept_only_when_the_box_is_ticked(app_env: Settings) -> None:
    at = open_report_dialog(ask(past_notice(app(ALICE)), "billing", QUESTION))
    assert not at.text_input  # no address asked for until the box is ticked
    at.checkbox(key=next(c.key for c in at.checkbox if c.key.startswith("report-contact-ok-"))).check().run()
    address = at.text_input(key=next(t.key for t in at.text_input if t.key.startswith("report-contact-")))
    address.input("alice at example dot com").run()
    send_report(at)
    assert any("email address such as name@example.com" in e.value for e in at.error)
    assert not stored(app_env, Report)  # nothing filed with a wrong address

    address.input(" alice.liddell@example.com ").run()
    send_report(at)
    (report,) = stored(app_env, Report)
    assert report.contact == "alice.liddell@example.com"  # as typed, not redacted
    assert any(report.id in s.value for s in at.success)


def test_an_address_typed_then_unticked_is_not_kept(app_env: Settings) -> None:
    at = open_report_dialog(ask(past_notice(app(ALICE)), "billing", QUESTION))
    box = at.checkbox(key=next(c.key for c in at.checkbox if c.key.startswith("report-contact-ok-")))
    box.check().run()
    at.text_input(key=next(t.key for t in at.text_input if t.key.startswith("report-contact-"))).input(
        "alice@example.com"
    ).run()
    box.uncheck().run()
    send_report(at)
    (report,) = stored(app_env, Report)
    assert report.contact is None
