"""How long each staff-dashboard figure, and each article-health figure of the KB page, takes with
100,000 turns in the database, on SQLite and on PostgreSQL (bot.storage.dashboard and
bot.storage.article_health: one query per figure).

The records are synthetic but shaped like the real ones: 100,000 turns over 30 days from 2,000
users (the turn JSON with a passage, three verdicts and timings, ~1.5 kB; latency, flags and the
articles an answer cited or a suggested turn showed, out of 300 with a long tail, in their columns
and rows as record_turn writes them), a thumb on 1 in 10 turns,
a report on 1 in 100 (half of them resolved), 50 blocked users. Each figure runs once to warm up,
then 5 times; the median is printed, for the whole 30 days and for the last 7. PostgreSQL is a
throw-away server on loopback (tests/postgres_server.py; `apt-get install -y postgresql`).

    python -m bench.bench_dashboard               (--turns N to change the size; ~2 min)
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from bot.storage import article_health, dashboard
from bot.storage.db import Database, make_engine, migrate
from bot.storage.flags import flags_of, latency_of
from bot.storage.models import Block, Conversation, Feedback, Report, TurnArticle, TurnFlag, TurnRecord, User
from bot.storage.turn_articles import articles_of

END = datetime(2026, 11, 28, tzinfo=UTC)
DAYS = 30
USERS = 2000
RUNS = 5
BATCH = 5000
DECISIONS = (
    ("answered", 0.62), ("suggested", 0.12), ("not_in_kb", 0.14), ("blocked_input", 0.07),
    ("blocked_output", 0.02), ("error", 0.03),
)  # fmt: skip
INTENTS = ("orders-delivery", "returns-refunds", "billing", "account", "products", "warranty", "assembly")
PASSAGE = "Sofas can be returned within 30 days of delivery if unused and in the original packaging. " * 3
CATEGORIES = ("violence", "harassment", "illicit", "hate", "self-harm", "sexual")
ARTICLES = 300  # a help centre's worth; a few are cited far more than the rest (Pareto)


def _user(n: int) -> str:
    return f"{n:064x}"


def _article(rng: random.Random) -> str:
    return f"article-{min(int(rng.paretovariate(1.2)) - 1, ARTICLES - 1):03d}"


def _turn_json(rng: random.Random, decision: str, total_ms: float) -> dict[str, Any]:
    blocked = decision == "blocked_input"
    cited = [_article(rng), _article(rng)] if decision == "answered" else []
    suggested = [_article(rng) for _ in range(3)] if decision == "suggested" else []
    reasons = [f"flagged: {rng.choice(CATEGORIES)}", "model: local"] if blocked else ["model: local"]
    return {
        "decision": decision,
        "passages": [
            {
                "chunk_id": "returns-policy#0", "article_id": "returns-policy", "title": "Returns policy",
                "url": "https://help.example/returns", "heading": "Furniture",
                "text": PASSAGE,
                "score": round(rng.random(), 4), "dense": round(rng.random(), 4), "lexical": round(rng.random(), 4),
            }
        ],
        "verdicts": [
            {"screen": "moderation-in", "ok": not blocked, "reasons": reasons, "error": False, "ms": 3.1,
             "scores": {c: round(rng.random() / 10, 4) for c in CATEGORIES}},
            {"screen": "injection", "ok": True, "scores": {"injection": 0.02}, "reasons": [], "error": False,
             "ms": 1.2},
            {"screen": "groundedness", "ok": decision != "blocked_output", "scores": {"grounded": 0.8},
             "reasons": [], "error": False, "ms": 4.0},
        ],
        "timings_ms": {"gate": 0.1, "input": 8.0, "retrieve": 20.0, "respond": 30.0, "total": total_ms},
        "citations": [{"number": n, "article_id": a, "url": f"https://help.example/{a}"}
                      for n, a in enumerate(cited, 1)],
        "suggestions": [{"article_id": a, "url": f"https://help.example/{a}"} for a in suggested],
    }  # fmt: skip


def populate(db: Database, turns: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    start = END - timedelta(days=DAYS)
    names, weights = zip(*DECISIONS, strict=True)
    with db.engine.begin() as conn:
        conn.execute(insert(User), [{"id": _user(n), "created_at": start} for n in range(USERS)])
        conversations: list[dict[str, Any]] = []
        rows: list[dict[str, Any]] = []
        feedback: list[dict[str, Any]] = []
        reports: list[dict[str, Any]] = []
        flags: list[dict[str, Any]] = []
        articles: list[dict[str, Any]] = []
        for i in range(turns):
            when = start + timedelta(seconds=rng.uniform(0, DAYS * 86400))
            user = _user(rng.randrange(USERS))
            if i % 3 == 0:
                conversation = uuid.UUID(int=rng.getrandbits(128)).hex
                conversations.append({"id": conversation, "user_id": user, "intent": "billing", "started_at": when})
            decision = rng.choices(names, weights)[0]
            turn_id = uuid.UUID(int=rng.getrandbits(128)).hex
            body = _turn_json(rng, decision, rng.lognormvariate(5, 0.6))
            flags.extend({"turn_id": turn_id, "category": c, "created_at": when} for c in flags_of(body))
            articles.extend({"turn_id": turn_id, "article_id": a, "used": used, "created_at": when}
                            for a, used in articles_of(body))  # fmt: skip
            rows.append({
                "id": turn_id, "conversation_id": conversation, "user_id": user, "started_at": when,
                "intent": rng.choice(INTENTS), "decision": decision, "question": "How long do I have to return a sofa?",
                "answer": "You can return a sofa within 30 days [1].", "model": "extractive", "turn": body,
                "created_at": when, "latency_ms": latency_of(body),
            })  # fmt: skip
            if i % 10 == 0:
                score = rng.choice((1, -1))
                feedback.append({"turn_id": turn_id, "user_id": user, "score": score,
                                 "reason": "wrong_answer" if score == -1 else None, "created_at": when})  # fmt: skip
            if i % 100 == 0:
                closed = i % 200 == 0
                reports.append({
                    "id": f"R-{i:05d}"[:16], "turn_id": turn_id, "user_id": user, "reason": "wrong_answer", "text": "x",
                    "status": "resolved" if closed else "open", "turn": body, "created_at": when,
                    "resolved_at": when + timedelta(hours=rng.uniform(1, 72)) if closed else None,
                })  # fmt: skip
            if len(rows) >= BATCH:
                _flush(conn, conversations, rows, flags, articles)
        _flush(conn, conversations, rows, flags, articles)
        conn.execute(insert(Feedback), feedback)
        conn.execute(insert(Report), reports)
        conn.execute(
            insert(Block),
            [
                {"user_id": _user(n), "kind": "permanent", "until": None, "reason": "abuse", "created_by": _user(0),
                 "created_at": END}
                for n in range(50)
            ],
        )  # fmt: skip
    if db.backend == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


def _flush(conn: Any, *tables: list[dict[str, Any]]) -> None:
    """Conversations, turns, their flags and articles, in that order (foreign keys)."""
    for model, values in zip((Conversation, TurnRecord, TurnFlag, TurnArticle), tables, strict=True):
        if values:
            conn.execute(insert(model), values)
        values.clear()


def figures(db: Database, since: datetime, until: datetime) -> dict[str, Callable[[], object]]:
    return {
        "turns per day by decision": lambda: dashboard.turns_per_day(db, since, until),
        "flags by category": lambda: dashboard.flags_by_category(db, since, until),
        "top intents": lambda: dashboard.top_intents(db, since, until),
        "thumbs up/down": lambda: dashboard.thumbs(db, since, until),
        "reports opened/closed per day": lambda: dashboard.reports_per_day(db, since, until),
        "median time to resolve": lambda: dashboard.median_seconds_to_resolve(db, since, until),
        "latency p50/p95 per day": lambda: dashboard.latency_per_day(db, since, until),
        "blocked users": lambda: dashboard.blocked_users(db, until),
        "KB: most cited articles": lambda: article_health.most_cited(db, since, until),
        "KB: most thumbed-down articles": lambda: article_health.most_thumbed_down(db, since, until),
        "KB: most reported articles": lambda: article_health.most_reported(db, since, until),
    }


def measure(db: Database) -> dict[str, dict[str, float]]:
    ranges = {"30 days": (END - timedelta(days=DAYS), END), "7 days": (END - timedelta(days=7), END)}
    results: dict[str, dict[str, float]] = {}
    for label, (since, until) in ranges.items():
        for name, run in figures(db, since, until).items():
            run()  # warm-up
            times = []
            for _ in range(RUNS):
                started = time.perf_counter()
                run()
                times.append(time.perf_counter() - started)
            results.setdefault(name, {})[label] = statistics.median(times) * 1000
    return results


def bench(url: str, backend: str, turns: int) -> dict[str, dict[str, float]]:
    engine = make_engine(url)
    try:
        migrate(engine)
        db = Database(engine)
        started = time.perf_counter()
        populate(db, turns)
        print(f"{backend}: {turns:,} turns written in {time.perf_counter() - started:.1f} s", flush=True)
        return measure(db)
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=100_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    results: dict[str, dict[str, dict[str, float]]] = {}
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as folder:
            results["SQLite"] = bench(f"sqlite:///{Path(folder) / 'safedesk.db'}", "SQLite", args.turns)
    if args.backend in ("postgresql", "both"):
        from tests.postgres_server import running_postgres

        with running_postgres() as url:
            results["PostgreSQL"] = bench(url, "PostgreSQL", args.turns)
    backends = list(results)
    print(f"\nDashboard query times at {args.turns:,} turns (median of {RUNS}, ms):")
    header = f"{'figure':<34}" + "".join(f"{b + ' ' + r:>20}" for b in backends for r in ("30 days", "7 days"))
    print(header)
    for name in next(iter(results.values())):
        cells = "".join(f"{results[b][name][r]:>20.1f}" for b in backends for r in ("30 days", "7 days"))
        print(f"{name:<34}{cells}")


if __name__ == "__main__":
    main()
