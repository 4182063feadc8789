"""Staff page: KB gaps (questions staff put on the list) and the articles that need a fix."""

from __future__ import annotations

import streamlit as st

from bot.storage import review
from bot.storage.audit import Staff
from bot.storage.db import Database
from bot.storage.models import GAP_STATUSES

ANY = "any"


def gaps_page(db: Database, staff: Staff) -> None:
    st.title("KB gaps")
    status = st.selectbox("Status", [ANY, *GAP_STATUSES], index=1)
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

    st.subheader("Articles that need a fix")
    fixes = review.article_fixes(db)
    if not fixes:
        st.info("No article is waiting for a fix.")
    for fix in fixes:
        with st.container(border=True):
            st.markdown(f"**{fix.article_id}** · {fix.created_at:%Y-%m-%d}"
                        + (f" · from {fix.report_id}" if fix.report_id else "") + f"  \n{fix.note}")  # fmt: skip
            if st.button("Mark fixed", key=f"fixed-{fix.id}"):
                review.set_fix_status(db, staff, fix.id, "fixed")
                st.rerun()
