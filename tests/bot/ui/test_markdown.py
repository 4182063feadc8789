import numpy as np
from markdown_it import MarkdownIt

from bot.kb.retrieval import Passage
from bot.turn import Citation
from bot.ui.markdown import passage_text, passage_title, sources_markdown

EVIL = "https://help.example/a) ![p](http://host/leak"


def inline_tokens(markdown: str) -> list:  # type: ignore[type-arg]
    return [c for t in MarkdownIt().parse(markdown) for c in t.children or []]


def passage(text: str = "Text.", url: str = EVIL, title: str = "![t](http://host/title) *x*") -> Passage:
    return Passage("a::0", "a", title, url, "## [h](http://host/h)", text, 1, 1, 1, np.zeros(3, dtype=np.float32))


def test_each_source_is_one_link_to_its_encoded_url_with_its_title_as_text() -> None:
    citations = [
        Citation(1, "a", "![t](http://host/title) *x*", EVIL, "[h](http://host/h)"),
        Citation(2, "b", "B", "https://b.example/", ""),
    ]
    markdown = sources_markdown(citations)
    tokens = inline_tokens(markdown)
    assert not [t for t in tokens if t.type == "image"]
    assert [t.attrs["href"] for t in tokens if t.type == "link_open"] == [
        "https://help.example/a%29%20!%5Bp%5D%28http://host/leak",
        "https://b.example/",
    ]
    assert "".join(t.content for t in tokens if t.type == "text").startswith("![t](http://host/title) *x*")


def test_a_passage_on_the_staff_page_shows_its_title_as_text_and_no_image() -> None:
    title = passage_title(3, passage())
    tokens = inline_tokens(title)
    assert [t.attrs["href"] for t in tokens if t.type == "link_open"] == [
        "https://help.example/a%29%20!%5Bp%5D%28http://host/leak"
    ]
    text = passage_text(
        passage("Gift cards ![gift [note] sample](http://host/leak?q=secret) see https://status.example/x.")
    )
    tokens = inline_tokens(text)
    assert not [t for t in tokens if t.type == "image"] and "host" not in text
    assert "https://status.example/x" in text  # a URL the passage writes out stays
