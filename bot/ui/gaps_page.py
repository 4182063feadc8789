"""Staff page: unanswered questions grouped by meaning, and KB gaps (questions put on the list).
Articles that need a fix and what the last ingest rejected are on the KB page (bot.ui.kb_health)."""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from bot.embedding import Embedder
from bot.gaps import group_by_meaning, unanswered
from bot.storage import review
from bot.storage.audit import Staff
from bot.storage.db import Database
from bot.storage.models import GAP_STATUSES
from bot.ui.review_page import day_range

ANY = "any"


def gaps_page(db: Database, staff: Staff, embedder: Embedder) -> None:
    st.title("KB gaps")
    unanswered_groups(db, staff, embedder)
    st.subheader("On the list")
    status = st.selectbox("Status", [ANY, *GAP_STATUSES], index=1, key="gap-status")
    gaps = review.kb_gaps(db, None if status == ANY else status)
    if not gaps:
        st.info("No KB gap with this status.")
    for gap in gaps:
        with st.container(border=True):
            st.markdown(f"**{gap.question}**  \n`{gap.intent}` · {gap.status} · {gap.created_at:%Y-%m-%d}"
                        + (f" · from {gap.report_id}" if gap.report_id else ""))  # fmt: skip
            if gap.status == "open" and st.button("Needs an article", key=f"needs-{gap.id}"):
                review.set_gap_status(db, staff, gap.id, "needs_article")
                st.rerun()
            if gap.status != "closed" and st.button("Close", key=f"close-{gap.id}"):
                review.set_gap_status(db, staff, gap.id, "closed")
                st.rerun()


def unanswered_groups(db: Database, staff: Staff, embedder: Embedder) -> None:
    st.subheader("Unanswered questions, grouped by meaning")
    today = date.today()
    days = day_range(st.date_input("Asked between", (today - timedelta(days=30), today)))
    if days is None:
        return
    groups = group_by_meaning(unanswered(db, *days), embedder)
    if not groups:
        st.info("No unanswered question in this range.")
    for n, group in enumerate(groups[:20]):
        with st.container(border=True):
            examples = "  \n".join(f"· {q}" for q in group.examples)
            st.markdown(f"**{group.count}** question(s) · `{group.intent}`  \n{examples}")
            if st.button("Needs an article", key=f"group-{n}-{group.turn_ids[0]}"):
                review.add_kb_gap(db, staff, group.turn_ids[0], note=f"{group.count} similar question(s)",
                                  status="needs_article")  # fmt: skip
                st.success("On the list as needing an article.")
