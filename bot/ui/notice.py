"""The limitations notice: shown before the first question, acknowledged once per user, and
reachable at any time from the sidebar."""

from __future__ import annotations

import streamlit as st

from bot.config import Settings

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


def notice_in_sidebar(settings: Settings) -> None:
    with st.sidebar.expander("About this assistant", icon=":material/info:"):
        st.markdown(notice_text(settings))
