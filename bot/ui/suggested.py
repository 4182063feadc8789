"""A `suggested` turn in the chat: not an answer, and it must not look like one.

The hand-off comes first, in a warning box; then the closest articles, each a link with its
heading and one quoted line of its best block. KB text is escaped for Markdown (never HTML).
"""

from __future__ import annotations

import streamlit as st

from bot.bands import SUGGESTED_INTRO
from bot.turn import Turn

TITLE = "Not sure this is answered in our help centre"


def show_suggested(turn: Turn) -> None:
    with st.container(border=True, key=f"suggested-{turn.id}"):
        handoff = f"**To reach a person:** {_plain(turn.handoff)}" if turn.handoff else ""
        st.warning(f"**{TITLE}**\n\n{handoff}".strip(), icon=":material/support_agent:")
        st.markdown(_plain(SUGGESTED_INTRO))
        st.markdown("\n".join(_item(s.title, s.heading, s.url, s.line) for s in turn.suggestions))


def _item(title: str, heading: str, url: str, line: str) -> str:
    where = " › ".join(_plain(part) for part in [title, *heading.split(" > ")] if part)
    return f"- [{where}]({url})  \n  _{_plain(line.replace('**', ''))}_"


def _plain(text: str) -> str:
    """KB text inside Markdown: escape the characters that would start links or emphasis."""
    for char in "\\[]()*_`#<>$":
        text = text.replace(char, "\\" + char)
    return text
