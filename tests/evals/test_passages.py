from pathlib import Path

from bot.config import Settings
from bot.tokens import Tokenizer
from evals.passages import embedded_texts, read_chunks

ROOT = Path(__file__).resolve().parents[2]
PLAUSIBLE = ROOT.parent / "shared" / "kb-real" / "plausible" / "docs"
IMPORT = ROOT / "kb" / "imports" / "plausible"


def test_the_sample_kb_reads_as_ingest_chunks_it(settings: Settings) -> None:
    tokenizer = Tokenizer.from_settings(settings)
    chunks = read_chunks([ROOT / "kb" / "articles"], ROOT / "kb" / "intents.yaml", 160, tokenizer)
    articles = {article.id for article, _ in chunks}
    assert len(articles) == len(list((ROOT / "kb" / "articles").rglob("*.md"))) and len(chunks) > len(articles)
    article, chunk = chunks[0]
    (text,) = embedded_texts(chunks[:1])
    assert text.startswith(f"{article.title}\n") and text.endswith(f"\n{chunk.text}") and chunk.heading in text


def test_an_import_is_read_through_its_mapping_and_bad_articles_are_skipped(tmp_path: Path, settings: Settings) -> None:
    tokenizer = Tokenizer.from_settings(settings)
    chunks = read_chunks([PLAUSIBLE], IMPORT / "intents.yaml", 160, tokenizer, IMPORT / "mapping.yaml")
    assert len({a.id for a, _ in chunks}) > 100 and all(a.url.startswith("https://") for a, _ in chunks)
    (tmp_path / "no-front-matter.md").write_text("# Just a heading\n\nNo metadata, no intents.\n")
    assert read_chunks([tmp_path], ROOT / "kb" / "intents.yaml", 160, tokenizer) == []
