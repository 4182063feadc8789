"""Staff page: the dashboard. Every figure is one query (bot.storage.dashboard) over a date range."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from bot.storage import dashboard
from bot.storage.db import Database
from bot.ui.review_page import day_range


def dashboard_page(db: Database) -> None:
    st.title("Dashboard")
    today = date.today()
    days = day_range(st.date_input("Between", (today - timedelta(days=30), today)))
    if days is None:
        st.info("Pick both ends of the range.")
        return
    turns = dashboard.turns_per_day(db, *days)
    thumbs = dashboard.thumbs(db, *days)
    reports = dashboard.reports_per_day(db, *days)
    median = dashboard.median_seconds_to_resolve(db, *days)
    blocked = dashboard.blocked_users(db)

    cols = st.columns(5)
    cols[0].metric("Turns", sum(n for _, _, n in turns))
    cols[1].metric("Reports opened", sum(r.opened for r in reports))
    cols[2].metric("Reports resolved", sum(r.closed for r in reports))
    cols[3].metric("Median time to resolve", _duration(median))
    cols[4].metric("Blocked users", sum(blocked.values()), help=", ".join(f"{k}: {n}" for k, n in blocked.items()))

    st.subheader("Turns per day by decision")
    if turns:
        frame = pd.DataFrame(turns, columns=["day", "decision", "turns"])
        st.bar_chart(frame, x="day", y="turns", color="decision")
    st.subheader("Flags by category")
    flags = dashboard.flags_by_category(db, *days)
    if flags:
        st.bar_chart(pd.DataFrame(flags, columns=["category", "flags"]), x="category", y="flags", horizontal=True)
    else:
        st.caption("No turn was flagged in this range.")
    st.subheader("Top intents")
    intents = dashboard.top_intents(db, *days)
    if intents:
        st.bar_chart(pd.DataFrame(intents, columns=["intent", "turns"]), x="intent", y="turns", horizontal=True)
    st.subheader("Thumbs")
    rate = f"{thumbs.down_rate:.0%} down" if thumbs.down_rate is not None else "no feedback yet"
    st.markdown(f"👍 {thumbs.up} · 👎 {thumbs.down} · {rate}")
    st.subheader("Reports opened and resolved per day")
    if reports:
        frame = pd.DataFrame([(r.day, r.opened, r.closed) for r in reports], columns=["day", "opened", "resolved"])
        st.line_chart(frame, x="day", y=["opened", "resolved"])
    st.subheader("Latency per day (ms)")
    latency = dashboard.latency_per_day(db, *days)
    if latency:
        frame = pd.DataFrame([(d.day, d.p50_ms, d.p95_ms) for d in latency], columns=["day", "p50", "p95"])
        st.line_chart(frame, x="day", y=["p50", "p95"])


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds / 60:.0f} min" if seconds < 3600 else f"{seconds / 3600:.1f} h"
