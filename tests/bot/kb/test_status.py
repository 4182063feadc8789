from datetime import date
from pathlib import Path

from bot.config import Settings
from bot.embedding import local_embedder
from bot.intents import load_catalogue
from bot.kb.retrieval import Freshness
from bot.kb.status import kb_status
from bot.kb.store import chroma_client, kb_collection
from ingest import cli

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
STAFF_ONLY = (
    (FIXTURES / "kb" / "articles" / "billing-cards.md")
    .read_text()
    .replace("id: billing-cards", "id: billing-staff-notes\naudience: staff")
)


def test_status_counts_articles_per_audience_and_lists_them(settings: Settings, tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    for file in (FIXTURES / "kb" / "articles").glob("*.md"):
        (kb / file.name).write_text(file.read_text())
    (kb / "staff-notes.md").write_text(STAFF_ONLY)
    assert cli.main([str(kb), "--quiet"], settings) == 0
    collection = kb_collection(chroma_client(settings), settings.collection, local_embedder())
    freshness = Freshness(3, 4, "refreshing the snapshot failed: InternalError: Error finding id")
    status = kb_status(collection, load_catalogue(settings.intents_file), date(2026, 6, 1), freshness)
    assert status.articles == 4 and status.audiences == {"customers": 3, "staff": 1}
    assert status.unserved_articles == 1
    assert [(a.id, a.audience) for a in status.listing if a.audience == "staff"] == [("billing-staff-notes", "staff")]
    assert status.freshness == freshness and not freshness.current
