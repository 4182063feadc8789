"""Staff page: the review queue. Reports filtered by status, intent, reason, date and id; the whole
turn behind one; its status with a note; "article needs a fix", "KB gap", block and unblock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import streamlit as st

from bot.intents import Catalogue
from bot.storage import review
from bot.storage.audit import Staff, audit_trail
from bot.storage.db import Database
from bot.storage.limits import block_user, blocked_users, unblock_user
from bot.storage.models import REPORT_REASONS, REPORT_STATUSES, REPORT_TRANSITIONS
from bot.ui.turn_view import show_turn

ANY = "any"
FLASH = "review-flash"


def day_range(picked: object) -> tuple[datetime, datetime] | None:
    """A st.date_input range as [since, until) in UTC; None while only one end is picked."""
    if not isinstance(picked, tuple | list) or len(picked) != 2:
        return None
    start, end = picked
    return (
        datetime.combine(start, time(), tzinfo=UTC),
        datetime.combine(end + timedelta(days=1), time(), tzinfo=UTC),
    )


def review_page(db: Database, staff: Staff, catalogue: Catalogue) -> None:
    st.title("Review queue")
    if FLASH in st.session_state:
        st.success(st.session_state.pop(FLASH))
    cols = st.columns(4)
    status = cols[0].selectbox("Status", [ANY, *REPORT_STATUSES], index=1)
    intent = cols[1].selectbox("Intent", [ANY, *sorted(catalogue.ids())])
    reason = cols[2].selectbox("Reason", [ANY, *REPORT_REASONS])
    search = cols[3].text_input("Report id", placeholder="R-7K3Q9")
    today = date.today()
    days = day_range(st.date_input("Filed between", (today - timedelta(days=30), today)))
    rows = review.list_reports(
        db,
        status=None if status == ANY else status,
        intent=None if intent == ANY else intent,
        reason=None if reason == ANY else reason,
        since=days[0] if days else None,
        until=days[1] if days else None,
        search=search or None,
    )
    if not rows:
        st.info("No report matches.")
        return
    st.dataframe(
        [{"Report": r.id, "Filed": f"{r.created_at:%Y-%m-%d %H:%M}", "Status": r.status, "Reason": r.reason,
          "Intent": r.intent, "Decision": r.decision, "Question": r.question[:120]} for r in rows],
        hide_index=True,
    )  # fmt: skip
    picked = st.selectbox("Open a report", [r.id for r in rows], key="review-open")
    report = next(r for r in rows if r.id == picked)
    report_detail(db, staff, report)


def report_detail(db: Database, staff: Staff, report: review.ReportRow) -> None:
    st.subheader(f"{report.id} · {report.status}")
    st.markdown(f"Reason **{report.reason}** · filed {report.created_at:%Y-%m-%d %H:%M} UTC")
    if report.text:
        st.markdown(f"> {report.text}")
    if report.note:
        st.caption(f"Reviewer's note: {report.note}")
    detail = review.turn_detail(db, report.turn_id)
    if detail is not None:
        show_turn(detail, contact_for=report.id)

    with st.form(f"status-{report.id}"):
        target = st.selectbox("Change status to", REPORT_TRANSITIONS[report.status])
        note = st.text_area("Note", max_chars=2000)
        if st.form_submit_button("Save status"):
            review.set_report_status(db, report.id, target, staff, note=note)
            # Shown after the rerun, when the report may have left the filtered list.
            st.session_state[FLASH] = f"{report.id} is now {target.replace('_', ' ')}."
            st.rerun()

    st.markdown("**Actions**")
    articles = sorted({p["article_id"] for p in (detail.turn.get("passages") or [])}) if detail else []
    left, right = st.columns(2)
    with left:
        article = st.selectbox("Article", articles or ["—"], key=f"fix-article-{report.id}")
        fix_note = st.text_input("What is wrong with it", key=f"fix-note-{report.id}")
        if st.button("Article needs a fix", disabled=not articles, key=f"fix-{report.id}"):
            review.flag_article(db, staff, article, fix_note, turn_id=report.turn_id, report_id=report.id)
            st.success(f"{article} is listed for a fix on the Knowledge base page.")
        if st.button("KB gap", key=f"gap-{report.id}", help="The question becomes a gap entry"):
            review.add_kb_gap(db, staff, report.turn_id, report.id)
            st.success("Added to the KB gaps.")
    with right:
        blocked = any(b.user_hash == report.user_hash for b in blocked_users(db))
        st.caption(f"User `{report.user_hash[:12]}…` is {'blocked' if blocked else 'not blocked'}")
        if blocked and st.button("Unblock user", key=f"unblock-{report.id}"):
            unblock_user(db, staff, report.user_hash, f"from {report.id}")
            st.rerun()
        if not blocked and st.button("Block user", key=f"block-{report.id}"):
            block_user(db, staff, report.user_hash, f"from {report.id}")
            st.rerun()
    with st.expander("Audit trail"):
        for event in audit_trail(db, report.id) + audit_trail(db, report.user_hash):
            st.markdown(f"{event.at:%Y-%m-%d %H:%M} · **{event.staff_name}** · {event.action}: "
                        f"{event.from_value or '—'} → {event.to_value or '—'} {event.note or ''}")  # fmt: skip
