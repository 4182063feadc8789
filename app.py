"""SafeDesk web app (Streamlit). For now: the KB status page and a retrieval preview.

Run with `make run`; the full end-user app (login, chat, feedback) is built on top of this.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from bot.config import get_settings
from bot.intents import ALL_INTENTS, load_catalogue
from bot.kb_status import kb_status
from bot.retrieval import Retriever, make_retriever


@st.cache_resource
def retriever() -> Retriever:
    return make_retriever(get_settings())


def main() -> None:
    settings = get_settings()
    st.set_page_config(page_title=f"{settings.company_name} help", page_icon="💬")
    st.title(f"{settings.company_name} help centre")
    catalogue = load_catalogue(settings.intents_file)
    status = kb_status(retriever().collection, catalogue, date.today())

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
    if query:
        passages = retriever().search(query, intent)
        if not passages:
            handoff = catalogue.get(intent).handoff if intent != ALL_INTENTS else catalogue.intents[0].handoff
            st.info(f"Nothing in our help centre matches that. To reach a person: {handoff}")
        for n, passage in enumerate(passages, 1):
            with st.container(border=True):
                heading = f" › {passage.heading}" if passage.heading else ""
                st.markdown(f"**[{n}] [{passage.title}]({passage.url})**{heading}")
                st.markdown(passage.text)  # Markdown only: Streamlit never renders HTML here


main()
