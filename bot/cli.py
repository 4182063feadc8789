"""The headless interface: `python -m bot ask` and `python -m bot batch`.

Same pipeline, data directory and settings as the app. Staff use it to test the KB from a
terminal; every automated evaluation drives the bot through it.

    python -m bot ask --intent returns-refunds "how long do I have to return a sofa?"
    python -m bot batch questions.jsonl --out turns.jsonl     # lines: {"id", "question", "intent"}
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from tqdm import tqdm

from bot.config import get_settings
from bot.gate import Gate
from bot.identity import User
from bot.pipeline import Pipeline, UnknownIntent
from bot.wiring import build_pipeline


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__.split("\n\n")[0])
    parser.add_argument("--user", default=f"cli:{getpass.getuser()}", help="stable user id (default: cli:<login>)")
    commands = parser.add_subparsers(dest="command", required=True)
    ask = commands.add_parser("ask", help="answer one question; prints the turn as JSON")
    ask.add_argument("--intent", required=True, help="intent id from the catalogue")
    ask.add_argument("question")
    batch = commands.add_parser("batch", help="answer a JSONL file of questions; one turn JSON per line")
    batch.add_argument("input", type=Path, help='JSONL, one {"id", "question", "intent"} per line')
    batch.add_argument("--out", type=Path, help="write here instead of stdout")
    args = parser.parse_args(argv)

    settings = get_settings()
    user = User(args.user)
    if args.command == "ask":
        pipeline = build_pipeline(settings)
        try:
            turn = pipeline.run(args.question, args.intent, user)
        except UnknownIntent as err:
            parser.error(str(err))
        print(json.dumps(turn.to_dict(), ensure_ascii=False, indent=2))
        return 0

    if not args.input.is_file():
        parser.error(f"input file not found: {args.input}")
    # A staff batch asks many questions at once: strikes apply, the per-minute limit does not.
    pipeline = build_pipeline(settings, gate=Gate.from_settings(settings, rate_limited=False))
    out = args.out.open("w", encoding="utf-8") if args.out else sys.stdout
    try:
        failures = run_batch(pipeline, args.input, user, out)
    finally:
        if args.out:
            out.close()
    if failures:
        print(f"{failures} line(s) could not be run; see their 'error' field", file=sys.stderr)
    return 1 if failures else 0


def run_batch(pipeline: Pipeline, path: Path, user: User, out: TextIO) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    failures = 0
    for number, item in tqdm(_items(lines), total=len(lines), unit="q", file=sys.stderr, desc="turns"):
        if "error" in item:
            failures += 1
            record: dict[str, Any] = item
        else:
            try:
                turn = pipeline.run(item["question"], item["intent"], user)
                fields = turn.to_dict()  # the input's id joins the output; the turn's own id is turn_id
                record = {"id": item["id"], "turn_id": fields.pop("id"), **fields}
            except UnknownIntent as err:
                failures += 1
                record = {"id": item["id"], "line": number, "error": str(err)}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()
    return failures


def _items(lines: list[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as err:
            yield number, {"id": None, "line": number, "error": f"not JSON: {err.msg}"}
            continue
        missing = [k for k in ("question", "intent") if not isinstance(item, dict) or not isinstance(item.get(k), str)]
        if missing:
            yield (
                number,
                {
                    "id": item.get("id") if isinstance(item, dict) else None,
                    "line": number,
                    "error": f"missing or not text: {', '.join(missing)}",
                },
            )
            continue
        item.setdefault("id", str(number))
        yield number, item
