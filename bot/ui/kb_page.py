"""Staff page: what the knowledge base holds, its articles' health (bot.ui.kb_health), and a
retrieval preview."""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from bot.intents import ALL_INTENTS, Catalogue
from bot.kb.retrieval import Retriever
from bot.kb.status import KBStatus, kb_status
from bot.storage.audit import Staff
from bot.storage.db import Database
from bot.ui.kb_health import article_health
from bot.ui.kb_loading import ingest_progress
from bot.ui.markdown import passage_text, passage_title


def kb_page(
    retriever: Retriever,
    catalogue: Catalogue,
    db: Database,
    staff: Staff,
    review_soon_days: int,
    ingest_stale_after: timedelta | None = None,
) -> None:
    """`ingest_stale_after` (SAFEDESK_INGEST_STALE_SECONDS): show an ingest in progress, as the records have it."""
    st.title("Knowledge base")
    if ingest_stale_after is not None:
        ingest_progress(db, ingest_stale_after)
    today = date.today()
    status = store_status(retriever, catalogue, today)
    article_health(db, staff, status.listing if status else None, today, review_soon_days)
    if status is None or status.articles == 0:
        return
    search(retriever, catalogue)


def store_status(retriever: Retriever, catalogue: Catalogue, today: date) -> KBStatus | None:
    """What the store holds, per topic, and whether the app's copy is current; None if it cannot be read."""
    try:
        retriever.index()  # checks the store's version marker (and refreshes) as a question would
    except Exception as err:  # the first snapshot could not be read: say so instead of a traceback
        st.error(f"The knowledge base store cannot be read: {type(err).__name__}: {err}")
        return None
    freshness = retriever.freshness()
    if freshness.error:
        since = freshness.failing_since.strftime("%Y-%m-%d %H:%M UTC") if freshness.failing_since else "?"
        st.error(
            f"The app cannot refresh its copy of the knowledge base (failing since {since}): {freshness.error}. "
            f"Answers still come from revision {freshness.served_revision}; the store is at revision "
            f"{freshness.stored_revision}. It retries by itself; see the app log."
        )
    try:
        status = kb_status(retriever.collection, catalogue, today, freshness)
    except Exception as err:  # a damaged or unreachable store: say so instead of a traceback
        st.error(f"The knowledge base store cannot be read: {type(err).__name__}: {err}")
        return None
    if status.articles == 0:
        st.warning("The knowledge base is empty. Load it with `python -m ingest` (or `make run`).")
        return status
    st.success(f"Knowledge base loaded: {status.articles} verified articles in {status.chunks} passages.")
    if status.expired_articles:
        st.warning(f"{status.expired_articles} article(s) are past their review date and are not served.")
    if status.unserved_articles:
        st.info(
            f"{status.unserved_articles} article(s) are for staff only (audience other than customers): "
            "stored, never used in answers."
        )
    rows = [{"Topic": i.label, "Articles": i.articles, "Passages": i.chunks} for i in status.intents]
    rows.sort(key=lambda row: -row["Articles"])
    st.bar_chart(rows, x="Topic", y="Articles", horizontal=True)
    st.dataframe(rows, hide_index=True, width="stretch")
    with st.expander(f"Articles ({status.articles})"):
        st.dataframe(
            [
                {"Article": a.id, "Title": a.title, "Audience": a.audience, "Review by": a.review_by.isoformat()}
                for a in status.listing
            ],
            hide_index=True,
            width="stretch",
        )
    return status


def search(retriever: Retriever, catalogue: Catalogue) -> None:
    st.header("Search the help centre")
    labels = {ALL_INTENTS: "All topics"} | {i.id: i.label for i in catalogue.intents}
    intent = st.selectbox("Topic", list(labels), format_func=labels.__getitem__)
    query = st.text_input("Question", max_chars=500)
    if not query:
        return
    passages = retriever.search(query, intent)
    if not passages:
        st.info("Nothing in the help centre reaches the relevance threshold: users would be handed off.")
    for n, passage in enumerate(passages, 1):
        with st.container(border=True):
            st.markdown(passage_title(n, passage))
            st.caption(f"score {passage.score:.3f} · cosine {passage.dense:.3f} · BM25 {passage.lexical:.3f}")
            st.markdown(passage_text(passage))
