"""The app once a visitor has logged in (app.py shows the login page before): the limitations
notice, the chat and, for staff, the staff pages; while the KB's first load runs, its progress
(bot.ui.kb_loading) instead of the chat."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from bot.config import Settings
from bot.identity import safety_identifier, server_secret
from bot.kb.store import StoreError
from bot.markdown import escape
from bot.storage.audit import Staff
from bot.storage.db import Database
from bot.ui import resources
from bot.ui.chat import chat_page, open_report
from bot.ui.conversation import restore_last_conversation
from bot.ui.identity import STAFF_EXPIRED, Visitor
from bot.ui.kb_loading import first_load, loading_page
from bot.ui.notice import acknowledge_notice, has_read_notice, notice_gate, notice_in_sidebar
from bot.ui.resources import RECORDS_DOWN
from bot.ui.staff_pages import staff_pages


def signed_in_app(settings: Settings, visitor: Visitor) -> None:
    db = resources.database(settings)
    if db is None:
        st.error(RECORDS_DOWN, icon=":material/error:")
        st.stop()
    if first_load(settings, db) is not None:  # one SELECT per page run; the pipeline waits for the whole KB
        _while_loading(settings, visitor, db)
        return
    try:
        pipeline = resources.pipeline(settings)
    except StoreError as err:  # not cached: the next page load tries again, e.g. after an ingest
        st.error(f"The help centre is not available: {err}.")
        st.stop()
    catalogue = resources.catalogue(settings)
    resources.daily_purge(settings)
    user_hash = pipeline.identifier(visitor.user)
    pages = [
        st.Page(
            lambda: chat_page(settings, visitor, pipeline, db, catalogue),
            title="Ask",
            url_path="ask",
            icon=":material/chat:",
            default=True,
        )
    ]
    if visitor.user.staff:
        staff = Staff(user_hash, visitor.name or "staff")
        stale_after = timedelta(seconds=settings.ingest_stale_seconds)
        pages += staff_pages(db, staff, catalogue, pipeline.stages.retriever, settings.review_soon_days, stale_after)
    navigation = st.navigation(pages)
    restore_last_conversation(db, user_hash, visitor, catalogue)  # before the sidebar, which reports on it
    _sidebar(visitor, settings)
    if notice_gate(settings, has_read_notice(db, user_hash), lambda: acknowledge_notice(db, user_hash)):
        navigation.run()


def _while_loading(settings: Settings, visitor: Visitor, db: Database) -> None:
    """Login, the notice and the sidebar as always; the chat (and the staff KB page) show the load's progress."""
    user_hash = safety_identifier(server_secret(settings), visitor.user.id)  # = Pipeline.identifier
    title = f"{settings.company_name} help"
    pages = [st.Page(lambda: loading_page(settings, db, title), title="Ask", url_path="ask",
                     icon=":material/chat:", default=True)]  # fmt: skip
    if visitor.user.staff:
        pages.append(st.Page(lambda: loading_page(settings, db, "Knowledge base"), title="Knowledge base",
                             url_path="staff-kb", icon=":material/library_books:"))  # fmt: skip
    navigation = st.navigation(pages)
    _sidebar(visitor, settings)
    if notice_gate(settings, has_read_notice(db, user_hash), lambda: acknowledge_notice(db, user_hash)):
        navigation.run()


def _sidebar(visitor: Visitor, settings: Settings) -> None:
    with st.sidebar:
        st.markdown(f"Signed in as **{escape(visitor.name)}**" + (" (staff)" if visitor.user.staff else ""))
        if visitor.staff_expired:
            st.warning(STAFF_EXPIRED, icon=":material/schedule:")
        if not visitor.user.guest:
            st.button("Log out", on_click=st.logout, icon=":material/logout:")
        notice_in_sidebar(settings)
        turns = st.session_state.get("turns", [])
        st.button(
            "Report a problem",
            key="report-sidebar",
            icon=":material/flag:",
            disabled=not turns,
            help="About the latest answer" if turns else "Ask a question first",
            on_click=open_report,
            args=(turns[-1].id if turns else "",),
        )
