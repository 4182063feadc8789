"""Limits, strikes and blocks kept in the records: one gate, several gates, several processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.gate import BLOCKED_REASON, STAFF_BLOCKED_REASON, Gate
from bot.identity import safety_identifier, server_secret
from bot.storage.audit import Staff, audit_trail
from bot.storage.db import Database
from bot.storage.limits import DatabaseLimits, block_user, blocked_users, unblock_user
from tests.bot.storage.factories import user_hash

ROOT = Path(__file__).resolve().parents[3]
LEAD = Staff(user_hash("lead@example.com"), "Sam Lead")
T0 = 1_800_000_000.0  # a wall-clock time, as DatabaseLimits stores them


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def db_gate(db: Database, clock: Clock, **overrides: float) -> Gate:
    options: dict[str, Any] = dict(
        per_minute=3, strikes_to_slow=2, strikes_to_block=4, window_seconds=600, slow_seconds=20, block_seconds=300
    )
    options.update(overrides)
    return Gate(clock=clock, store=DatabaseLimits(db), **options)


def test_the_sliding_window_limit_is_kept_in_the_records(db: Database) -> None:
    clock = Clock()
    alice, bob = user_hash("alice"), user_hash("bob")
    first = db_gate(db, clock)
    assert first.admit(alice).ok and first.admit(alice).ok
    clock.now += 30
    second = db_gate(db, clock)  # another gate on the same database: a restart, or another process
    assert second.admit(alice).ok
    refused = second.admit(alice)
    assert not refused.ok and refused.reasons == ("rate limit",) and "30 seconds" in refused.user_message
    assert second.admit(bob).ok
    clock.now += 31  # the first two left the window; the third is still in it
    assert first.admit(alice).ok and first.admit(alice).ok
    assert not first.admit(alice).ok


def test_weighted_strikes_slow_then_block_then_the_block_runs_out(db: Database) -> None:
    clock = Clock()
    user = user_hash("carol")
    gate = db_gate(db, clock, per_minute=100)
    assert gate.strike(user, 2.0, "moderation-in") == 2.0  # a severe one counts double: slowed at once
    assert gate.admit(user).ok
    slowed = gate.admit(user)
    assert not slowed.ok and slowed.reasons == ("slowed after blocked messages",)
    assert gate.strike(user, 0.5, "moderation-in") == 2.5
    assert gate.strike(user, 1.5, "injection") == 4.0
    blocked = db_gate(db, clock).admit(user)
    assert not blocked.ok and blocked.reasons == (BLOCKED_REASON,) and "5 minute" in blocked.user_message
    assert [(b.user_hash, b.kind) for b in blocked_users(db, _at(clock.now))] == [(user, "temporary")]
    clock.now += 301
    assert gate.admit(user).ok  # the block ran out and the strikes were cleared
    assert blocked_users(db, _at(clock.now)) == []


def test_old_strikes_leave_the_window(db: Database) -> None:
    clock = Clock()
    user = user_hash("dan")
    gate = db_gate(db, clock, per_minute=100)
    gate.strike(user)
    clock.now += 601
    assert gate.strike(user) == 1.0


def test_a_staff_block_holds_until_staff_unblock_and_is_audited(db: Database) -> None:
    clock = Clock()
    user = user_hash("eve")
    gate = db_gate(db, clock)
    block_user(db, LEAD, user, "threats against staff")
    clock.now += 10 * 365 * 86400  # years later: still blocked
    refused = gate.admit(user)
    assert not refused.ok and refused.reasons == (STAFF_BLOCKED_REASON,)
    assert "contact us directly" in refused.user_message
    gate.strike(user, 5.0)  # the gate's own temporary block never replaces the staff one
    [view] = blocked_users(db, _at(clock.now))
    assert (view.kind, view.until, view.reason, view.created_by) == (
        "permanent",
        None,
        "threats against staff",
        LEAD.id,
    )
    assert unblock_user(db, LEAD, user, "apologised") is True
    assert gate.admit(user).ok
    assert unblock_user(db, LEAD, user) is False
    assert [(e.action, e.from_value, e.to_value) for e in audit_trail(db, user)] == [
        ("block", "none", "permanent"),
        ("unblock", "permanent", "none"),
        ("unblock", "none", "none"),
    ]


def test_only_hashed_ids_are_stored(db: Database) -> None:
    gate = db_gate(db, Clock())
    with pytest.raises(ValueError, match="64-hex"):
        gate.admit("alice@example.com")


def _at(seconds: float):  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, UTC)


# --- several processes ---------------------------------------------------------------------------


def _worker_env(settings: Settings, **limits: int) -> dict[str, str]:
    env = {
        **os.environ,
        "SAFEDESK_ENV_FILE": "",
        "SAFEDESK_DATA_DIR": str(settings.data_dir),
        "DATABASE_URL": settings.database_url,
        "SAFEDESK_SECRET_KEY": "two-processes-secret",
    }
    env.update({f"SAFEDESK_{name.upper()}": str(value) for name, value in limits.items()})
    return env


def _start(env: dict[str, str], now: float, user: str, *actions: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.bot.storage.gate_worker", "--now", str(now), "--user", user, *actions],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _results(proc: subprocess.Popen[str]) -> list[dict[str, Any]]:
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return [json.loads(line) for line in out.splitlines()]


def _run(env: dict[str, str], now: float, user: str, *actions: str) -> list[dict[str, Any]]:
    return _results(_start(env, now, user, *actions))


def test_two_processes_agree_on_a_users_limit_and_strikes(storage_settings: Settings, db: Database) -> None:
    env = _worker_env(storage_settings, rate_limit_per_minute=4, strikes_to_slow=100, strikes_to_block=3)
    # Racing: two processes at once ask 4 times each for the same user; exactly 4 get through.
    racers = [_start(env, T0, "cli:frank", *["admit"] * 4) for _ in range(2)]
    admitted = [r["ok"] for proc in racers for r in _results(proc)]
    assert admitted.count(True) == 4 and admitted.count(False) == 4
    # Strikes from one process count in the other; the block one process places stops the other.
    assert _run(env, T0 + 120, "cli:frank", "strike:2") == [{"strikes": 2.0}]
    assert _run(env, T0 + 121, "cli:frank", "strike:1") == [{"strikes": 3.0}]
    [blocked] = _run(env, T0 + 122, "cli:frank", "admit")
    assert not blocked["ok"] and blocked["reasons"] == [BLOCKED_REASON]
    # The rows are keyed by the hashed id, as staff see it.
    secret = server_secret(storage_settings.model_copy(update={"secret_key": "two-processes-secret"}))
    assert [b.user_hash for b in blocked_users(db, _at(T0 + 122))] == [safety_identifier(secret, "cli:frank")]
    [other] = _run(env, T0 + 122, "cli:grace", "admit")
    assert other["ok"]
