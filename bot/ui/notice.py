"""The limitations notice: shown before the first question, acknowledged once per user, and
reachable at any time from the sidebar.

The acknowledgement is read from the records once per session. If the records cannot be read or
written, the visitor reads the notice and goes on (it is remembered for the session), and the
page says so plainly: no database error reaches the page.
"""

from __future__ import annotations

import logging

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from bot.config import Settings
from bot.storage import records
from bot.storage.db import Database

_LOG = logging.getLogger(__name__)

NOTICE_VERSION = "2026-11-1"  # bump when the text changes materially: everyone sees it again


def notice_text(settings: Settings) -> str:
    return f"""\
**Before you ask**

- This assistant answers **only from the {settings.company_name} help centre**. If the answer
  isn't there, it will say so and tell you how to reach a person.
- **It can be wrong.** Each answer shows the help-centre articles it comes from: check them for
  anything important.
- **Never share passwords, card numbers or other personal details** here. If you type them, they
  are removed before anything else happens.
- If an answer is wrong or inappropriate, use **Report a problem**. Reports are read by our support
  staff, together with the question and the answer.
- To reach a person: {settings.support_contact}.
"""


def notice_gate(settings: Settings, acknowledged: bool, on_acknowledge: object) -> bool:
    """Show the notice until acknowledged; True when the visitor may go on."""
    if acknowledged:
        return True
    st.title("How this assistant works")
    with st.container(border=True):
        st.markdown(notice_text(settings))
    st.button("I understand", type="primary", on_click=on_acknowledge)  # type: ignore[arg-type]
    return False


NOT_SAVED = "We couldn't save that you read this notice just now, so you may see it again next time."


def _key(user_hash: str) -> str:
    return f"notice-read-{NOTICE_VERSION}-{user_hash}"


def has_read_notice(db: Database, user_hash: str) -> bool:
    """Whether the user acknowledged this version of the notice: from the session, else the records
    (False if they cannot be read: the notice is shown again, which is safe)."""
    if st.session_state.get(_key(user_hash)):
        return True
    try:
        read = records.has_acknowledged(db, user_hash, NOTICE_VERSION)
    except SQLAlchemyError as err:
        _LOG.error("could not read the notice acknowledgement: %s", err)
        return False
    st.session_state[_key(user_hash)] = read
    return read


def acknowledge_notice(db: Database, user_hash: str) -> None:
    """The "I understand" button: remembered for the session at once, then recorded."""
    st.session_state[_key(user_hash)] = True
    try:
        records.acknowledge(db, user_hash, NOTICE_VERSION)
    except SQLAlchemyError as err:
        _LOG.error("could not record the notice acknowledgement: %s", err)
        st.toast(NOT_SAVED, icon=":material/error:")


def notice_in_sidebar(settings: Settings) -> None:
    with st.sidebar.expander("About this assistant", icon=":material/info:"):
        st.markdown(notice_text(settings))
