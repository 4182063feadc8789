"""The staff dashboard's figures: one SQL query each, the same on SQLite and PostgreSQL, over a date
range [since, until) of `created_at` (indexed on every table read here).

Days are UTC calendar days as 'YYYY-MM-DD'. Percentiles are nearest-rank (the value at rank
ceil(p·n/100)), computed with window functions, which both backends have; PostgreSQL's
percentile_cont would interpolate and SQLite has none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Float, Select, case, func, literal, select, union_all
from sqlalchemy.orm import InstrumentedAttribute

from bot.storage.db import Database
from bot.storage.models import Block, Feedback, Report, TurnFlag, TurnRecord, utcnow

CLOSED = ("resolved", "dismissed")


@dataclass(frozen=True)
class Thumbs:
    up: int
    down: int

    @property
    def down_rate(self) -> float | None:
        total = self.up + self.down
        return self.down / total if total else None


@dataclass(frozen=True)
class ReportDay:
    day: str
    opened: int
    closed: int  # resolved or dismissed that day


@dataclass(frozen=True)
class LatencyDay:
    day: str
    turns: int
    p50_ms: float
    p95_ms: float


def check_range(since: datetime, until: datetime) -> None:
    for value in (since, until):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("since and until must be timezone-aware")
    if until <= since:
        raise ValueError("until must come after since")


def _day(db: Database, column: InstrumentedAttribute[datetime] | ColumnElement[datetime]) -> ColumnElement[str]:
    if db.backend == "sqlite":
        return func.date(column)  # stored as naive UTC text
    return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")


def _seconds_between(db: Database, start: InstrumentedAttribute[datetime], end: InstrumentedAttribute[datetime]):  # type: ignore[no-untyped-def]
    if db.backend == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return func.extract("epoch", end - start)


def _rank_at(rank: ColumnElement[int], count: ColumnElement[int], percent: int) -> ColumnElement[bool]:
    """rank <= ceil(percent * count / 100), in integers: 100 * rank - percent * count < 100."""
    return 100 * rank - percent * count < 100


def turns_per_day(db: Database, since: datetime, until: datetime) -> list[tuple[str, str, int]]:
    """(day, decision, turns), by day then decision. Decisions are strings: new ones (e.g. suggested) just appear."""
    check_range(since, until)
    day = _day(db, TurnRecord.created_at).label("day")
    query = (
        select(day, TurnRecord.decision, func.count())
        .where(TurnRecord.created_at >= since, TurnRecord.created_at < until)
        .group_by(day, TurnRecord.decision)
        .order_by(day, TurnRecord.decision)
    )
    with db.read() as session:
        return [(d, decision, int(n)) for d, decision, n in session.execute(query)]


def count_by(db: Database, query: Select[tuple[str, int]], limit: int | None = None) -> list[tuple[str, int]]:
    """Run `query`, a select of (key, count()) with its joins and filters, grouped by the key: most
    first, ties by key. Flags, intents and article health rank this way."""
    key, count = query.selected_columns
    query = query.group_by(key).order_by(count.desc(), key)
    if limit is not None:
        query = query.limit(limit)
    with db.read() as session:
        return [(name, int(n)) for name, n in session.execute(query)]


def flags_by_category(db: Database, since: datetime, until: datetime) -> list[tuple[str, int]]:
    """(category, turns flagged for it), most frequent first: moderation categories and screens (bot.storage.flags)."""
    check_range(since, until)
    query = select(TurnFlag.category, func.count()).where(TurnFlag.created_at >= since, TurnFlag.created_at < until)
    return count_by(db, query)


def top_intents(db: Database, since: datetime, until: datetime, limit: int = 10) -> list[tuple[str, int]]:
    check_range(since, until)
    query = select(TurnRecord.intent, func.count()).where(TurnRecord.created_at >= since, TurnRecord.created_at < until)
    return count_by(db, query, limit)


def thumbs(db: Database, since: datetime, until: datetime) -> Thumbs:
    check_range(since, until)
    query = select(func.count().filter(Feedback.score == 1), func.count().filter(Feedback.score == -1)).where(
        Feedback.created_at >= since, Feedback.created_at < until
    )
    with db.read() as session:
        up, down = session.execute(query).one()
    return Thumbs(int(up or 0), int(down or 0))


def reports_per_day(db: Database, since: datetime, until: datetime) -> list[ReportDay]:
    """Reports opened, and reports resolved or dismissed, per day."""
    check_range(since, until)
    opened = select(
        _day(db, Report.created_at).label("day"), literal(1).label("opened"), literal(0).label("closed")
    ).where(Report.created_at >= since, Report.created_at < until)
    closed = select(
        _day(db, Report.resolved_at).label("day"), literal(0).label("opened"), literal(1).label("closed")
    ).where(Report.status.in_(CLOSED), Report.resolved_at >= since, Report.resolved_at < until)
    both = union_all(opened, closed).subquery()
    query = (
        select(both.c.day, func.sum(both.c.opened), func.sum(both.c.closed)).group_by(both.c.day).order_by(both.c.day)
    )
    with db.read() as session:
        return [ReportDay(day, int(o), int(c)) for day, o, c in session.execute(query)]


def median_seconds_to_resolve(db: Database, since: datetime, until: datetime) -> float | None:
    """Median time from filing to resolved or dismissed, over the reports closed in range; None if none was."""
    check_range(since, until)
    seconds = _seconds_between(db, Report.created_at, Report.resolved_at).label("seconds")
    ranked = (
        select(
            seconds,
            func.row_number().over(order_by=seconds).label("rank"),
            func.count().over().label("n"),
        )
        .where(Report.status.in_(CLOSED), Report.resolved_at >= since, Report.resolved_at < until)
        .subquery()
    )
    query = select(func.max(case((_rank_at(ranked.c.rank, ranked.c.n, 50), ranked.c.seconds))))
    with db.read() as session:
        value = session.scalar(query)
    return float(value) if value is not None else None


def latency_per_day(db: Database, since: datetime, until: datetime) -> list[LatencyDay]:
    """p50 and p95 of each day's turn latency (the turn's timings_ms.total), in milliseconds."""
    check_range(since, until)
    day = _day(db, TurnRecord.created_at)
    latency = TurnRecord.latency_ms
    ranked = (
        select(
            day.label("day"),
            latency.label("ms"),
            func.row_number().over(partition_by=day, order_by=latency).label("rank"),
            func.count().over(partition_by=day).label("n"),
        )
        .where(TurnRecord.created_at >= since, TurnRecord.created_at < until, latency.is_not(None))
        .subquery()
    )
    query = (
        select(
            ranked.c.day,
            func.count(),
            func.max(case((_rank_at(ranked.c.rank, ranked.c.n, 50), ranked.c.ms))).cast(Float),
            func.max(case((_rank_at(ranked.c.rank, ranked.c.n, 95), ranked.c.ms))).cast(Float),
        )
        .group_by(ranked.c.day)
        .order_by(ranked.c.day)
    )
    with db.read() as session:
        return [LatencyDay(d, int(n), float(p50), float(p95)) for d, n, p50, p95 in session.execute(query)]


def blocked_users(db: Database, now: datetime | None = None) -> dict[str, int]:
    """Users blocked now, by kind (temporary: by the gate, until a time; permanent: by staff)."""
    now = now or utcnow()
    query = select(Block.kind, func.count()).where((Block.until.is_(None)) | (Block.until > now)).group_by(Block.kind)
    with db.read() as session:
        return {kind: int(n) for kind, n in session.execute(query)}
