import tempfile
from pathlib import Path

from bot.tokens import Tokenizer
from ingest.chunking import chunk_article

count_tokens = Tokenizer("o200k_base", Path(tempfile.mkdtemp(prefix="safedesk-tiktoken-"))).count

BODY = """Intro paragraph about the article.

## Returns

You can return items within 30 days.

### Steps

1. Open your orders.
2. Choose the item.
3. Print the label.

## Refunds

| Method | Time |
| --- | --- |
| Card | 5 days |
| PayPal | 2 days |
"""


def test_chunks_follow_headings_with_their_path() -> None:
    chunks = chunk_article(BODY, 200, count_tokens)
    assert [c.heading for c in chunks] == ["", "Returns", "Returns > Steps", "Refunds"]
    assert chunks[2].text.startswith("1. Open your orders.")
    assert "| Card | 5 days |" in chunks[3].text
    assert [c.index for c in chunks] == [0, 1, 2, 3]


def test_long_sections_are_split_within_the_budget() -> None:
    paragraphs = "\n\n".join(f"Paragraph {i} " + "word " * 60 for i in range(10))
    chunks = chunk_article("## Long\n\n" + paragraphs, 100, count_tokens)
    assert len(chunks) >= 6
    assert all(count_tokens(c.text) <= 100 for c in chunks)
    assert all(c.heading == "Long" for c in chunks)
    assert "Paragraph 9" in chunks[-1].text


def test_a_single_huge_sentence_is_cut_by_words() -> None:
    chunks = chunk_article("## X\n\n" + "supercalifragilistic " * 400, 80, count_tokens)
    assert len(chunks) > 1
    assert all(count_tokens(c.text) <= 80 for c in chunks)


def test_hash_lines_inside_code_blocks_are_not_headings() -> None:
    body = "## Config\n\n```nginx\n# a comment\nlocation / {}\n```\n"
    chunks = chunk_article(body, 200, count_tokens)
    assert len(chunks) == 1 and chunks[0].heading == "Config"
    assert "# a comment" in chunks[0].text


def test_a_long_table_is_split_by_rows_under_its_header_in_every_chunk() -> None:
    rows = "\n".join(
        f"| CHK-{100 + i} | Error number {i} means something went wrong | Try again later |" for i in range(30)
    )
    chunks = chunk_article(f"## Codes\n\n| Code | Meaning | What to do |\n|---|---|---|\n{rows}\n", 120, count_tokens)
    assert len(chunks) >= 3
    for chunk in chunks:
        lines = chunk.text.splitlines()
        assert lines[:2] == ["| Code | Meaning | What to do |", "|---|---|---|"]
        assert count_tokens(chunk.text) <= 120
    quoted = [line for c in chunks for line in c.text.splitlines()[2:]]
    assert quoted == rows.splitlines()  # every row once, whole, in order
