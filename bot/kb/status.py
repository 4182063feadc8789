"""What the KB store holds: articles and chunks per intent, for the status page."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from chromadb.api.models.Collection import Collection

from bot.intents import Catalogue
from bot.kb.store import date_key

PAGE = 5000


@dataclass(frozen=True)
class IntentStatus:
    id: str
    label: str
    articles: int
    chunks: int


@dataclass(frozen=True)
class KBStatus:
    articles: int
    chunks: int
    expired_articles: int
    intents: tuple[IntentStatus, ...]


def kb_status(collection: Collection, catalogue: Catalogue, today: date) -> KBStatus:
    articles: dict[str, set[str]] = {}
    chunks: Counter[str] = Counter()
    all_articles: set[str] = set()
    expired: set[str] = set()
    offset = 0
    while True:
        page = collection.get(include=["metadatas"], limit=PAGE, offset=offset)
        for meta in page["metadatas"] or []:
            article_id = str(meta["article_id"])
            all_articles.add(article_id)
            if int(meta["review_by"]) < date_key(today):
                expired.add(article_id)
            for intent in str(meta["intents"]).split("|"):
                articles.setdefault(intent, set()).add(article_id)
                chunks[intent] += 1
        if len(page["ids"]) < PAGE:
            break
        offset += PAGE
    return KBStatus(
        articles=len(all_articles),
        chunks=collection.count(),
        expired_articles=len(expired),
        intents=tuple(
            IntentStatus(i.id, i.label, len(articles.get(i.id, ())), chunks[i.id]) for i in catalogue.intents
        ),
    )
