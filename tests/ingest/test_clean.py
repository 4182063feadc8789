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
