"""CSV and JSON exports of reports and turns for a date range [since, until).

Personal data stays redacted: questions, answers and report text are exported as stored (redacted
when recorded); the contact address a customer left on a report is not exported; users appear
only by their hashed id.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Literal, TextIO

from sqlalchemy import select

from bot.storage.db import Database
from bot.storage.models import Report, TurnRecord

Kind = Literal["reports", "turns"]
TURN_FIELDS = ("id", "created_at", "conversation_id", "user_hash", "intent", "decision", "question", "answer",
               "model", "latency_ms", "citations")  # fmt: skip
REPORT_FIELDS = ("id", "created_at", "status", "reason", "text", "note", "resolved_at", "turn_id", "user_hash",
                 "intent", "decision", "question", "answer")  # fmt: skip
BATCH = 1000


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def rows(db: Database, kind: Kind, since: datetime, until: datetime) -> Iterator[dict[str, Any]]:
    """The records of `kind` created in [since, until), oldest first, as flat dicts."""
    with db.read() as session:
        if kind == "turns":
            query = (
                select(TurnRecord)
                .where(TurnRecord.created_at >= since, TurnRecord.created_at < until)
                .order_by(TurnRecord.created_at, TurnRecord.id)
                .execution_options(yield_per=BATCH)
            )
            for t in session.scalars(query):
                yield {
                    "id": t.id,
                    "created_at": _iso(t.created_at),
                    "conversation_id": t.conversation_id,
                    "user_hash": t.user_id,
                    "intent": t.intent,
                    "decision": t.decision,
                    "question": t.question,
                    "answer": t.answer,
                    "model": t.model,
                    "latency_ms": (t.turn.get("timings_ms") or {}).get("total"),
                    "citations": " ".join(c.get("url", "") for c in t.turn.get("citations") or []),
                }
        elif kind == "reports":
            query = (
                select(Report, TurnRecord)
                .join(TurnRecord, TurnRecord.id == Report.turn_id)
                .where(Report.created_at >= since, Report.created_at < until)
                .order_by(Report.created_at, Report.id)
            )
            for r, t in session.execute(query):
                yield {
                    "id": r.id,
                    "created_at": _iso(r.created_at),
                    "status": r.status,
                    "reason": r.reason,
                    "text": r.text,
                    "note": r.note,
                    "resolved_at": _iso(r.resolved_at),
                    "turn_id": r.turn_id,
                    "user_hash": r.user_id,
                    "intent": t.intent,
                    "decision": t.decision,
                    "question": t.question,
                    "answer": t.answer,
                }
        else:
            raise ValueError(f"unknown export {kind!r}; expected reports or turns")


def write(db: Database, kind: Kind, since: datetime, until: datetime, fmt: Literal["csv", "json"], out: TextIO) -> int:
    """Write the export to `out` (CSV with a header, or a JSON array, streamed); returns how many records."""
    fields = TURN_FIELDS if kind == "turns" else REPORT_FIELDS
    count = 0
    writer = csv.DictWriter(out, fieldnames=fields) if fmt == "csv" else None
    if writer is not None:
        writer.writeheader()
    else:
        out.write("[")
    for row in rows(db, kind, since, until):
        if writer is not None:
            writer.writerow(row)
        else:
            out.write(("," if count else "") + "\n" + json.dumps(row, ensure_ascii=False))
        count += 1
    if writer is None:
        out.write("\n]\n")
    return count
