"""Which stored articles are past their `review_by` date (no longer served) or due within a few
days, for the staff KB page's article health."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from bot.kb.status import ArticleStatus


@dataclass(frozen=True)
class ReviewDue:
    article_id: str
    title: str
    review_by: date
    days_left: int  # negative: past it by that many days; 0: today is the last day served

    @property
    def past(self) -> bool:
        return self.days_left < 0


def due_for_review(articles: Iterable[ArticleStatus], today: date, soon_days: int) -> list[ReviewDue]:
    """Articles past `review_by`, or reaching it within `soon_days`, soonest (most overdue) first."""
    due = [
        ReviewDue(a.id, a.title, a.review_by, (a.review_by - today).days)
        for a in articles
        if (a.review_by - today).days <= soon_days
    ]
    return sorted(due, key=lambda d: (d.days_left, d.article_id))
