"""The staff KB page's article health: articles past or near their review date, the articles staff
said need a fix (with the report each came from), what the last ingest rejected and why, and the
most cited, thumbed-down and reported articles (bot.storage.article_health) over a date range."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from bot.kb.status import ArticleStatus
from bot.review_dates import due_for_review
from bot.storage import article_health as health
from bot.storage import review
from bot.storage.audit import Staff
from bot.storage.db import Database
from bot.storage.ingest_runs import ingest_runs
from bot.storage.models import FIX_STATUSES
from bot.ui.review_page import day_range

ANY = "any"


def article_health(
    db: Database, staff: Staff, listing: Sequence[ArticleStatus] | None, today: date, soon_days: int
) -> None:
    """`listing` is None when the KB store cannot be read: the parts from the records still show."""
    st.header("Article health")
    if listing is not None:
        review_dates(listing, today, soon_days)
    article_fixes(db, staff)
    last_ingest(db)
    most_used(db, today)


def review_dates(listing: Sequence[ArticleStatus], today: date, soon_days: int) -> None:
    st.subheader("Review dates")
    due = due_for_review(listing, today, soon_days)
    if not due:
        st.success(f"No article is past its review date or due within {soon_days} days.")
        return
    past = sum(d.past for d in due)
    st.warning(f"{past} article(s) past their review date (not served), {len(due) - past} due within {soon_days} days.")
    st.dataframe(
        [
            {
                "Article": d.article_id,
                "Title": d.title,
                "Review by": d.review_by.isoformat(),
                "Status": f"past by {-d.days_left} day(s): not served" if d.past else f"due in {d.days_left} day(s)",
            }
            for d in due
        ],
        hide_index=True,
        width="stretch",
    )


def article_fixes(db: Database, staff: Staff) -> None:
    st.subheader("Articles that need a fix")
    status = st.selectbox("Fix status", [*FIX_STATUSES, ANY], key="fix-status")
    fixes = review.article_fixes(db, None if status == ANY else status)
    if not fixes:
        st.info("No article is waiting for a fix." if status == "open" else "No article fix with this status.")
    for fix in fixes:
        with st.container(border=True):
            source = f"from report **{fix.report_id}** ({fix.report_status})" if fix.report_id else "not from a report"
            st.markdown(f"**{fix.article_id}** · fix {fix.status} · {source} · {fix.created_at:%Y-%m-%d}  \n{fix.note}")
            if fix.status == "open" and st.button("Mark fixed", key=f"fixed-{fix.id}"):
                review.set_fix_status(db, staff, fix.id, "fixed")
                st.rerun()


def last_ingest(db: Database) -> None:
    st.subheader("Rejected at the last ingest")
    runs = ingest_runs(db, limit=1)
    if not runs:
        st.info("No ingest has been recorded yet.")
        return
    run = runs[0]
    if run.finished_at is None:  # in progress (the page's progress bar), or killed before it finished
        st.markdown(f"Started {run.started_at:%Y-%m-%d %H:%M} UTC by **{run.by}**, not finished: "
                    f"{run.chunks} passage(s) written so far")  # fmt: skip
        return
    st.markdown(f"{run.finished_at:%Y-%m-%d %H:%M} UTC by **{run.by}**: {run.articles} article(s), "
                f"{run.chunks} passage(s) written, {len(run.rejects)} rejected")  # fmt: skip
    if run.rejects:
        st.dataframe(
            [{"Article": r.get("article") or "—", "Source": r.get("source", ""), "Reason": r.get("reason", "")}
             for r in run.rejects],
            hide_index=True,
            width="stretch",
        )  # fmt: skip


def most_used(db: Database, today: date) -> None:
    st.subheader("Most cited, thumbed down and reported")
    days = day_range(st.date_input("Between", (today - timedelta(days=30), today), key="health-range"))
    if days is None:
        st.info("Pick both ends of the range.")
        return
    figures = (
        ("Cited in answers", "answers", health.most_cited(db, *days)),
        ("Thumbed down", "thumbs down", health.most_thumbed_down(db, *days)),
        ("Reported", "reports", health.most_reported(db, *days)),
    )
    for title, unit, rows in figures:
        st.markdown(f"**{title}**")
        if rows:
            frame = pd.DataFrame(rows, columns=["article", unit])
            st.bar_chart(frame, x="article", y=unit, horizontal=True, sort=f"-{unit}", height=90 + 36 * len(rows))
        else:
            st.caption(f"No {unit} in this range.")
