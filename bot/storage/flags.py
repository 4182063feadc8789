"""What a turn was flagged for, as the dashboard counts it: for each verdict that said no, the
moderation categories it named ("flagged: violence"), or else the screen's own name (injection,
groundedness, gate, ...). Kept as rows of `turn_flags` when the turn is recorded, so the dashboard
counts them with an index instead of parsing every turn's JSON."""

from __future__ import annotations

from typing import Any

FLAGGED = "flagged: "
CATEGORY_MAX_CHARS = 64


def flags_of(turn: dict[str, Any]) -> list[str]:
    """The flags of a turn's JSON (Turn.to_dict()), each once, in the order the verdicts ran."""
    found: list[str] = []
    for verdict in turn.get("verdicts") or []:
        if not isinstance(verdict, dict) or verdict.get("ok", True):
            continue
        named = [str(r).removeprefix(FLAGGED) for r in verdict.get("reasons") or [] if str(r).startswith(FLAGGED)]
        for flag in named or [str(verdict.get("screen") or "unknown")]:
            flag = flag[:CATEGORY_MAX_CHARS]
            if flag not in found:
                found.append(flag)
    return found


def latency_of(turn: dict[str, Any]) -> float | None:
    total = (turn.get("timings_ms") or {}).get("total")
    return float(total) if isinstance(total, int | float) else None
