"""Questions the KB left unanswered, grouped by meaning with the embedder the bot already has.

Unanswered: turns decided `not_in_kb` or `suggested`, and turns thumbed down as "wrong answer".
Grouping is greedy and single-pass: each question joins the first group whose running centroid is
at least `threshold` cosine-similar to it, else starts a new group. Questions are short and the
groups are for a person to read, so this is enough and needs nothing besides the embedder.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import or_, select

from bot.embedding import Embedder
from bot.storage.db import Database
from bot.storage.models import Feedback, TurnRecord

UNANSWERED_DECISIONS = ("not_in_kb", "suggested")
GROUP_THRESHOLD = 0.7
EXAMPLES = 3


@dataclass(frozen=True)
class Unanswered:
    turn_id: str
    question: str
    intent: str


@dataclass(frozen=True)
class GapGroup:
    intent: str  # the most common intent among its questions
    count: int
    examples: tuple[str, ...]  # up to three distinct questions, in the order they came
    turn_ids: tuple[str, ...]


def unanswered(db: Database, since: datetime, until: datetime, limit: int = 2000) -> list[Unanswered]:
    """The unanswered questions of [since, until), newest first (at most `limit`)."""
    wrong = select(Feedback.turn_id).where(Feedback.score == -1, Feedback.reason == "wrong_answer")
    query = (
        select(TurnRecord.id, TurnRecord.question, TurnRecord.intent)
        .where(TurnRecord.created_at >= since, TurnRecord.created_at < until)
        .where(or_(TurnRecord.decision.in_(UNANSWERED_DECISIONS), TurnRecord.id.in_(wrong)))
        .order_by(TurnRecord.created_at.desc(), TurnRecord.id)
        .limit(limit)
    )
    with db.read() as session:
        return [Unanswered(*row) for row in session.execute(query)]


def group_by_meaning(
    items: Sequence[Unanswered], embedder: Embedder, threshold: float = GROUP_THRESHOLD
) -> list[GapGroup]:
    """Groups, largest first (ties: the group seen first)."""
    if not items:
        return []
    vectors = np.asarray(embedder.embed([item.question for item in items]), dtype=np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    centroids: list[np.ndarray] = []
    members: list[list[int]] = []
    for index, vector in enumerate(vectors):
        if centroids:
            stacked = np.stack(centroids)
            similarity = stacked @ vector / np.maximum(np.linalg.norm(stacked, axis=1), 1e-12)
            best = int(np.argmax(similarity))
            if similarity[best] >= threshold:
                members[best].append(index)
                centroids[best] = centroids[best] + vector
                continue
        centroids.append(vector.copy())
        members.append([index])
    groups = []
    for indexes in members:
        chosen = [items[i] for i in indexes]
        examples: list[str] = []
        for item in chosen:
            if item.question not in examples and len(examples) < EXAMPLES:
                examples.append(item.question)
        intent = Counter(item.intent for item in chosen).most_common(1)[0][0]
        groups.append(GapGroup(intent, len(chosen), tuple(examples), tuple(item.turn_id for item in chosen)))
    return sorted(groups, key=lambda g: -g.count)
