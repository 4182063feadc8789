"""KB metadata in the page's Markdown: titles and headings escaped, URLs percent-encoded, passage
text rebuilt safe (bot.markdown), so that nothing in an article can add an image or a link."""

from __future__ import annotations

from collections.abc import Iterable

from bot.kb.retrieval import Passage
from bot.markdown import encode_url, escape, safe_markdown, urls_in
from bot.turn import Citation


def sources_markdown(citations: Iterable[Citation]) -> str:
    """The numbered Sources list under an answer: one link per article."""
    return "\n".join(
        f"{c.number}. [{escape(c.title)}]({encode_url(c.url)})" + (f" — {escape(c.heading)}" if c.heading else "")
        for c in citations
    )


def passage_title(number: int, passage: Passage) -> str:
    """A retrieved passage's title line on the staff KB page."""
    heading = f" › {escape(passage.heading)}" if passage.heading else ""
    return f"**[{number}] [{escape(passage.title)}]({encode_url(passage.url)})**{heading}"


def passage_text(passage: Passage) -> str:
    """A passage's text as the chat would quote it: links only to its article and its own URLs."""
    return safe_markdown(passage.text, {passage.url} | urls_in(passage.text))[0]
