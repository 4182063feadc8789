"""The chat page: pick a topic from the dropdowns, ask, read a cited answer, give feedback, report.

Model and KB text are rendered with `st.markdown`, which never renders raw HTML (and the
output screens have already removed tags, images and links outside the KB).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from bot.config import Settings
from bot.intents import Catalogue, Intent
from bot.pipeline import Pipeline
from bot.responders import Exchange
from bot.storage import records
from bot.storage.db import Database
from bot.turn import Decision, Turn
from bot.ui.identity import Visitor

_LOG = logging.getLogger(__name__)
REASONS = {
    "wrong_answer": "The answer is wrong",
    "wrong_citation": "Wrong or missing source",
    "unsafe": "Unsafe or inappropriate",
    "other": "Something else",
}
REPORT_MAX_CHARS = 1000


def chat_page(settings: Settings, visitor: Visitor, pipeline: Pipeline, db: Database, catalogue: Catalogue) -> None:
    st.title(f"{settings.company_name} help")
    if visitor.user.guest:
        st.info("You're asking as a guest: this conversation is tied to this browser session only.", icon="👤")
    intent = _intent_picker(catalogue)
    turns: list[Turn] = st.session_state.setdefault("turns", [])
    for turn in turns:
        _show_turn(turn, visitor, pipeline, db, catalogue)
    show_open_report(visitor, pipeline, db)

    if intent is None:
        st.chat_input("Choose a topic above first", disabled=True)
        return
    topic = _topic_picker(intent)
    question = _suggested_questions(intent) if not turns else None
    typed = st.chat_input(
        f"Ask about {intent.label.lower()} (up to {settings.max_input_chars} characters)",
        max_chars=settings.max_input_chars,
    )
    question = typed or question
    if question:
        _ask(question, intent, topic, visitor, pipeline, db)


def _intent_picker(catalogue: Catalogue) -> Intent | None:
    labels = {i.id: i.label for i in catalogue.intents}
    chosen = st.selectbox(
        "What do you need help with?",
        list(labels),
        index=None,
        format_func=labels.__getitem__,
        placeholder="Choose a topic",
        key="intent",
        on_change=_new_conversation,
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
        if columns[n % len(columns)].button(suggestion, key=f"suggest-{intent.id}-{n}", width="stretch"):
            return suggestion
    return None


def _new_conversation() -> None:
    st.session_state["conversation_id"] = uuid.uuid4().hex


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
    st.session_state.setdefault("conversation_id", uuid.uuid4().hex)
    turns.append(turn)
    _ensure_recorded(turn, visitor, pipeline, db)
    st.rerun()


def _ensure_recorded(turn: Turn, visitor: Visitor, pipeline: Pipeline, db: Database) -> bool:
    """Record the turn (idempotent). If the database is down, the turn stays in the session and
    is recorded again before its feedback or report, so nothing the user does is lost."""
    recorded: set[str] = st.session_state.setdefault("recorded", set())
    if turn.id in recorded:
        return True
    conversation = st.session_state.setdefault("conversation_id", uuid.uuid4().hex)
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
        st.error(f"Sorry, we couldn't save {what} just now. Please try again in a moment.", icon=":material/error:")
        return False
    return True


def _show_turn(turn: Turn, visitor: Visitor, pipeline: Pipeline, db: Database, catalogue: Catalogue) -> None:
    with st.chat_message("user"):
        st.text(turn.question)  # what was kept: personal data already removed
    with st.chat_message("assistant"):
        if turn.decision is Decision.ANSWERED:
            st.markdown(turn.answer)
            sources = "\n".join(
                f"{c.number}. [{_plain(c.title)}]({c.url})" + (f" — {_plain(c.heading)}" if c.heading else "")
                for c in turn.citations
            )
            st.markdown(f"**Sources**\n\n{sources}")
            if turn.intent in catalogue:
                # The bot cannot always tell that the nearest article misses the question (bench_answerability):
                # every answer keeps a way to a person.
                st.caption(f"Not what you asked? {_plain(catalogue.get(turn.intent).handoff)}")
        else:
            st.info(turn.answer, icon=":material/support_agent:")
        if turn.handoff:
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
    st.write("Tell us what went wrong with this answer. Our support staff read every report.")
    reason = st.selectbox("Reason", list(REASONS), format_func=REASONS.__getitem__, key=f"report-reason-{turn_id}")
    text = st.text_area(
        "What happened? (optional)",
        max_chars=REPORT_MAX_CHARS,
        key=f"report-text-{turn_id}",
        help="Please don't include personal details; any we find are removed.",
    )
    if st.button("Send report", type="primary", key=f"report-send-{turn_id}"):
        turn = next((t for t in st.session_state.get("turns", []) if t.id == turn_id), None)
        if turn is None or not _ensure_recorded(turn, visitor, pipeline, db):
            return  # the dialog stays open with what was typed; the error is shown above
        saved: list[str] = []
        if _saved(
            lambda: saved.append(records.add_report(db, turn_id, turn.safety_identifier, reason, text)), "your report"
        ):
            st.session_state.setdefault("reports", {})[turn_id] = saved[0]
            _close_report()
            st.rerun()


def _plain(text: str) -> str:
    """KB metadata inside Markdown: escape the characters that would start links or emphasis."""
    for char in "\\[]()*_`#<>":
        text = text.replace(char, "\\" + char)
    return text
