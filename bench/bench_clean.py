"""Cleaning and sanitizing throughput on crafted pages, which used to cost quadratic time.

    python -m bench.bench_clean        (or: make bench)

Each crafted page is cleaned at 10, 20 and 40 KB: linear work keeps the throughput (KB/s) about
the same as the page grows; quadratic work halves it each time the page doubles. `<a{` in prose
used to cost about 5,000 steps per tag (40 KB took 12 s). The sample KB's articles give the
ordinary throughput, and the output sanitizer (bot.markdown) is timed on an answer-sized text.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bench.common import ROOT
from bot.markdown import safe_markdown
from ingest.clean import clean_html, clean_markdown

CRAFTED: dict[str, tuple[Callable[[str], str], str]] = {
    "<a{ in HTML text": (clean_html, "&lt;a{"),
    "<a{ in Markdown": (clean_markdown, "<a{"),
    "unclosed <a x='": (clean_html, "<a x='"),
    "unclosed <!--": (clean_markdown, "<!--x"),
    "unclosed <script": (clean_markdown, "<script x"),
    "unclosed {{": (clean_markdown, "{{x"),
    "unclosed ![": (clean_markdown, "![a"),
    "unclosed ![ then ](": (clean_markdown, "![a" * 999 + "](x)"),
    "[a](b repeated": (clean_markdown, "[a](b"),
}
SIZES_KB = (10, 20, 40)


def seconds(clean: Callable[[str], str], text: str) -> float:
    started = time.perf_counter()
    clean(text)
    return time.perf_counter() - started


def main() -> None:
    print(f"{'crafted page':22}" + "".join(f"{size:>4} KB: s    KB/s  " for size in SIZES_KB))
    for name, (clean, unit) in CRAFTED.items():
        row = []
        for size in SIZES_KB:
            text = (unit * (size * 1024 // len(unit) + 1))[: size * 1024]
            took = seconds(clean, text)
            row.append(f"{took:9.2f} {size / took:7.0f}  ")
        print(f"{name:22}" + "".join(row))
    articles = sorted((ROOT / "kb" / "articles").rglob("*.md"))
    texts = [a.read_text() for a in articles]
    took = sum(seconds(clean_markdown, t) for t in texts)
    size = sum(len(t) for t in texts) / 1024
    print(f"sample KB: {len(texts)} articles, {size:.0f} KB cleaned in {took:.2f} s = {size / took:.0f} KB/s")
    answer = " ".join(texts)[:3000]
    runs = sorted(seconds(lambda t: safe_markdown(t, ())[0], answer) for _ in range(5))
    print(f"sanitizer: a 3 KB answer in {runs[2] * 1000:.1f} ms (median of 5)")


if __name__ == "__main__":
    main()
