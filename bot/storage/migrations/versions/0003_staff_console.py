"""The staff console: report review (statuses, note, times), the audit trail, KB gaps, article fixes,
blocks, strikes and admissions for limits shared by every process, and ingest runs.

Revision ID: 0003_staff_console
Revises: 0002_report_contact
Create Date: 2026-11-28

Reports that 0001 marked `reviewed` become `resolved`. SQLite changes the reports' CHECK constraint
by copying the table (batch mode); PostgreSQL alters it in place.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_staff_console"
down_revision: str | Sequence[str] | None = "0002_report_contact"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_STATUSES = "status IN ('open', 'in_review', 'resolved', 'dismissed')"
OLD_STATUSES = "status IN ('open', 'reviewed')"


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.drop_constraint(op.f("ck_reports_status"), type_="check")
        batch.add_column(sa.Column("note", sa.String(length=2000), nullable=True))
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE reports SET status = 'resolved', resolved_at = created_at, updated_at = created_at "
        "WHERE status = 'reviewed'"
    )
    with op.batch_alter_table("reports") as batch:
        batch.create_check_constraint(op.f("ck_reports_status"), NEW_STATUSES)

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.Column("staff_name", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("from_value", sa.String(length=64), nullable=True),
        sa.Column("to_value", sa.String(length=64), nullable=True),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index(op.f("ix_audit_events_at"), "audit_events", ["at"], unique=False)
    op.create_index(op.f("ix_audit_events_subject_at"), "audit_events", ["subject", "at"], unique=False)

    op.create_table(
        "kb_gaps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("intent", sa.String(length=64), nullable=False),
        sa.Column("turn_id", sa.String(length=64), nullable=True),
        sa.Column("report_id", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('open', 'needs_article', 'closed')", name=op.f("ck_kb_gaps_status")),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_kb_gaps_report_id_reports"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["turn_id"], ["turns.id"], name=op.f("fk_kb_gaps_turn_id_turns"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_gaps")),
    )
    op.create_index(op.f("ix_kb_gaps_status_created_at"), "kb_gaps", ["status", "created_at"], unique=False)
    op.create_index(op.f("ix_kb_gaps_turn_id"), "kb_gaps", ["turn_id"], unique=False)

    op.create_table(
        "article_fixes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.String(length=200), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=False),
        sa.Column("turn_id", sa.String(length=64), nullable=True),
        sa.Column("report_id", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('open', 'fixed')", name=op.f("ck_article_fixes_status")),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_article_fixes_report_id_reports"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["turn_id"], ["turns.id"], name=op.f("fk_article_fixes_turn_id_turns"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_fixes")),
    )
    op.create_index(op.f("ix_article_fixes_status_article_id"), "article_fixes", ["status", "article_id"], unique=False)

    op.create_table(
        "blocks",
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('temporary', 'permanent')", name=op.f("ck_blocks_kind")),
        sa.CheckConstraint("(kind = 'permanent') = (until IS NULL)", name=op.f("ck_blocks_until_when_temporary")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_blocks_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_blocks")),
    )

    op.create_table(
        "strikes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("screen", sa.String(length=32), nullable=False),
        sa.CheckConstraint("weight > 0", name=op.f("ck_strikes_weight")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_strikes_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strikes")),
    )
    op.create_index(op.f("ix_strikes_user_id_at"), "strikes", ["user_id", "at"], unique=False)

    op.create_table(
        "admissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_admissions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admissions")),
    )
    op.create_index(op.f("ix_admissions_user_id_at"), "admissions", ["user_id", "at"], unique=False)

    op.create_table(
        "ingest_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("articles", sa.Integer(), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("rejects", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_runs")),
    )
    op.create_index(op.f("ix_ingest_runs_started_at"), "ingest_runs", ["started_at"], unique=False)

    # The dashboard's figures read these by time.
    op.create_index(op.f("ix_reports_created_at"), "reports", ["created_at"], unique=False)

    op.add_column("turns", sa.Column("latency_ms", sa.Float(), nullable=True))
    op.create_index(
        op.f("ix_turns_created_at_intent_latency_ms"), "turns", ["created_at", "intent", "latency_ms"], unique=False
    )
    op.create_table(
        "turn_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("turn_id", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["turn_id"], ["turns.id"], name=op.f("fk_turn_flags_turn_id_turns"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_turn_flags")),
    )
    op.create_index(op.f("ix_turn_flags_created_at_category"), "turn_flags", ["created_at", "category"], unique=False)
    op.create_index(op.f("ix_turn_flags_turn_id"), "turn_flags", ["turn_id"], unique=False)
    _backfill_turns()


TURNS = sa.table(
    "turns",
    sa.column("id", sa.String()),
    sa.column("turn", sa.JSON()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("latency_ms", sa.Float()),
)
FLAGS = sa.table(
    "turn_flags",
    sa.column("turn_id", sa.String()),
    sa.column("category", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
BACKFILL_BATCH = 1000


def _flags(turn: dict) -> list[str]:
    """A frozen copy of bot.storage.flags.flags_of as it was for this revision."""
    found: list[str] = []
    for verdict in turn.get("verdicts") or []:
        if not isinstance(verdict, dict) or verdict.get("ok", True):
            continue
        named = [str(r)[len("flagged: ") :] for r in verdict.get("reasons") or [] if str(r).startswith("flagged: ")]
        for flag in named or [str(verdict.get("screen") or "unknown")]:
            if flag[:64] not in found:
                found.append(flag[:64])
    return found


def _backfill_turns() -> None:
    """Latency and flags of the turns recorded before this revision, read from their JSON in batches."""
    bind = op.get_bind()
    last = ""
    while True:
        batch = bind.execute(
            sa.select(TURNS.c.id, TURNS.c.turn, TURNS.c.created_at)
            .where(TURNS.c.id > last)
            .order_by(TURNS.c.id)
            .limit(BACKFILL_BATCH)
        ).all()
        if not batch:
            return
        flags = []
        for turn_id, body, created_at in batch:
            total = (body.get("timings_ms") or {}).get("total")
            if isinstance(total, int | float):
                bind.execute(sa.update(TURNS).where(TURNS.c.id == turn_id).values(latency_ms=float(total)))
            flags += [{"turn_id": turn_id, "category": c, "created_at": created_at} for c in _flags(body)]
        if flags:
            bind.execute(sa.insert(FLAGS), flags)
        last = batch[-1][0]


def downgrade() -> None:
    op.drop_table("turn_flags")
    # Not a batch block: SQLite would copy `turns`, and dropping the old table cascades to its reports.
    op.drop_index(op.f("ix_turns_created_at_intent_latency_ms"), table_name="turns")
    op.drop_column("turns", "latency_ms")  # SQLite >= 3.35 drops a column in place
    op.drop_index(op.f("ix_reports_created_at"), table_name="reports")
    for table in ("ingest_runs", "admissions", "strikes", "blocks", "article_fixes", "kb_gaps", "audit_events"):
        op.drop_table(table)
    with op.batch_alter_table("reports") as batch:
        batch.drop_constraint(op.f("ck_reports_status"), type_="check")
    op.execute("UPDATE reports SET status = 'reviewed' WHERE status <> 'open'")
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("resolved_at")
        batch.drop_column("updated_at")
        batch.drop_column("note")
        batch.create_check_constraint(op.f("ck_reports_status"), OLD_STATUSES)
