"""The articles a turn put before the customer, as article health counts them: those its answer
cited, or, for a `suggested` turn, those it suggested. Kept as rows of `turn_articles` when the
turn is recorded, so the most cited, thumbed-down and reported articles are counted with an index
instead of parsing every turn's JSON."""

from __future__ import annotations

from typing import Any

from bot.storage.models import ARTICLE_ID_MAX_CHARS


def articles_of(turn: dict[str, Any]) -> list[tuple[str, str]]:
    """(article id, "cited" or "suggested") of a turn's JSON (Turn.to_dict()), each article once, in order."""
    found: dict[str, str] = {}
    for used, key in (("cited", "citations"), ("suggested", "suggestions")):
        for item in turn.get(key) or []:
            article_id = str(item.get("article_id") or "")[:ARTICLE_ID_MAX_CHARS] if isinstance(item, dict) else ""
            if article_id and article_id not in found:
                found[article_id] = used
    return list(found.items())
