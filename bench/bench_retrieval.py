"""Retrieval quality: recall@1, recall@3 and MRR, dense vs BM25 vs hybrid.

(a) the sample KB with the question set in bench/data/sample_questions.jsonl,
(b) the Debian FAQ (apt-get install debian-faq): each question-headed section's
    heading is the query and its own answer text the gold article; nobody here
    wrote it, so it is the honest figure.

    python -m bench.bench_retrieval            (or: make bench)

Ranking metrics use threshold 0 (every candidate ranked); the "kept" column is
the share of gold articles still returned at the configured relevance threshold.
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from bench.common import DATA, ROOT, bench_settings
from bench.datasets.debian_faq import load_debian_faq
from bot.config import Settings
from bot.embedding import local_embedder
from bot.intents import ALL_INTENTS, load_catalogue
from bot.kb.retrieval import Retriever
from bot.kb.store import chroma_client, kb_collection
from bot.tokens import Tokenizer
from evals.jsonl import read_jsonl
from ingest.articles import Article, find_files, read_article
from ingest.sync import KBSync, PruneScope

MODES = ("dense", "bm25", "hybrid")


@dataclass
class Question:
    text: str
    intent: str
    gold: str


def load_articles(settings: Settings, articles: list[Article]) -> None:
    collection = kb_collection(chroma_client(settings), settings.collection, local_embedder())
    sync = KBSync(collection, local_embedder(), settings.chunk_tokens, Tokenizer.from_settings(settings).count)
    sync.apply(sync.plan(articles, prune=PruneScope.everywhere()))


def sample_kb(settings: Settings) -> tuple[list[Article], list[Question]]:
    catalogue = load_catalogue(ROOT / "kb" / "intents.yaml")
    articles = [read_article(f, r, catalogue, date.today()) for f, r in find_files([ROOT / "kb" / "articles"])]
    good = [a for a in articles if isinstance(a, Article)]
    questions = [
        Question(q["question"], q["intent"], q["article_id"]) for q in read_jsonl(DATA / "sample_questions.jsonl")
    ]
    return good, questions


def debian_faq() -> tuple[list[Article], list[Question]]:
    today = date.today()
    articles, questions = [], []
    for entry in load_debian_faq():
        if len(entry.answer.strip()) < 20:
            continue
        article_id = f"faq-{entry.number}"
        articles.append(
            Article(
                id=article_id,
                title=entry.chapter,  # the question heading itself is the query, so it is left out
                url=f"https://www.debian.org/doc/manuals/debian-faq/#{entry.number}",
                intents=("debian",),
                verified_by="benchmark",
                verified_at=today,
                review_by=today + timedelta(days=1),
                body=entry.answer,
                source=f"debian-faq {entry.number}",
            )
        )
        questions.append(Question(entry.question, ALL_INTENTS, article_id))
    return articles, questions


def evaluate(retriever: Retriever, questions: list[Question], use_intent: bool) -> dict[str, float]:
    r1 = r3 = mrr = kept = 0.0
    for q in questions:
        passages = retriever.search(q.text, q.intent if use_intent else ALL_INTENTS, k=10, threshold=0.0)
        ranked: list[str] = []
        for p in passages:
            if p.article_id not in ranked:
                ranked.append(p.article_id)
        if q.gold in ranked:
            rank = ranked.index(q.gold) + 1
            r1 += rank == 1
            r3 += rank <= 3
            mrr += 1 / rank
            gold_passage = next(p for p in passages if p.article_id == q.gold)
            kept += gold_passage.dense >= retriever.threshold and rank <= 3
    n = len(questions)
    return {"recall@1": r1 / n, "recall@3": r3 / n, "MRR": mrr / n, "kept": kept / n}


def report(name: str, settings: Settings, articles: list[Article], questions: list[Question], intent: bool) -> None:
    load_articles(settings, articles)
    client = chroma_client(settings)
    collection = kb_collection(client, settings.collection, local_embedder())
    print(f"\n{name}: {len(articles)} articles, {collection.count()} chunks, {len(questions)} questions")
    print(f"  {'mode':8} {'recall@1':>9} {'recall@3':>9} {'MRR':>7} {'kept@thr':>9}")
    for mode in MODES:
        retriever = Retriever(client, collection, local_embedder(), mode=mode, threshold=settings.relevance_threshold)
        scores = evaluate(retriever, questions, intent)
        print(
            f"  {mode:8} {scores['recall@1']:9.3f} {scores['recall@3']:9.3f} {scores['MRR']:7.3f} {scores['kept']:9.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunk-tokens", type=int, default=None)
    args = parser.parse_args()
    overrides = {"chunk_tokens": args.chunk_tokens} if args.chunk_tokens else {}

    settings = bench_settings("retrieval-sample", **overrides)
    print(f"chunk budget {settings.chunk_tokens} tokens, threshold {settings.relevance_threshold}")
    articles, questions = sample_kb(settings)
    report("Sample KB (questions filtered to their intent)", settings, articles, questions, intent=True)
    print("  (same, with intent 'all':)")
    client = chroma_client(settings)
    collection = kb_collection(client, settings.collection, local_embedder())
    for mode in MODES:
        retriever = Retriever(client, collection, local_embedder(), mode=mode, threshold=settings.relevance_threshold)
        s = evaluate(retriever, questions, use_intent=False)
        print(f"  {mode:8} {s['recall@1']:9.3f} {s['recall@3']:9.3f} {s['MRR']:7.3f} {s['kept']:9.3f}")

    faq_articles, faq_questions = debian_faq()
    with tempfile.TemporaryDirectory() as tmp:
        intents = Path(tmp) / "intents.yaml"
        intents.write_text("intents:\n  - {id: debian, label: Debian, handoff: debian-user mailing list}\n")
        faq_settings = bench_settings("retrieval-debian", intents_file=intents, **overrides)
        report("Debian FAQ (nobody here wrote it)", faq_settings, faq_articles, faq_questions, intent=False)


if __name__ == "__main__":
    main()
