"""`re.sub(open + ".*?" + close, …)` in linear time.

A lazy `.*?` that finds no closing scans to the end of the text again from every later opening:
40 KB of `<!--` took seconds. Here a closing that is missing after one opening is known to be
missing after every later one, so each character is read a bounded number of times.
"""

from __future__ import annotations

import re
from collections.abc import Callable


def sub_spans(
    text: str,
    opening: re.Pattern[str],
    closing: Callable[[re.Match[str]], re.Pattern[str]],
    replace: Callable[[str], str] = lambda inner: "",
) -> str:
    """Replace each span from an `opening` match to the first `closing(opening)` match after it
    (the closing may depend on the opening, as `</script>` on `<script`) with `replace(inner)`."""
    out: list[str] = []
    kept_to = search_from = 0
    missing: set[str] = set()
    while (start := opening.search(text, search_from)) is not None:
        close = closing(start)
        end = None if close.pattern in missing else close.search(text, start.end())
        if end is None:
            missing.add(close.pattern)
            search_from = start.start() + 1
            continue
        out += [text[kept_to : start.start()], replace(text[start.end() : end.start()])]
        kept_to = search_from = end.end()
    out.append(text[kept_to:])
    return "".join(out)
