"""The report dialog's quote of the answer it is about: the first line of text, as text."""

from __future__ import annotations

import pytest

from bot.ui.report_form import answer_first_line, literal


@pytest.mark.parametrize(
    ("answer", "first"),
    [
        (
            "We accept Visa, Mastercard and American Express [1].\n\nDebit cards too.",
            "We accept Visa, Mastercard and American Express.",
        ),
        ("\n\n### Can I return a sofa?\nYes, within 30 days [1].", "Can I return a sofa?"),
        ("- **Visa** and [Mastercard](https://help.example/cards)\n- Amex", "Visa and Mastercard"),
        ("1. Open **Account** > `Orders`", "Open Account > Orders"),
        ("| Document | Where to find it |\n|---|---|\n| Invoice | Orders |", "Document · Where to find it"),
        ("> Note: returns are free [2]", "Note: returns are free"),
        ("|---|---|\n| Invoice | Orders |", "Invoice · Orders"),
        ("***\n\nAfter a rule", "After a rule"),
        ("", ""),
        ("   \n  \n", ""),
    ],
)
def test_the_first_line_of_text_without_markup(answer: str, first: str) -> None:
    assert answer_first_line(answer) == first


def test_a_long_first_line_is_cut_at_a_word() -> None:
    line = "Returns are free within thirty days of delivery for every item, " * 4
    quoted = answer_first_line(line, max_chars=60)
    assert quoted == "Returns are free within thirty days of delivery for every…"
    assert len(quoted) <= 60 and line.startswith(quoted[:-1])


def test_literal_escapes_what_markdown_would_act_on() -> None:
    assert literal("[click](https://x.test) *now* $5 <b>") == (r"\[click\]\(https\:\/\/x\.test\) \*now\* \$5 \<b\>")
    assert literal("plain words") == "plain words"


def test_a_quoted_blocks_heading_is_not_its_first_line() -> None:
    answer = "**Payment methods we accept › Cards**\n\nWe accept Visa and Mastercard [1]."
    assert answer_first_line(answer) == "We accept Visa and Mastercard."
