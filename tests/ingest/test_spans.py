import re

import pytest

from ingest.spans import sub_spans

OPEN, CLOSE = re.compile("<!--"), re.compile("-->")


class Counted:
    """A pattern that counts its searches."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern, self.searches = pattern.pattern, 0
        self._compiled = pattern

    def search(self, text: str, pos: int = 0) -> re.Match[str] | None:
        self.searches += 1
        return self._compiled.search(text, pos)


@pytest.mark.parametrize(
    "text", ["a<!--b-->c<!--d-->e", "<!---->", "a<!--b", "a<!--b<!--c-->d<!--e", "<!--<!---->-->", "plain"]
)
def test_the_same_as_a_lazy_regex(text: str) -> None:
    assert sub_spans(text, OPEN, lambda _: CLOSE) == re.sub("<!--.*?-->", "", text, flags=re.DOTALL)


def test_the_closing_may_depend_on_the_opening() -> None:
    opening = re.compile(r"<(script|style)\b", re.IGNORECASE)
    closing = lambda m: re.compile(rf"</{m.group(1)}\s*>", re.IGNORECASE)  # noqa: E731
    text = "a<script>x</SCRIPT >b<style>y</style>c<script>z"
    assert sub_spans(text, opening, closing) == "abc<script>z"
    assert (
        sub_spans("<code>a&lt;b</code>", re.compile("<code>"), lambda _: re.compile("</code>"), str.upper) == "A&LT;B"
    )


def test_a_missing_closing_is_searched_for_once() -> None:
    """`<!--` 10,000 times and no `-->`: a lazy regex scans to the end from every one."""
    close = Counted(CLOSE)
    text = "<!--x" * 10_000
    assert sub_spans(text, OPEN, lambda _: close) == text  # type: ignore[arg-type,return-value]
    assert close.searches == 1
