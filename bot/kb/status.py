"""What the KB store holds: articles and chunks per intent and per audience, and whether the
snapshot the app serves is current, for the status page."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from chromadb.api.models.Collection import Collection

from bot.intents import Catalogue
from bot.kb.retrieval import Freshness
from bot.kb.store import date_key

PAGE = 5000


@dataclass(frozen=True)
class IntentStatus:
    id: str
    label: str
    articles: int
    chunks: int


@dataclass(frozen=True)
class ArticleStatus:
    id: str
    title: str
    audience: str  # only `customers` is served
    review_by: date


@dataclass(frozen=True)
class KBStatus:
    articles: int
    chunks: int
    expired_articles: int
    intents: tuple[IntentStatus, ...]
    audiences: dict[str, int]  # audience -> articles
    listing: tuple[ArticleStatus, ...] = ()
    freshness: Freshness | None = None

    @property
    def unserved_articles(self) -> int:
        """Articles written for another audience than customers: stored, never answered."""
        return sum(n for audience, n in self.audiences.items() if audience != "customers")


def kb_status(
    collection: Collection, catalogue: Catalogue, today: date, freshness: Freshness | None = None
) -> KBStatus:
    articles: dict[str, set[str]] = {}
    chunks: Counter[str] = Counter()
    listing: dict[str, ArticleStatus] = {}
    expired: set[str] = set()
    offset = 0
    while True:
        page = collection.get(include=["metadatas"], limit=PAGE, offset=offset)
        for meta in page["metadatas"] or []:
            article_id = str(meta["article_id"])
            review_by = int(meta["review_by"])
            listing[article_id] = ArticleStatus(
                article_id,
                str(meta.get("title", "")),
                str(meta.get("audience") or "(none)"),
                date(review_by // 10000, review_by // 100 % 100, review_by % 100),
            )
            if review_by < date_key(today):
                expired.add(article_id)
            for intent in str(meta["intents"]).split("|"):
                articles.setdefault(intent, set()).add(article_id)
                chunks[intent] += 1
        if len(page["ids"]) < PAGE:
            break
        offset += PAGE
    return KBStatus(
        articles=len(listing),
        chunks=collection.count(),
        expired_articles=len(expired),
        intents=tuple(
            IntentStatus(i.id, i.label, len(articles.get(i.id, ())), chunks[i.id]) for i in catalogue.intents
        ),
        audiences=dict(Counter(a.audience for a in listing.values())),
        listing=tuple(sorted(listing.values(), key=lambda a: a.id)),
        freshness=freshness,
    )
