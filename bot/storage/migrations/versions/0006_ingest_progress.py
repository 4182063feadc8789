"""Ingest progress: a run is recorded when it starts (no finish time yet), with a heartbeat, the
chunks it plans to write, and how many articles the store held when it planned.

Revision ID: 0006_ingest_progress
Revises: 0005_turn_articles
Create Date: 2026-11-28

Runs recorded before this revision are all finished; their new columns stay empty.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_ingest_progress"
down_revision: str | Sequence[str] | None = "0005_turn_articles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ingest_runs") as batch:
        batch.alter_column("finished_at", existing_type=sa.DateTime(timezone=True), nullable=True)
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("chunks_planned", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("stored_articles", sa.Integer(), nullable=True))


def downgrade() -> None:
    # The older schema has no unfinished run: one still open ends when it was last heard of.
    op.execute("UPDATE ingest_runs SET finished_at = COALESCE(heartbeat_at, started_at) WHERE finished_at IS NULL")
    with op.batch_alter_table("ingest_runs") as batch:
        batch.drop_column("stored_articles")
        batch.drop_column("chunks_planned")
        batch.drop_column("heartbeat_at")
        batch.alter_column("finished_at", existing_type=sa.DateTime(timezone=True), nullable=False)
