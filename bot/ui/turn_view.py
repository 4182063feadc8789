"""The full-turn detail view staff see for a report or a flagged turn (bot.storage.review.TurnDetail)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from bot.markdown import for_streamlit
from bot.storage.review import TurnDetail


def show_turn(detail: TurnDetail, contact_for: str | None = None) -> None:
    """The question (redacted) and intent, passages with scores and links, verdicts with their
    category scores, the answer with citations and model, the feedback and the conversation before.
    `contact_for` (a report id) shows the address the customer left on that report, if any."""
    turn: dict[str, Any] = detail.turn
    st.markdown(f"**Question** (personal data removed) · intent `{turn.get('intent', '')}` · "
                f"decision `{turn.get('decision', '')}` · {detail.created_at:%Y-%m-%d %H:%M} UTC")  # fmt: skip
    st.code(str(turn.get("question", "")), language=None, wrap_lines=True)
    st.markdown(f"**Answer** · model `{turn.get('model') or '—'}`")
    st.markdown(for_streamlit(str(turn.get("answer", ""))))
    for citation in turn.get("citations") or []:
        st.markdown(f"[{citation.get('number')}] [{citation.get('title')}]({citation.get('url')})")
    if turn.get("handoff"):
        st.caption(f"Hand-off: {turn['handoff']}")

    passages = [
        {"Article": p.get("article_id"), "Heading": p.get("heading"), "Score": p.get("score"),
         "Dense": p.get("dense"), "Lexical": p.get("lexical"), "Link": p.get("url")}
        for p in turn.get("passages") or []
    ]  # fmt: skip
    st.markdown(f"**Passages** ({len(passages)})")
    if passages:
        st.dataframe(passages, hide_index=True, column_config={"Link": st.column_config.LinkColumn()})
    st.markdown("**Verdicts**")
    st.dataframe(
        [
            {"Screen": v.get("screen"), "OK": v.get("ok"), "Reasons": ", ".join(v.get("reasons") or []),
             "Scores": ", ".join(f"{k} {s:.2f}" for k, s in sorted((v.get("scores") or {}).items(),
                                                                    key=lambda kv: -(kv[1] or 0)) if s is not None),
             "ms": v.get("ms")}
            for v in turn.get("verdicts") or []
        ],
        hide_index=True,
    )  # fmt: skip
    if detail.feedback:
        st.markdown("**Feedback**")
        for f in detail.feedback:
            thumb = "👍" if f.score == 1 else "👎"
            st.markdown(f"{thumb} {f.reason or ''} {('— ' + f.comment) if f.comment else ''}")
    if contact_for and contact_for in detail.contacts:
        st.info(f"The customer asked to be contacted at **{detail.contacts[contact_for]}**")
    if detail.before:
        with st.expander(f"The conversation before ({len(detail.before)} turn(s))"):
            for earlier in detail.before:
                answer = for_streamlit(earlier["answer"])
                st.markdown(f"**Q:** {earlier['question']}  \n**A:** {answer}  \n`{earlier['decision']}`")
