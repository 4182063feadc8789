"""Article health: the articles each turn put before the customer (cited or suggested), as rows.

Revision ID: 0005_turn_articles
Revises: 0004_moderation_outcome
Create Date: 2026-11-28

Turns recorded before this revision get their rows from their JSON, in batches.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_turn_articles"
down_revision: str | Sequence[str] | None = "0004_moderation_outcome"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "turn_articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("turn_id", sa.String(length=64), nullable=False),
        sa.Column("article_id", sa.String(length=200), nullable=False),
        sa.Column("used", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("used IN ('cited', 'suggested')", name=op.f("ck_turn_articles_used")),
        sa.ForeignKeyConstraint(
            ["turn_id"], ["turns.id"], name=op.f("fk_turn_articles_turn_id_turns"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_turn_articles")),
        sa.UniqueConstraint("turn_id", "article_id", name=op.f("uq_turn_articles_turn_id_article_id")),
    )
    op.create_index(
        op.f("ix_turn_articles_created_at_used_article_id"),
        "turn_articles",
        ["created_at", "used", "article_id"],
        unique=False,
    )
    _backfill()


TURNS = sa.table(
    "turns", sa.column("id", sa.String()), sa.column("turn", sa.JSON()), sa.column("created_at", sa.DateTime(True))
)
ARTICLES = sa.table(
    "turn_articles",
    sa.column("turn_id", sa.String()),
    sa.column("article_id", sa.String()),
    sa.column("used", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
BACKFILL_BATCH = 1000


def _articles(turn: dict) -> list[tuple[str, str]]:
    """A frozen copy of bot.storage.turn_articles.articles_of as it was for this revision."""
    found: dict[str, str] = {}
    for used, key in (("cited", "citations"), ("suggested", "suggestions")):
        for item in turn.get(key) or []:
            article_id = str(item.get("article_id") or "")[:200] if isinstance(item, dict) else ""
            if article_id and article_id not in found:
                found[article_id] = used
    return list(found.items())


def _backfill() -> None:
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
        rows = [
            {"turn_id": turn_id, "article_id": article_id, "used": used, "created_at": created_at}
            for turn_id, body, created_at in batch
            for article_id, used in _articles(body or {})
        ]
        if rows:
            bind.execute(sa.insert(ARTICLES), rows)
        last = batch[-1][0]


def downgrade() -> None:
    op.drop_table("turn_articles")
