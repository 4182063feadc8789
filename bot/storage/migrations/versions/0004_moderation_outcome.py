"""Turns carry moderation's outcome (pass, review or block), so the staff's flagged-turns list shows
the turns moderation sent to review (answered from quoted text only).

Revision ID: 0004_moderation_outcome
Revises: 0003_staff_console
Create Date: 2026-11-28

A nullable column: turns recorded before it have no outcome (their JSON has none either). The
downgrade drops it in place (SQLite >= 3.35; a batch copy of `turns` would cascade to its reports).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_moderation_outcome"
down_revision: str | Sequence[str] | None = "0003_staff_console"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("turns", sa.Column("moderation", sa.String(length=16), nullable=True))
    op.create_index(op.f("ix_turns_created_at_moderation"), "turns", ["created_at", "moderation"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_turns_created_at_moderation"), table_name="turns")
    op.drop_column("turns", "moderation")
