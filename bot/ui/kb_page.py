"""Staff page: what the knowledge base holds, and a retrieval preview."""

from __future__ import annotations

from datetime import date

import streamlit as st

from bot.intents import ALL_INTENTS, Catalogue
from bot.kb.retrieval import Retriever
from bot.kb.status import kb_status


def kb_page(retriever: Retriever, catalogue: Catalogue) -> None:
    st.title("Knowledge base")
    status = kb_status(retriever.collection, catalogue, date.today())
    if status.articles == 0:
        st.warning("The knowledge base is empty. Load it with `python -m ingest` (or `make run`).")
        return
    st.success(f"Knowledge base loaded: {status.articles} verified articles in {status.chunks} passages.")
    if status.expired_articles:
        st.warning(f"{status.expired_articles} article(s) are past their review date and are not served.")
    rows = [{"Topic": i.label, "Articles": i.articles, "Passages": i.chunks} for i in status.intents]
    rows.sort(key=lambda row: -row["Articles"])
    st.bar_chart(rows, x="Topic", y="Articles", horizontal=True)
    st.dataframe(rows, hide_index=True, width="stretch")

    st.subheader("Search the help centre")
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
            heading = f" › {passage.heading}" if passage.heading else ""
            st.markdown(f"**[{n}] [{passage.title}]({passage.url})**{heading}")
            st.caption(f"score {passage.score:.3f} · cosine {passage.dense:.3f} · BM25 {passage.lexical:.3f}")
            st.markdown(passage.text)  # Markdown only: Streamlit never renders HTML here
