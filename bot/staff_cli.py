"""Staff commands of the headless CLI (wired into `python -m bot` by bot.cli):

    python -m bot reports list [--status open] [--intent ID] [--reason R] [--since DATE] [--until DATE] [--json]
    python -m bot reports show R-7K3Q9                 # the report and its whole turn, as JSON
    python -m bot reports resolve R-7K3Q9 --note "article fixed" [--dismiss]
    python -m bot purge                                # SAFEDESK_RETENTION_DAYS
    python -m bot forget USER                          # the user's id (e.g. OIDC sub) or 64-hex hashed id
    python -m bot export turns|reports --since 2026-11-01 --until 2026-12-01 --format csv|json [--out FILE]

The staff member acting is `--user` (default cli:<login>), audited by its hashed id and that name.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.identity import safety_identifier, server_secret
from bot.storage.audit import Staff
from bot.storage.db import open_database
from bot.storage.models import REPORT_REASONS, REPORT_STATUSES

STAFF_COMMANDS = frozenset({"reports", "purge", "forget", "export"})
HASHED_ID = re.compile(r"[0-9a-f]{64}")


def add_staff_commands(commands: Any) -> None:
    """Add the staff sub-commands to `python -m bot`'s sub-parsers."""
    reports = commands.add_parser("reports", help="the review queue: list, show, resolve")
    actions = reports.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="reports, newest first")
    listing.add_argument("--status", choices=REPORT_STATUSES)
    listing.add_argument("--intent")
    listing.add_argument("--reason", choices=REPORT_REASONS)
    listing.add_argument("--since", type=_day, help="YYYY-MM-DD (UTC), inclusive")
    listing.add_argument("--until", type=_day, help="YYYY-MM-DD (UTC), exclusive")
    listing.add_argument("--limit", type=int, default=200)
    listing.add_argument("--json", action="store_true", help="one JSON object per line instead of a table")
    show = actions.add_parser("show", help="one report with its whole turn, as JSON")
    show.add_argument("id")
    resolve = actions.add_parser("resolve", help="resolve (or --dismiss) a report, with a note")
    resolve.add_argument("id")
    resolve.add_argument("--note", required=True)
    resolve.add_argument("--dismiss", action="store_true")

    commands.add_parser("purge", help="delete turns and feedback older than SAFEDESK_RETENTION_DAYS")
    forget = commands.add_parser("forget", help="delete one user's records (data-subject request)")
    forget.add_argument("who", metavar="USER", help="the user's id (OIDC sub) or their 64-hex hashed id")

    export = commands.add_parser("export", help="reports or turns of a date range, as CSV or JSON (redacted)")
    export.add_argument("kind", choices=("reports", "turns"))
    export.add_argument("--since", type=_day, required=True, help="YYYY-MM-DD (UTC), inclusive")
    export.add_argument("--until", type=_day, required=True, help="YYYY-MM-DD (UTC), exclusive")
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument("--out", type=Path, help="write here instead of stdout")


def run_staff_command(args: argparse.Namespace, settings: Settings) -> int:
    from bot.storage import export, retention, review

    secret = server_secret(settings)
    staff = Staff(safety_identifier(secret, args.user), args.user)
    db = open_database(settings)
    try:
        if args.command == "purge":
            purged = retention.purge(db, settings.retention_days)
            print(
                f"purged before {purged.cutoff.isoformat(timespec='seconds')}: {purged.turns} turn(s), "
                f"{purged.feedback} feedback, {purged.reports} closed report(s), {purged.conversations} conversation(s)"
            )
            return 0
        if args.command == "forget":
            user_hash = args.who if HASHED_ID.fullmatch(args.who) else safety_identifier(secret, args.who)
            gone = retention.forget(db, staff, user_hash)
            state = "forgotten" if gone.found else "not found (nothing recorded)"
            print(f"user {user_hash}: {state}; {gone.turns} turn(s), {gone.reports} report(s) deleted")
            return 0
        if args.command == "export":
            _check_range(args.since, args.until)
            out = args.out.open("w", encoding="utf-8", newline="") if args.out else sys.stdout
            try:
                count = export.write(db, args.kind, args.since, args.until, args.format, out)
            finally:
                if args.out:
                    out.close()
            print(f"{count} {args.kind} exported", file=sys.stderr)
            return 0
        if args.action == "list":
            rows = review.list_reports(
                db, status=args.status, intent=args.intent, reason=args.reason, since=args.since, until=args.until,
                limit=args.limit,
            )  # fmt: skip
            for row in rows:
                if args.json:
                    print(json.dumps(_plain(asdict(row)), ensure_ascii=False))
                else:
                    when = row.created_at.strftime("%Y-%m-%d %H:%M")
                    print(f"{row.id}  {when}  {row.status:<9}  {row.reason:<14}  {row.intent:<20}  {row.question[:60]}")
            return 0
        if args.action == "show":
            found = review.report_row(db, args.id)
            if found is None:
                print(f"no report {args.id}", file=sys.stderr)
                return 1
            detail = review.turn_detail(db, found.turn_id)
            print(json.dumps(_plain({"report": asdict(found), "turn": asdict(detail) if detail else None}),
                             ensure_ascii=False, indent=2))  # fmt: skip
            return 0
        status = "dismissed" if args.dismiss else "resolved"
        try:
            row = review.set_report_status(db, args.id, status, staff, note=args.note)
        except (LookupError, ValueError) as err:
            print(str(err).strip("'\""), file=sys.stderr)
            return 1
        print(f"{row.id}: {row.status}")
        return 0
    finally:
        db.close()


def _day(value: str) -> datetime:
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _check_range(since: datetime, until: datetime) -> None:
    if until <= since:
        raise SystemExit("--until must come after --since (both UTC days; --until is exclusive)")
    if until - since > timedelta(days=3660):
        raise SystemExit("a range of at most ten years, please")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
