"""The headless interface: `python -m bot ask` and `python -m bot batch`.

Same pipeline, data directory and settings as the app. Staff use it to test the KB from a
terminal; every automated evaluation drives the bot through it.

    python -m bot ask --intent returns-refunds "how long do I have to return a sofa?"
    python -m bot batch questions.jsonl --out turns.jsonl     # lines: {"id", "question", "intent"}

Exit status: 0 when every turn ran, 1 when a turn ended in `error` (a stage failed) or a batch line
could not be run, 2 for a usage error (nothing is written).
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from tqdm import tqdm

from bot.config import Settings, get_settings
from bot.gate import Gate
from bot.identity import User
from bot.kb.store import StoreError
from bot.pipeline import Pipeline, UnknownIntent
from bot.staff_cli import STAFF_COMMANDS, add_staff_commands, run_staff_command
from bot.turn import Decision
from bot.wiring import build_pipeline

EXIT_STORE = 3  # the knowledge base store is missing or unreadable


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__.split("\n\n")[0])
    parser.add_argument("--user", default=f"cli:{getpass.getuser()}", help="stable user id (default: cli:<login>)")
    commands = parser.add_subparsers(dest="command", required=True)
    ask = commands.add_parser("ask", help="answer one question; prints the turn as JSON")
    ask.add_argument("--intent", required=True, help="intent id from the catalogue")
    ask.add_argument("question")
    batch = commands.add_parser("batch", help="answer a JSONL file of questions; one turn JSON per line")
    batch.add_argument("input", type=Path, help='JSONL, one {"id", "question", "intent"} per line')
    batch.add_argument("--out", type=Path, help="write here instead of stdout (never the input file)")
    batch.add_argument(
        "--no-strikes",
        action="store_true",
        help="blocked questions do not count against the next ones (evaluation and red-team runs)",
    )
    add_staff_commands(commands)
    args = parser.parse_args(argv)

    settings = get_settings()
    if args.command in STAFF_COMMANDS:
        return run_staff_command(args, settings)
    user = User(args.user)
    if args.command == "ask":
        pipeline = _pipeline(settings)
        try:
            turn = pipeline.run(args.question, args.intent, user)
        except UnknownIntent as err:
            parser.error(str(err))
        print(json.dumps(turn.to_dict(), ensure_ascii=False, indent=2))
        return 1 if turn.decision is Decision.ERROR else 0

    if not args.input.is_file():
        parser.error(f"input file not found: {args.input}")
    if args.out and _same_file(args.input, args.out):
        parser.error(f"--out {args.out} is the input file: it would be emptied before it is read")
    try:
        lines = args.input.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as err:
        line = err.object[: err.start].count(b"\n") + 1
        parser.error(
            f"{args.input} is not UTF-8 text (line {line}: byte {err.object[err.start]:#04x} at offset {err.start})"
        )
    # A staff batch asks many questions at once: the per-minute limit does not apply, strikes do
    # unless --no-strikes (otherwise every line after a few attacks is refused by the gate).
    gate = Gate.from_settings(settings, rate_limited=False, strikes=not args.no_strikes)
    pipeline = _pipeline(settings, gate=gate)
    out = args.out.open("w", encoding="utf-8") if args.out else sys.stdout
    try:
        failures, errors = run_batch(pipeline, lines, user, out)
    finally:
        if args.out:
            out.close()
    if failures:
        print(f"{failures} line(s) could not be run; see their 'error' field", file=sys.stderr)
    if errors:
        print(f"{errors} turn(s) ended in error (a stage failed); see their verdicts", file=sys.stderr)
    return 1 if failures or errors else 0


def _pipeline(settings: Settings, **options: Any) -> Pipeline:
    """The pipeline, or exit with the store's message: never answer from a missing or broken KB."""
    try:
        return build_pipeline(settings, **options)
    except StoreError as err:
        print(f"python -m bot: {err}", file=sys.stderr)
        raise SystemExit(EXIT_STORE) from None


def _same_file(a: Path, b: Path) -> bool:
    """The same file, by path or (links) by inode."""
    if a.resolve() == b.resolve():
        return True
    return b.exists() and os.path.samefile(a, b)


def run_batch(pipeline: Pipeline, lines: list[str], user: User, out: TextIO) -> tuple[int, int]:
    """Runs each line; returns (lines that could not be run, turns that ended in `error`)."""
    failures = errors = 0
    for number, item in tqdm(_items(lines), total=len(lines), unit="q", file=sys.stderr, desc="turns"):
        if "error" in item:
            failures += 1
            record: dict[str, Any] = item
        else:
            try:
                turn = pipeline.run(item["question"], item["intent"], user)
                fields = turn.to_dict()  # the input's id joins the output; the turn's own id is turn_id
                record = {"id": item["id"], "turn_id": fields.pop("id"), **fields}
                errors += turn.decision is Decision.ERROR
            except UnknownIntent as err:
                failures += 1
                record = {"id": item["id"], "line": number, "error": str(err)}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()
    return failures, errors


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
