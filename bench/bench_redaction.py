"""Redaction throughput (bot.safety.input.pii): what personal-data redaction costs per text.

Three sets of texts, each redacted whole with `redact` (after a warm-up), timed one by one:
  * questions: every question in bench/data (what users type);
  * KB paragraphs: the sample KB and the Plausible help centre split at blank lines;
  * adversarial 100 KB texts shaped to make a pattern rescan a long run from each of its
    positions ("a.a.a...", "1 1 1...", "sk-sk-...", "password: password: ..."). The email
    pattern used to take about 23 s on "a.a.a..." (it could start a match after every dot).
Per set: median and p95 ms per text, and chars/s over the set. Then the adversarial texts at
25, 50 and 100 KB: time per KB should stay flat (linear), and `redact_prefix` at the default
input limit, which is what the app redacts of an over-long question.

    python -m bench.bench_redaction
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence

from bench.common import DATA, PLAUSIBLE_DOCS, ROOT, pct
from bot.safety.input.pii import redact, redact_prefix
from evals.jsonl import read_jsonl

ADVERSARIAL: dict[str, Callable[[int], str]] = {
    "a.a.a.": lambda n: "a." * (n // 2),
    "1 1 1 ": lambda n: "1 " * (n // 2),
    "sk-sk-": lambda n: "sk-" * (n // 3),
    "password: ": lambda n: "password: " * (n // 10),
    "my name is ": lambda n: "my name is " * (n // 11),
    "Aa Aa 1 ": lambda n: "Aa Aa 1 " * (n // 8),
}
DEFAULT_INPUT_LIMIT = 800  # SAFEDESK_MAX_INPUT_CHARS's default


def questions() -> list[str]:
    return [row["question"] for path in sorted(DATA.glob("*.jsonl")) for row in read_jsonl(path)]


def kb_paragraphs() -> list[str]:
    roots = [ROOT / "kb" / "articles", PLAUSIBLE_DOCS]
    paragraphs: list[str] = []
    for root in roots:
        for path in sorted(root.rglob("*.md")):
            paragraphs += [p for p in path.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    return paragraphs


def timed(fn: Callable[[str], object], texts: Sequence[str]) -> list[float]:
    seconds = []
    for text in texts:
        started = time.perf_counter()
        fn(text)
        seconds.append(time.perf_counter() - started)
    return seconds


def report(name: str, texts: Sequence[str], seconds: Sequence[float]) -> None:
    ms = [s * 1000 for s in seconds]
    chars = sum(len(t) for t in texts)
    print(
        f"{name:<22} n={len(texts):<5} chars/text p50 {statistics.median([len(t) for t in texts]):>8.0f}   "
        f"p50 {statistics.median(ms):8.3f} ms   p95 {pct(ms, 95):8.3f} ms   {chars / sum(seconds):>12,.0f} chars/s"
    )


def main() -> None:
    sets = {
        "questions": questions(),
        "KB paragraphs": kb_paragraphs(),
        "adversarial 100 KB": [make(100_000) for make in ADVERSARIAL.values()],
    }
    timed(redact, sets["questions"][:50])  # warm-up: the patterns are compiled at import already
    print("redact(text), whole text:")
    for name, texts in sets.items():
        report(name, texts, timed(redact, texts))

    print("\nadversarial texts by size (ms per KB should not grow with the size):")
    for shape, make in ADVERSARIAL.items():
        cells = []
        for size in (25_000, 50_000, 100_000):
            (seconds,) = timed(redact, [make(size)])
            cells.append(f"{size // 1000:>3} KB {seconds * 1000:8.1f} ms ({seconds * 1e6 / size:5.2f} ms/KB)")
        print(f"  {shape!r:<14} " + "   ".join(cells))

    limited = [make(100_000) for make in ADVERSARIAL.values()]
    seconds = timed(lambda t: redact_prefix(t, DEFAULT_INPUT_LIMIT), limited)
    print(f"\nredact_prefix(text, {DEFAULT_INPUT_LIMIT}) on the 100 KB texts (what an over-long question costs):")
    print(f"  p50 {statistics.median(seconds) * 1000:.3f} ms   max {max(seconds) * 1000:.3f} ms")


if __name__ == "__main__":
    main()
