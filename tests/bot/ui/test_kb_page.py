"""The staff KB page, rendered by Streamlit's AppTest over a real store."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from bot.config import Settings
from bot.embedding import local_embedder
from bot.kb.retrieval import Retriever
from bot.kb.store import open_kb
from ingest import cli

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def page(retriever, intents_file):  # type: ignore[no-untyped-def]  # AppTest runs its source alone: no annotations
    from bot.intents import load_catalogue
    from bot.ui.kb_page import kb_page

    kb_page(retriever, load_catalogue(intents_file))


def render(retriever: Retriever, settings: Settings) -> AppTest:
    at = AppTest.from_function(page, args=(retriever, settings.intents_file), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_page_shows_audiences_and_a_refresh_that_fails(settings: Settings, tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    for file in (FIXTURES / "kb" / "articles").glob("*.md"):
        (kb / file.name).write_text(file.read_text())
    assert cli.main([str(kb), "--quiet"], settings) == 0
    gone = settings.model_copy(update={"data_dir": tmp_path / "moved-away"})
    client, collection = open_kb(settings, local_embedder(), create=False)
    live = Retriever(
        client,
        collection,
        local_embedder(),
        refresh_seconds=0.0,
        reopen=lambda: open_kb(gone, local_embedder(), create=False, fresh=True),
    )
    at = render(live, settings)
    assert not at.error
    listing = at.dataframe[-1].value
    assert set(listing["Audience"]) == {"customers"} and len(listing) == 3

    staff = (kb / "billing-cards.md").read_text().replace("id: billing-cards", "id: staff-notes\naudience: staff")
    (kb / "staff-notes.md").write_text(staff)
    assert cli.main([str(kb), "--quiet"], settings) == 0
    live.wait_for_refresh()
    at = render(live, settings)
    (error,) = at.error
    assert "cannot refresh" in error.value and "no knowledge base at" in error.value
    assert "Answers still come from revision 1" in error.value
    assert any("1 article(s) are for staff only" in i.value for i in at.info)
    listing = at.dataframe[-1].value
    assert dict(zip(listing["Article"], listing["Audience"], strict=True))["staff-notes"] == "staff"
