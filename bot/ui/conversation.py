"""The chat's conversation in the session: restored from the records when a logged-in user comes back
(a reload opens a new Streamlit session), started afresh with "New conversation", and the page
scrolled to a new answer.

A conversation is what the chat shows: changing the topic continues it (each turn keeps its own
intent). It is restored only for logged-in users: a guest's identity lives in its session only.
"""

from __future__ import annotations

import logging
import uuid

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from bot.intents import Catalogue
from bot.storage import records
from bot.storage.db import Database
from bot.turn import Turn
from bot.ui.identity import Visitor

_LOG = logging.getLogger(__name__)
RESTORED_TURNS = 50  # the last turns shown again after a reload; older ones stay in the records
# Scrolls the newest question (and the answer below it) into view. A constant: no user or KB text
# ever goes into a script.
_SCROLL_TO_ANSWER = """<script>
requestAnimationFrame(() => setTimeout(() => {
  const messages = document.querySelectorAll('[data-testid="stChatMessage"]');
  const question = messages[messages.length - 2];
  if (question) question.scrollIntoView({behavior: "smooth", block: "start"});
}, 50));
</script>"""


def session_turns() -> list[Turn]:
    turns: list[Turn] = st.session_state.setdefault("turns", [])
    return turns


def conversation_id() -> str:
    conversation: str = st.session_state.setdefault("conversation_id", uuid.uuid4().hex)
    return conversation


def restore_last_conversation(db: Database, user_hash: str, visitor: Visitor, catalogue: Catalogue) -> None:
    """Once per session, show a logged-in user's last conversation again: its turns, their feedback and
    reports, and its topic, so the next question continues it. A database error starts an empty one."""
    if st.session_state.get("conversation_restored"):
        return
    st.session_state["conversation_restored"] = True
    if visitor.user.guest or st.session_state.get("turns"):
        return
    try:
        past = records.last_conversation(db, user_hash, RESTORED_TURNS)
    except SQLAlchemyError as err:
        _LOG.error("could not read the last conversation: %s", err)
        return
    if past is None:
        return
    st.session_state["conversation_id"] = past.id
    st.session_state["turns"] = [_as_turn(turn, user_hash) for turn in past.turns]
    st.session_state["recorded"] = {turn.id for turn in past.turns}
    for turn in past.turns:
        if turn.feedback is not None:
            # st.feedback's thumbs: 1 up, 0 down; "saved-" tells the chat it is stored already.
            st.session_state[f"thumbs-{turn.id}"] = st.session_state[f"saved-{turn.id}"] = int(turn.feedback == 1)
        if turn.report_id:
            st.session_state.setdefault("reports", {})[turn.id] = turn.report_id
    topic = past.turns[-1].intent if past.turns else past.intent
    if topic in catalogue:
        st.session_state["intent"] = topic


def start_new_conversation(db: Database, user_hash: str, intent: str) -> None:
    """The "New conversation" button: an empty chat on the same topic, recorded at once so that a reload
    shows it (not the previous one). If that write fails, the conversation is recorded with its first turn."""
    fresh = uuid.uuid4().hex
    st.session_state["conversation_id"] = fresh
    st.session_state["turns"] = []
    st.session_state.pop("reporting", None)
    st.session_state.pop("scroll_to_answer", None)
    try:
        records.start_conversation(db, user_hash, fresh, intent)
    except SQLAlchemyError as err:
        _LOG.error("could not record a new conversation: %s", err)


def scroll_to_new_answer() -> None:
    """Ask for a scroll to the newest answer on the next run (after the rerun that shows it)."""
    st.session_state["scroll_to_answer"] = True


def scroll_if_new_answer() -> None:
    if st.session_state.pop("scroll_to_answer", False):
        st.html(_SCROLL_TO_ANSWER, unsafe_allow_javascript=True)


def _as_turn(past: records.PastTurn, user_hash: str) -> Turn:
    """A recorded turn as the chat shows it; what only reviewers read (passages, verdicts) stays in the records."""
    return Turn(
        id=past.id,
        started_at=past.started_at.isoformat(timespec="milliseconds"),
        intent=past.intent,
        question=past.question,
        safety_identifier=user_hash,
        decision=past.decision,
        answer=past.answer,
        citations=list(past.citations),
        notes=list(past.notes),
        handoff=past.handoff,
    )
