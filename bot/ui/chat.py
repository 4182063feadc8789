"""The chat page: pick a topic from the dropdowns, ask, read a cited answer, give feedback, report.

Model and KB text are rendered with `st.markdown`, which never renders raw HTML (and the
output screens have already removed tags, images and links outside the KB).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from bot.config import Settings
from bot.intents import Catalogue, Intent
from bot.markdown import escape, for_streamlit
from bot.pipeline import Pipeline
from bot.responders import Exchange
from bot.storage import records
from bot.storage.db import Database
from bot.turn import Decision, Turn
from bot.ui.conversation import (
    conversation_id,
    scroll_if_new_answer,
    scroll_to_new_answer,
    session_turns,
    start_new_conversation,
)
from bot.ui.identity import Visitor
from bot.ui.markdown import sources_markdown
from bot.ui.report_form import answer_quote, contact_field
from bot.ui.suggested import show_suggested

_LOG = logging.getLogger(__name__)
REASONS = {
    "wrong_answer": "The answer is wrong",
    "wrong_citation": "Wrong or missing source",
    "unsafe": "Unsafe or inappropriate",
    "other": "Something else",
}
REPORT_MAX_CHARS = 1000
UNSAVED = "unsaved-message"  # session key: a save failure's message, shown after the rerun


def chat_page(settings: Settings, visitor: Visitor, pipeline: Pipeline, db: Database, catalogue: Catalogue) -> None:
    turns = session_turns()
    _header(settings, bool(turns), db, pipeline.identifier(visitor.user))
    if visitor.user.guest:
        st.info("You're asking as a guest: this conversation is tied to this browser session only.", icon="👤")
    intent = _intent_picker(catalogue)
    for turn in turns:
        _show_turn(turn, visitor, pipeline, db, catalogue)
    scroll_if_new_answer()
    if unsaved := st.session_state.pop(UNSAVED, None):  # kept across the rerun that follows a question
        st.error(unsaved, icon=":material/error:")
    show_open_report(visitor, pipeline, db)

    if intent is None:
        st.chat_input("Choose a topic above first", disabled=True)
        return
    topic = _topic_picker(intent)
    question = _suggested_questions(intent) if not turns else None
    typed = _question_input(intent, settings.max_input_chars)
    question = typed or question
    if question:
        _ask(question, intent, topic, visitor, pipeline, db)


def _header(settings: Settings, has_turns: bool, db: Database, user_hash: str) -> None:
    # The title and the button on one row (the button moves below the title on a narrow screen).
    row = st.container(horizontal=True, horizontal_alignment="distribute", vertical_alignment="center")
    row.title(f"{settings.company_name} help", width="content")
    row.button(
        "New conversation",
        key="new-conversation",
        icon=":material/add_comment:",
        disabled=not has_turns,
        help="Start again with an empty chat",
        on_click=start_new_conversation,
        args=(db, user_hash, st.session_state.get("intent") or ""),
    )


def _question_input(intent: Intent, max_chars: int) -> str | None:
    """The chat box. Its length limit is checked here, not in the browser: a browser-side limit makes a
    paste that is too long do nothing at all, without a word."""
    typed = st.chat_input(
        f"Ask about {intent.label.lower()} (up to {max_chars:,} characters)",
        key="question",
        on_submit=_hold_if_too_long,
        args=(max_chars,),
    )
    too_long = st.session_state.pop("too_long", 0) or (len(typed) if typed and len(typed) > max_chars else 0)
    if too_long:
        st.warning(
            f"Your message is {too_long:,} characters long; the limit is {max_chars:,}. "
            "It was not sent: please shorten it in the box below and send it again.",
            icon=":material/content_cut:",
        )
        return None
    return typed


def _hold_if_too_long(max_chars: int) -> None:
    """A question over the limit is not sent: it goes back into the box, to be shortened there."""
    text = st.session_state.get("question")
    if isinstance(text, str) and len(text) > max_chars:
        st.session_state["too_long"] = len(text)
        st.session_state["question"] = text  # set in a callback: shown in the box again, not submitted


def _intent_picker(catalogue: Catalogue) -> Intent | None:
    labels = {i.id: i.label for i in catalogue.intents}
    chosen = st.selectbox(
        "What do you need help with?",
        list(labels),
        index=None,
        format_func=labels.__getitem__,
        placeholder="Choose a topic",
        key="intent",
    )
    return catalogue.get(chosen) if chosen else None


def _topic_picker(intent: Intent) -> str:
    if not intent.topics:
        return ""
    topic = st.selectbox(
        "Topic (optional)", list(intent.topics), index=None, placeholder="Any", key=f"topic-{intent.id}"
    )
    return topic or ""


def _suggested_questions(intent: Intent) -> str | None:
    if not intent.suggested_questions:
        return None
    st.caption(intent.description or "Suggested questions")
    columns = st.columns(min(3, len(intent.suggested_questions)))
    for n, suggestion in enumerate(intent.suggested_questions):
        # wrap: a label wider than its column wraps onto more lines instead of ending in "…"
        column = columns[n % len(columns)]
        if column.button(suggestion, key=f"suggest-{intent.id}-{n}", width="stretch", wrap=True):
            return suggestion
    return None


def _ask(question: str, intent: Intent, topic: str, visitor: Visitor, pipeline: Pipeline, db: Database) -> None:
    turns: list[Turn] = st.session_state["turns"]
    history = [Exchange(t.question, t.answer) for t in turns if t.intent == intent.id and t.answered]
    with st.chat_message("user"):
        st.text(question)  # as typed, never as Markdown
    with st.chat_message("assistant"):
        # An LLM answer appears sentence by sentence, each sentence screened before it is shown;
        # the rerun below then shows the final turn (which may differ if the whole failed a screen).
        preview = st.empty()
        with st.spinner("Looking in the help centre…"):
            turn = pipeline.run(question, intent.id, visitor.user, history, topic, on_text=preview.markdown)
    turns.append(turn)
    scroll_to_new_answer()
    if not _ensure_recorded(turn, visitor, pipeline, db):
        st.session_state[UNSAVED] = _not_saved("this answer")  # st.rerun() wipes the message shown
    st.rerun()


def _ensure_recorded(turn: Turn, visitor: Visitor, pipeline: Pipeline, db: Database) -> bool:
    """Record the turn (idempotent). If the database is down, the turn stays in the session and
    is recorded again before its feedback or report, so nothing the user does is lost."""
    recorded: set[str] = st.session_state.setdefault("recorded", set())
    if turn.id in recorded:
        return True
    conversation = conversation_id()
    if _saved(lambda: records.record_turn(db, turn, turn.safety_identifier, conversation), "this answer"):
        recorded.add(turn.id)
        return True
    return False


def _saved(write: Callable[[], object], what: str) -> bool:
    """Run one database write; on failure tell the user plainly and keep what they entered."""
    try:
        write()
    except SQLAlchemyError as err:
        _LOG.error("could not save %s: %s", what, err)
        st.error(_not_saved(what), icon=":material/error:")
        return False
    return True


def _not_saved(what: str) -> str:
    return f"Sorry, we couldn't save {what} just now. Please try again in a moment."


def _show_turn(turn: Turn, visitor: Visitor, pipeline: Pipeline, db: Database, catalogue: Catalogue) -> None:
    with st.chat_message("user"):
        st.text(turn.question)  # what was kept: personal data already removed
    with st.chat_message("assistant"):
        if turn.decision is Decision.ANSWERED:
            st.markdown(for_streamlit(turn.answer))
            st.markdown(f"**Sources**\n\n{sources_markdown(turn.citations)}")
            if turn.intent in catalogue:
                # The bot cannot always tell that the nearest article misses the question (bench_answerability):
                # every answer keeps a way to a person.
                st.caption(f"Not what you asked? {_plain(catalogue.get(turn.intent).handoff)}")
        elif turn.decision is Decision.SUGGESTED:
            show_suggested(turn)  # the hand-off first, then the closest articles
        else:
            st.info(turn.answer, icon=":material/support_agent:")
        if turn.handoff and turn.decision is not Decision.SUGGESTED:
            st.markdown(f"**To reach a person:** {_plain(turn.handoff)}")
        for note in turn.notes:
            st.caption(note)
        _feedback(turn, visitor, pipeline, db)


def _feedback(turn: Turn, visitor: Visitor, pipeline: Pipeline, db: Database) -> None:
    user_hash = turn.safety_identifier
    left, right = st.columns([3, 1])
    with left:
        score = st.feedback("thumbs", key=f"thumbs-{turn.id}")
        if score == 1 and st.session_state.get(f"saved-{turn.id}") != 1:
            if _ensure_recorded(turn, visitor, pipeline, db) and _saved(
                lambda: records.set_feedback(db, turn.id, user_hash, +1), "your feedback"
            ):
                st.session_state[f"saved-{turn.id}"] = 1
        elif score == 0:
            if st.session_state.get(f"saved-{turn.id}") != 0:
                reason = st.radio(
                    "What was wrong?",
                    list(REASONS),
                    format_func=REASONS.__getitem__,
                    index=None,
                    horizontal=True,
                    key=f"why-{turn.id}",
                )
                thumbs_down = lambda: records.set_feedback(db, turn.id, user_hash, -1, reason)  # noqa: E731
                if reason and _ensure_recorded(turn, visitor, pipeline, db) and _saved(thumbs_down, "your feedback"):
                    st.session_state[f"saved-{turn.id}"] = 0
                    st.rerun()
            else:
                st.caption("Thanks, your feedback was saved.")
    with right:
        st.button(
            "Report a problem", key=f"report-{turn.id}", icon=":material/flag:", on_click=open_report, args=(turn.id,)
        )
    report_id = st.session_state.get("reports", {}).get(turn.id)
    if report_id:
        st.success(f"Report {report_id} received. Our support team will look at it.", icon=":material/check:")


def open_report(turn_id: str) -> None:
    """The dialog stays open across reruns until it is sent or dismissed: nothing typed is lost."""
    st.session_state["reporting"] = turn_id


def _close_report() -> None:
    st.session_state.pop("reporting", None)


def show_open_report(visitor: Visitor, pipeline: Pipeline, db: Database) -> None:
    if st.session_state.get("reporting"):
        report_dialog(st.session_state["reporting"], visitor, pipeline, db)


@st.dialog("Report a problem", on_dismiss=_close_report)
def report_dialog(turn_id: str, visitor: Visitor, pipeline: Pipeline, db: Database) -> None:
    turn = next((t for t in session_turns() if t.id == turn_id), None)
    if turn is None:
        st.write("This answer is no longer in the conversation.")
        return
    st.write("Tell us what went wrong with this answer. Our support staff read every report.")
    answer_quote(turn)
    reason = st.selectbox("Reason", list(REASONS), format_func=REASONS.__getitem__, key=f"report-reason-{turn_id}")
    text = st.text_area(
        "What happened? (optional)",
        max_chars=REPORT_MAX_CHARS,
        key=f"report-text-{turn_id}",
        help="Please don't include personal details; any we find are removed.",
    )
    contact = contact_field(turn_id)
    if st.button("Send report", type="primary", key=f"report-send-{turn_id}"):
        if contact.error:
            st.error(contact.error, icon=":material/alternate_email:")
            return
        if not _ensure_recorded(turn, visitor, pipeline, db):
            return  # the dialog stays open with what was typed; the error is shown above
        saved: list[str] = []
        file_report = lambda: saved.append(  # noqa: E731
            records.add_report(db, turn_id, turn.safety_identifier, reason, text, contact=contact.address)
        )
        if _saved(file_report, "your report"):
            st.session_state.setdefault("reports", {})[turn_id] = saved[0]
            _close_report()
            st.rerun()


def _plain(text: str) -> str:
    """KB metadata inside Markdown: rendered as exactly that text."""
    return escape(text)
