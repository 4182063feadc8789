import pytest
from markdown_it import MarkdownIt

from ingest import clean
from ingest.clean import CODE_PLACEHOLDER, clean_html, clean_markdown, clean_text


def test_mdx_imports_jsx_and_head_blocks_are_stripped_keeping_alt_and_link_text() -> None:
    text = """import useBaseUrl from '@docusaurus/useBaseUrl';
export const meta = {a: 1};

<head>
  <script type="application/ld+json">{`{"@type": "FAQPage"}`}</script>
</head>

Read the [billing page](https://example.com/billing) first.

<img alt="The billing screen" src={useBaseUrl('img/billing.png')} style={{width: 200}} />

<CtaBox headline="Start a trial" link="https://example.com" />
<div class="browser">Inside a div</div>
"""
    out = clean_markdown(text)
    assert "import" not in out and "export" not in out
    assert "FAQPage" not in out and "<" not in out and "{" not in out
    assert "Read the billing page first." in out
    assert "The billing screen" in out
    assert "Inside a div" in out
    assert "https://example.com" not in out


def test_template_macros_comments_and_admonition_markers_are_removed() -> None:
    text = (
        "Hi {{ user.name }}, {% if x %}maybe{% endif %}.\n<!-- secret note -->\n{/* mdx note */}\n"
        ":::tip Quick tip\nDo this.\n:::\n"
    )
    out = clean_markdown(text)
    assert "{{" not in out and "{%" not in out and "secret note" not in out and "mdx note" not in out
    assert ":::" not in out
    assert "Tip: Quick tip" in out and "Do this." in out


def test_headings_lists_tables_and_inline_code_survive() -> None:
    text = (
        "## Steps\n\n1. Open **Settings**.\n2. Use `<your-domain>` as name.\n\n"
        "| Plan | Price |\n| --- | --- |\n| Plus | 5 EUR |\n"
    )
    out = clean_markdown(text)
    assert "## Steps" in out
    assert "1. Open **Settings**." in out
    assert "`<your-domain>`" in out
    assert "| Plus | 5 EUR |" in out


def test_short_code_blocks_are_kept_and_long_ones_replaced() -> None:
    short = "```bash\ncurl https://example.com\n```\n"
    long = "```js\n" + "\n".join(f"line{i} <tag> {{x}}" for i in range(40)) + "\n```\n"
    assert "curl https://example.com" in clean_markdown(short)
    out = clean_markdown("Before.\n\n" + long + "\nAfter.\n")
    assert CODE_PLACEHOLDER in out and "line0" not in out and "After." in out


def test_html_page_becomes_readable_markdown() -> None:
    page = """<html><head><title>T</title><script>evil()</script><style>p{}</style></head><body>
    <nav>Menu</nav><h2>Gift cards</h2><p>Use a <a href="/x">gift card</a> at checkout.</p>
    <img src="a.png" alt="A red gift card"><table><tr><th>Value</th><th>Valid</th></tr>
    <tr><td>25 EUR</td><td>3 years</td></tr></table><ul><li>Buy</li><li>Redeem</li></ul></body></html>"""
    out = clean_html(page)
    assert "evil" not in out and "Menu" not in out and "p{}" not in out
    assert "## Gift cards" in out
    assert "Use a gift card at checkout." in out
    assert "A red gift card" in out
    assert "| 25 EUR | 3 years |" in out
    assert "- Buy" in out and "- Redeem" in out


def test_plain_text_is_kept() -> None:
    assert clean_text("Line one\r\n\r\n\r\n\r\nLine two") == "Line one\n\nLine two\n"


def test_html_code_elements_become_code_spans_not_raw_tags() -> None:
    out = clean_markdown("<td>Use <code>&lt;script data-domain=&quot;x.com&quot;&gt;</code> here</td>")
    assert '`<script data-domain="x.com">`' in out


@pytest.mark.parametrize(
    "beacon",
    [
        "![gift [note] sample](http://host/leak?q=secret)",
        "![a ![b](http://host/in)](http://host/out)",
        "[x](http://host/t 'title')",
        "[x](http://host/t (title))",
        "![ref][p]\n\n[p]: http://host/ref.png",
        "&#33;&#91;e&#93;(http://host/entity.png)",
        "![multi\nline](http://host/multi)",
    ],
)
def test_links_and_images_become_their_text_whatever_their_brackets(beacon: str) -> None:
    cleaned = clean_markdown(f"Gift cards last two years.\n\n{beacon}\n")
    tokens = [c for t in MarkdownIt().parse(cleaned) for c in t.children or []]
    assert not [t for t in tokens if t.type in ("image", "link_open")] and "host" not in cleaned


def test_only_links_change_when_they_are_removed() -> None:
    text = (
        "# Title\n\n- item *one* with \\[brackets\\] and &amp; [a link](http://x.example)\n"
        "  - nested `code [x](y)` **bold**\n\n| a | b |\n|---|---|\n| [c](http://z.example) | d |\n"
    )
    assert clean_markdown(text) == (
        "# Title\n\n- item *one* with \\[brackets\\] and & a link\n"
        "  - nested `code [x](y)` **bold**\n\n| a | b |\n|---|---|\n| c | d |\n"
    )


def test_a_crafted_tag_is_scanned_once_not_once_per_angle_bracket(monkeypatch: pytest.MonkeyPatch) -> None:
    """`<a{` 10,000 times: every `<` used to start a 5,000-character scan (40 KB took 12 s)."""
    scans: list[int] = []
    tag_end = clean._tag_end

    def counted(text: str, start: int):  # type: ignore[no-untyped-def]
        scans.append(start)
        return tag_end(text, start)

    monkeypatch.setattr(clean, "_tag_end", counted)
    crafted = "<a{" * 10_000
    assert clean_markdown(f"Intro.\n\n{crafted}\n\n<b>bold</b> text.\n") == f"Intro.\n\n{crafted}\n\nbold text.\n"
    assert len(scans) <= len(crafted) // clean.MAX_TAG_CHARS + 3


def test_a_page_of_unclosed_tags_reaches_the_html_parser_as_text() -> None:
    """Python's html.parser rescans to the end from each `<` no `>` follows (quadratic)."""
    assert clean._unclosed_as_text("<p>x</p> a <b <c") == "<p>x</p> a &lt;b &lt;c"
    crafted = "<a x='" * 5_000
    assert clean_html(f"<p>Intro.</p>{crafted}") == f"Intro.\n\n{crafted}\n"
