"""Reports may carry a contact address the user chose to leave (unredacted, for staff only).

Revision ID: 0002_report_contact
Revises: 0001_initial
Create Date: 2026-11-28

A nullable column: existing reports have no contact. The downgrade drops it in a batch block,
which SQLite runs by copying the table and PostgreSQL as a plain ALTER TABLE.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_report_contact"
down_revision: str | Sequence[str] | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("reports", sa.Column("contact", sa.String(length=254), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("contact")
