"""The staff KB page, rendered by Streamlit's AppTest over a real store."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

from streamlit.testing.v1 import AppTest

from bot.config import Settings
from bot.embedding import local_embedder
from bot.kb.retrieval import Retriever
from bot.kb.store import open_kb
from bot.storage.audit import Staff
from bot.storage.db import open_database
from bot.storage.records import add_report, record_turn, set_feedback
from bot.storage.review import flag_article, set_report_status
from ingest import cli
from tests.bot.storage.factories import make_turn, new_conversation, user_hash

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
LEAD = Staff(user_hash("lead"), "Sam Lead")


def page(retriever, intents_file, db, staff, soon_days):  # type: ignore[no-untyped-def]  # AppTest runs its source alone: no annotations
    from bot.intents import load_catalogue
    from bot.ui.kb_page import kb_page

    kb_page(retriever, load_catalogue(intents_file), db, staff, soon_days)


def render(retriever: Retriever, settings: Settings, soon_days: int = 14) -> AppTest:
    db = open_database(settings)
    try:
        at = AppTest.from_function(
            page, args=(retriever, settings.intents_file, db, LEAD, soon_days), default_timeout=60
        )
        at.run()
    finally:
        db.close()
    assert not at.exception, at.exception
    return at


def table(at: AppTest, column: str):  # type: ignore[no-untyped-def]
    """The one dataframe on the page with this column."""
    [found] = [d.value for d in at.dataframe if column in d.value.columns]
    return found


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
    listing = table(at, "Audience")
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
    listing = table(at, "Audience")
    assert dict(zip(listing["Article"], listing["Audience"], strict=True))["staff-notes"] == "staff"


def article(kb: Path, article_id: str, review_by: date) -> None:
    text = (FIXTURES / "kb" / "articles" / "billing-cards.md").read_text()
    text = text.replace("id: billing-cards", f"id: {article_id}").replace(
        "review_by: 2099-12-31", f"review_by: {review_by}"
    )
    (kb / f"{article_id}.md").write_text(text)


def test_article_health_lists_review_dates_fixes_with_their_report_rejects_and_the_most_used(
    settings: Settings, tmp_path: Path
) -> None:
    today = date.today()
    kb = tmp_path / "kb"
    shutil.copytree(FIXTURES / "kb" / "articles", kb)
    article(kb, "stale-prices", today - timedelta(days=3))  # valid on the day it was loaded, past it now
    article(kb, "soon-prices", today + timedelta(days=5))
    article(kb, "later-prices", today + timedelta(days=20))
    assert cli.main([str(kb), "--quiet", "--today", str(today - timedelta(days=10))], settings) == 0
    shutil.copy(FIXTURES / "rejects" / "unknown-intent.md", kb)
    cli.main([str(kb), "--quiet", "--today", str(today - timedelta(days=10))], settings)
    alice = user_hash("alice")
    db = open_database(settings)
    try:
        turn = make_turn(alice)
        record_turn(db, turn, alice, new_conversation())
        set_feedback(db, turn.id, alice, -1, "wrong_answer")
        report_id = add_report(db, turn.id, alice, "wrong_answer", "says 30 days")
        set_report_status(db, report_id, "in_review", LEAD)
        fix = flag_article(db, LEAD, "returns-policy", "14 days, not 30", turn_id=turn.id, report_id=report_id)
    finally:
        db.close()
    client, collection = open_kb(settings, local_embedder(), create=False)
    at = render(Retriever(client, collection, local_embedder()), settings)

    due = table(at, "Status")
    assert list(due["Article"]) == ["stale-prices", "soon-prices"]
    assert list(due["Status"]) == ["past by 3 day(s): not served", "due in 5 day(s)"]
    assert "1 article(s) past their review date (not served), 1 due within 14 days." in [w.value for w in at.warning]
    text = "\n".join(m.value for m in at.markdown)
    assert f"**returns-policy** · fix open · from report **{report_id}** (in_review)" in text
    assert "14 days, not 30" in text
    rejects = table(at, "Reason")
    assert len(rejects) == 1 and rejects["Source"][0].endswith("unknown-intent.md") and rejects["Reason"][0]
    charts = [c.proto.spec for c in at.get("vega_lite_chart")]
    assert sum('"article"' in spec for spec in charts) == 3  # cited, thumbed down, reported: one bar each

    at.button(key=f"fixed-{fix}").click().run()
    assert not at.exception, at.exception
    assert "No article is waiting for a fix." in [i.value for i in at.info]
    at.selectbox(key="fix-status").select("fixed").run()
    assert "fix fixed" in "\n".join(m.value for m in at.markdown)
    at = render(Retriever(client, collection, local_embedder()), settings, soon_days=0)
    assert list(table(at, "Status")["Article"]) == ["stale-prices"]


def test_the_retrieval_preview_shows_passages_with_their_scores_or_says_none_would_answer(
    settings: Settings, tmp_path: Path
) -> None:
    assert cli.main([str(FIXTURES / "kb" / "articles"), "--quiet"], settings) == 0
    client, collection = open_kb(settings, local_embedder(), create=False)
    at = render(Retriever(client, collection, local_embedder()), settings)
    question = next(t for t in at.text_input if t.label == "Question")
    question.input("how do I reset my password").run()
    assert not at.exception, at.exception
    titles = [m.value for m in at.markdown if m.value.startswith("**[")]
    assert titles[0].startswith("**[1] [Resetting your password](https://help.fixture.example/account-password)**")
    assert any(c.value.startswith("score ") for c in at.caption)
    question.input("zxqv wlorp frumious").run()
    assert "users would be handed off" in " ".join(i.value for i in at.info)


def page_with_ingest(retriever, intents_file, db, staff, soon_days):  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from bot.intents import load_catalogue
    from bot.ui.kb_page import kb_page

    kb_page(retriever, load_catalogue(intents_file), db, staff, soon_days, timedelta(seconds=30))


def test_an_ingest_in_progress_shows_on_the_page_even_when_it_updates_a_loaded_kb(settings: Settings) -> None:
    from datetime import UTC, datetime

    from bot.storage.ingest_runs import start_ingest_run, update_ingest_run

    assert cli.main([str(FIXTURES / "kb" / "articles"), "--quiet"], settings) == 0
    client, collection = open_kb(settings, local_embedder(), create=False)
    retriever = Retriever(client, collection, local_embedder())
    db = open_database(settings)
    try:
        at = AppTest.from_function(
            page_with_ingest, args=(retriever, settings.intents_file, db, LEAD, 14), default_timeout=60
        ).run()
        assert not at.exception and not at.get("progress")  # nothing running
        now = datetime.now(UTC)
        run = start_ingest_run(db, started_at=now, by="staff-anna")
        update_ingest_run(db, run, at=now, chunks_planned=100, stored_articles=3, chunks_done=64)
        at.run()
    finally:
        db.close()
    assert not at.exception, at.exception
    (bar,) = at.get("progress")
    assert bar.proto.text == "Ingest in progress: 64 of 100 sections" and bar.proto.value == 64
    assert any("Knowledge base loaded: 3 verified articles" in s.value for s in at.success)  # the KB still serves
