"""SafeDesk web app (Streamlit): login, limitations notice, topic dropdowns, cited answers,
feedback and reports; staff pages for staff only.

Run with `make run` (starts a local development OpenID provider too, and loads the KB beside the
app: until the first load is in, the chat shows its progress, bot.ui.kb_loading). Pages a visitor
may not see are never registered with `st.navigation`, so their URLs lead nowhere.

The login page needs none of the pipeline's modules: the signed-in app (bot.ui.signed_in) is
imported once someone has logged in, so a new process shows its first page seconds sooner.
"""

from __future__ import annotations

import streamlit as st

from bot.config import get_settings
from bot.ui.identity import current_visitor
from bot.ui.login import login_page


def main() -> None:
    settings = get_settings()
    st.set_page_config(page_title=f"{settings.company_name} help", page_icon="💬")
    visitor = current_visitor(settings)
    if visitor is None:
        st.navigation([st.Page(lambda: login_page(settings), title="Log in", url_path="login")]).run()
        return
    from bot.ui.signed_in import signed_in_app  # the pipeline's modules: ~2 s to import on a quiet machine

    signed_in_app(settings, visitor)


main()
