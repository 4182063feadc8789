"""The staff console's pages, for `st.navigation`. app.py registers them for staff only, so their
URLs lead nowhere for anyone else."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import streamlit as st

from bot.intents import Catalogue
from bot.kb.retrieval import Retriever
from bot.storage.audit import Staff
from bot.storage.db import Database
from bot.ui.dashboard_page import dashboard_page
from bot.ui.flagged_page import flagged_page
from bot.ui.gaps_page import gaps_page
from bot.ui.kb_page import kb_page
from bot.ui.review_page import review_page

STAFF_URLS = ("staff-kb", "staff-review", "staff-flagged", "staff-dashboard", "staff-gaps")
STAFF_TITLES = ("Knowledge base", "Review queue", "Flagged turns", "Dashboard", "KB gaps")


def staff_pages(
    db: Database,
    staff: Staff,
    catalogue: Catalogue,
    retriever: Retriever,
    review_soon_days: int,
    ingest_stale_after: timedelta | None = None,
) -> list[Any]:
    return [
        st.Page(lambda: kb_page(retriever, catalogue, db, staff, review_soon_days, ingest_stale_after),
                title="Knowledge base", url_path="staff-kb", icon=":material/library_books:"),
        st.Page(lambda: review_page(db, staff, catalogue), title="Review queue", url_path="staff-review",
                icon=":material/inbox:"),
        st.Page(lambda: flagged_page(db, staff), title="Flagged turns", url_path="staff-flagged",
                icon=":material/flag:"),
        st.Page(lambda: dashboard_page(db), title="Dashboard", url_path="staff-dashboard",
                icon=":material/monitoring:"),
        st.Page(lambda: gaps_page(db, staff, retriever.embedder), title="KB gaps", url_path="staff-gaps",
                icon=":material/help:"),
    ]  # fmt: skip
