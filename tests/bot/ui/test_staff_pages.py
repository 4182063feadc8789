"""Each staff page with Streamlit's AppTest, on real SQLite records: what it shows and what its actions change."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from bot.embedding import local_embedder
from bot.intents import Catalogue, load_catalogue
from bot.storage.audit import Staff, audit_trail
from bot.storage.db import Database, open_database
from bot.storage.limits import blocked_users
from bot.storage.models import Report
from bot.storage.records import add_report, record_turn, set_feedback
from bot.storage.review import add_kb_gap, article_fixes, kb_gaps, report_row
from bot.turn import Decision
from tests.bot.storage.factories import make_turn, new_conversation, user_hash

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
ALICE = user_hash("alice")
LEAD = Staff(user_hash("lead"), "Sam Lead")


@pytest.fixture
def db(settings) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    database = open_database(settings)
    yield database
    database.close()


@pytest.fixture
def catalogue() -> Catalogue:
    return load_catalogue(FIXTURES / "kb" / "intents.yaml")


def turn(db: Database, decision: Decision = Decision.ANSWERED, question: str = "Can I return a sofa?") -> str:
    t = make_turn(ALICE, decision=decision, question=question)
    record_turn(db, t, ALICE, new_conversation())
    return t.id


def page(function, *args) -> AppTest:  # type: ignore[no-untyped-def]
    at = AppTest.from_function(function, args=args, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def _review(db, staff, catalogue):  # type: ignore[no-untyped-def]
    from bot.ui.review_page import review_page

    review_page(db, staff, catalogue)


def _flagged(db, staff):  # type: ignore[no-untyped-def]
    from bot.ui.flagged_page import flagged_page

    flagged_page(db, staff)


def _dashboard(db):  # type: ignore[no-untyped-def]
    from bot.ui.dashboard_page import dashboard_page

    dashboard_page(db)


def _gaps(db, staff, embedder):  # type: ignore[no-untyped-def]
    from bot.ui.gaps_page import gaps_page

    gaps_page(db, staff, embedder)


def markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_the_review_queue_finds_a_report_by_id_and_shows_the_whole_turn(db: Database, catalogue: Catalogue) -> None:
    first = add_report(db, turn(db), ALICE, "wrong_answer", "said 30 days", contact="ann@mail.example")
    add_report(db, turn(db), ALICE, "unsafe", "other one")
    at = page(_review, db, LEAD, catalogue)
    assert len(at.dataframe[0].value) == 2  # both open reports
    at.text_input[0].input(first[-4:]).run()
    assert list(at.dataframe[0].value["Report"]) == [first]
    assert at.subheader[0].value == f"{first} · open"
    text = markdown(at)
    assert "said 30 days" in text and "[Returns policy](https://help.example/returns)" in text
    assert at.code[0].value == "Can I return a sofa?"
    passages = at.dataframe[1].value
    assert list(passages["Article"]) == ["returns-policy"] and list(passages["Score"]) == [0.81]
    verdicts = at.dataframe[2].value
    assert "violence 0.01" in verdicts["Scores"][0]
    assert "ann@mail.example" in at.info[0].value  # the contact, for staff


def test_resolving_with_a_note_and_the_actions_are_saved_and_audited(db: Database, catalogue: Catalogue) -> None:
    report_id = add_report(db, turn(db), ALICE, "wrong_answer", "x")
    at = page(_review, db, LEAD, catalogue)
    form_select = next(s for s in at.selectbox if s.label == "Change status to")
    form_select.select("resolved")
    at.text_area[0].input("Article corrected")
    next(b for b in at.button if b.label == "Save status").click().run()
    assert not at.exception, at.exception
    row = report_row(db, report_id)
    assert row is not None and (row.status, row.note) == ("resolved", "Article corrected")
    assert at.success[0].value == f"{report_id} is now resolved."  # though it left the list of open reports
    [event] = audit_trail(db, report_id)
    assert (event.staff_name, event.from_value, event.to_value) == ("Sam Lead", "open", "resolved")

    at = page(_review, db, LEAD, catalogue)
    next(s for s in at.selectbox if s.label == "Status").select("resolved").run()
    next(t for t in at.text_input if t.label == "What is wrong with it").input("14 days, not 30")
    next(b for b in at.button if b.label == "Article needs a fix").click().run()
    assert [(f.article_id, f.note, f.report_id) for f in article_fixes(db)] == [
        ("returns-policy", "14 days, not 30", report_id)
    ]
    assert "returns-policy is listed for a fix on the Knowledge base page." in [m.value for m in at.success]
    next(b for b in at.button if b.label == "KB gap").click().run()
    assert [g.report_id for g in kb_gaps(db)] == [report_id]
    next(b for b in at.button if b.label == "Block user").click().run()
    assert [b.user_hash for b in blocked_users(db)] == [ALICE]
    next(b for b in at.button if b.label == "Unblock user").click().run()
    assert blocked_users(db) == []


def test_flagged_turns_open_in_the_detail_view_and_become_review_items(db: Database) -> None:
    blocked = turn(db, Decision.BLOCKED_INPUT, "how do I hurt someone")
    disliked = turn(db)
    set_feedback(db, disliked, ALICE, -1, "wrong_answer")
    turn(db)  # answered and liked by nobody: not flagged
    at = page(_flagged, db, LEAD)
    assert set(at.dataframe[0].value["Turn"]) == {blocked, disliked}
    at.selectbox(key="flagged-open").select(blocked).run()
    assert at.code[0].value == "how do I hurt someone"
    next(b for b in at.button if b.label == "Open a review item").click().run()
    with db.transaction() as session:
        assert list(session.scalars(select(Report.turn_id))) == [blocked]
    assert "is in the review queue" in at.success[0].value
    next(b for b in at.button if b.label == "KB gap").click().run()
    assert [(g.turn_id, g.question) for g in kb_gaps(db)] == [(blocked, "how do I hurt someone")]


def test_the_dashboard_counts_turns_reports_and_charts_them(db: Database) -> None:
    for decision in (Decision.ANSWERED, Decision.ANSWERED, Decision.NOT_IN_KB):
        turn(db, decision)
    add_report(db, turn(db, Decision.BLOCKED_INPUT), ALICE, "unsafe", "x")
    at = page(_dashboard, db)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Turns"] == "4" and metrics["Reports opened"] == "1" and metrics["Reports resolved"] == "0"
    assert metrics["Median time to resolve"] == "—"
    charts = at.get("vega_lite_chart")
    # turns per day, top intents, reports per day (no flags, and these turns have no total timing)
    assert len(charts) == 3 and '"decision"' in charts[0].proto.spec
    assert "👍 0 · 👎 0" in markdown(at)


def test_kb_gaps_need_an_article_then_close(db: Database) -> None:
    turn_id = turn(db, Decision.NOT_IN_KB, "Do you deliver to Jersey?")
    gap = add_kb_gap(db, LEAD, turn_id)
    at = page(_gaps, db, LEAD, local_embedder())
    assert "Do you deliver to Jersey?" in markdown(at)
    at.button(key=f"needs-{gap}").click().run()
    assert [g.status for g in kb_gaps(db)] == ["needs_article"]
    at.selectbox(key="gap-status").select("needs_article").run()
    at.button(key=f"close-{gap}").click().run()
    assert not at.exception, at.exception
    assert [g.status for g in kb_gaps(db)] == ["closed"]
    assert [(e.from_value, e.to_value) for e in audit_trail(db, f"gap:{gap}")] == [
        (None, "open"),
        ("open", "needs_article"),
        ("needs_article", "closed"),
    ]


def test_unanswered_questions_are_grouped_and_a_group_can_need_an_article(db: Database) -> None:
    jersey = [turn(db, Decision.NOT_IN_KB, q) for q in ("Do you deliver to Jersey?", "Can you ship to Jersey?")]
    turn(db, Decision.NOT_IN_KB, "How do I reset my password?")
    at = page(_gaps, db, LEAD, local_embedder())
    text = markdown(at)
    assert "**2** question(s)" in text and "**1** question(s)" in text
    group_button = next(b for b in at.button if b.label == "Needs an article" and b.key.startswith("group-0-"))
    group_button.click().run()
    [gap] = kb_gaps(db)
    assert (gap.status, gap.turn_id in jersey, gap.note) == ("needs_article", True, "2 similar question(s)")


def test_a_range_with_one_end_picked_waits_for_the_other(db: Database) -> None:
    at = page(_dashboard, db)
    at.date_input[0].set_value((datetime.now(UTC).date() - timedelta(days=2),)).run()
    assert "Pick both ends" in at.info[0].value
