"""The chunks a KB folder is ingested as, read without a vector store.

Training and evaluation use them: the moderator learns from our sample KB's chunks that help-centre
text is benign, and the safety evaluation counts how many held-out help-centre chunks it flags.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from bot.intents import load_catalogue
from bot.tokens import Tokenizer
from ingest.articles import Article, find_files, load_mapping, read_article
from ingest.chunking import Chunk, chunk_article
from ingest.sync import embedding_text

IMPORT_REVIEW_DAYS = 3650  # an import read for evaluation is never stale


def read_chunks(
    paths: Sequence[Path],
    intents_file: Path,
    chunk_tokens: int,
    tokenizer: Tokenizer,
    mapping_file: Path | None = None,
) -> list[tuple[Article, Chunk]]:
    """(article, chunk) for every valid article under `paths`; rejected articles are skipped."""
    catalogue = load_catalogue(intents_file)
    mapping = load_mapping(mapping_file, "evaluation", IMPORT_REVIEW_DAYS) if mapping_file else None
    chunks: list[tuple[Article, Chunk]] = []
    for file, root in find_files(paths):
        article = read_article(file, root, catalogue, date.today(), mapping)
        if isinstance(article, Article):
            chunks.extend((article, chunk) for chunk in chunk_article(article.body, chunk_tokens, tokenizer.count))
    return chunks


def embedded_texts(chunks: Sequence[tuple[Article, Chunk]]) -> list[str]:
    """What ingest embeds for each chunk: title, heading and text."""
    return [embedding_text(article, chunk) for article, chunk in chunks]
