"""Staff page: flagged turns, reported or not: blocked at input or output, failed, sent to review by
moderation (answered from quoted text only), or thumbed down.
Each opens in the same detail view and can become a review item."""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from bot.storage import review
from bot.storage.audit import Staff
from bot.storage.db import Database
from bot.ui.review_page import ANY, day_range
from bot.ui.turn_view import show_turn


def flagged_page(db: Database, staff: Staff) -> None:
    st.title("Flagged turns")
    today = date.today()
    left, right = st.columns(2)
    days = day_range(left.date_input("Between", (today - timedelta(days=7), today)))
    decision = right.selectbox("Decision", [ANY, *review.FLAGGED_DECISIONS, "answered"])
    if days is None:
        st.info("Pick both ends of the range.")
        return
    rows = review.flagged_turns(db, *days, decision=None if decision == ANY else decision)
    if not rows:
        st.info("No flagged turn in this range.")
        return
    st.dataframe(
        [{"When": f"{r.created_at:%Y-%m-%d %H:%M}", "Why": r.why, "Intent": r.intent, "Reported": r.reported,
          "Question": r.question[:120], "Turn": r.turn_id} for r in rows],
        hide_index=True,
    )  # fmt: skip
    labels = {r.turn_id: f"{r.created_at:%m-%d %H:%M} · {r.why} · {r.question[:60]}" for r in rows}
    turn_id = st.selectbox("Open a turn", list(labels), format_func=labels.__getitem__, key="flagged-open")
    detail = review.turn_detail(db, turn_id)
    if detail is None:
        return
    show_turn(detail)
    if st.button("Open a review item", key=f"review-{turn_id}"):
        report_id = review.review_item_from_turn(db, staff, turn_id)
        st.success(f"Review item {report_id} is in the review queue.")
    if st.button("KB gap", key=f"gap-{turn_id}"):
        review.add_kb_gap(db, staff, turn_id)
        st.success("Added to the KB gaps.")
