"""Articles past or near their review date, from the store's listing."""

from __future__ import annotations

from datetime import date

from bot.kb.status import ArticleStatus
from bot.review_dates import due_for_review

TODAY = date(2026, 11, 28)


def article(article_id: str, review_by: date) -> ArticleStatus:
    return ArticleStatus(article_id, article_id.title(), "customers", review_by)


def test_past_and_near_review_dates_are_listed_most_urgent_first() -> None:
    listing = [
        article("fresh", date(2027, 6, 1)),
        article("soon", date(2026, 12, 12)),  # 14 days: the last day counted as near
        article("later", date(2026, 12, 13)),  # 15 days
        article("today", TODAY),  # still served today
        article("stale", date(2026, 11, 1)),
    ]
    due = due_for_review(listing, TODAY, 14)
    assert [(d.article_id, d.days_left, d.past) for d in due] == [
        ("stale", -27, True),
        ("today", 0, False),
        ("soon", 14, False),
    ]
    assert [d.article_id for d in due_for_review(listing, TODAY, 0)] == ["stale", "today"]
    assert due_for_review([], TODAY, 14) == []
