"""The review queue and staff actions, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from bot.safety.verdict import Verdict
from bot.storage.audit import Staff, audit_trail
from bot.storage.db import Database
from bot.storage.models import TurnRecord
from bot.storage.records import add_report, record_turn, set_feedback
from bot.storage.review import (
    add_kb_gap,
    article_fixes,
    flag_article,
    flagged_turns,
    kb_gaps,
    list_reports,
    report_row,
    review_item_from_turn,
    set_fix_status,
    set_gap_status,
    set_report_status,
    turn_detail,
)
from bot.turn import Decision, VerdictRecord
from tests.bot.storage.factories import make_turn, new_conversation, user_hash

ALICE = user_hash("alice")
LEAD = Staff(user_hash("lead@example.com"), "Sam Lead")
WIDE = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


def recorded(db: Database, conversation: str | None = None, **kwargs: object) -> str:
    turn = make_turn(ALICE, **kwargs)  # type: ignore[arg-type]
    record_turn(db, turn, ALICE, conversation or new_conversation())
    return turn.id


def test_a_report_goes_open_in_review_resolved_with_a_note_and_every_step_is_audited(db: Database) -> None:
    report_id = add_report(db, recorded(db), ALICE, "wrong_answer", "said 30 days", contact="ann@mail.example")
    assert report_row(db, report_id).status == "open"  # type: ignore[union-attr]
    set_report_status(db, report_id, "in_review", LEAD)
    row = set_report_status(db, report_id, "resolved", LEAD, note="Article fixed; call ann at +44 20 7946 0018")
    assert row.status == "resolved" and row.resolved_at is not None
    assert row.note is not None and "7946 0018" not in row.note  # notes are redacted like user text
    trail = audit_trail(db, report_id)
    assert [(e.action, e.from_value, e.to_value) for e in trail] == [
        ("report_status", "open", "in_review"),
        ("report_status", "in_review", "resolved"),
    ]
    assert {(e.staff_id, e.staff_name) for e in trail} == {(LEAD.id, "Sam Lead")}
    assert trail[0].at <= trail[1].at and trail[1].at.tzinfo is UTC


def test_illegal_transitions_and_unknown_reports_are_refused_and_nothing_is_audited(db: Database) -> None:
    report_id = add_report(db, recorded(db), ALICE, "other", "x")
    set_report_status(db, report_id, "dismissed", LEAD, note="spam")
    with pytest.raises(ValueError, match="cannot become resolved"):
        set_report_status(db, report_id, "resolved", LEAD)
    with pytest.raises(ValueError, match="unknown status"):
        set_report_status(db, report_id, "reviewed", LEAD)
    with pytest.raises(LookupError):
        set_report_status(db, "R-ZZZZZ", "resolved", LEAD)
    assert len(audit_trail(db, report_id)) == 1
    reopened = set_report_status(db, report_id.lower(), "open", LEAD)
    assert reopened.status == "open" and reopened.resolved_at is None


def test_the_queue_filters_by_status_intent_reason_date_and_id(db: Database) -> None:
    first = add_report(db, recorded(db), ALICE, "wrong_answer", "a")
    second = add_report(db, recorded(db), ALICE, "unsafe", "b")
    set_report_status(db, second, "in_review", LEAD)
    assert {r.id for r in list_reports(db)} == {first, second}
    assert [r.id for r in list_reports(db, status="in_review")] == [second]
    assert [r.id for r in list_reports(db, reason="wrong_answer")] == [first]
    assert list_reports(db, intent="billing") == [] and len(list_reports(db, intent="returns-refunds")) == 2
    assert [r.id for r in list_reports(db, search=first[-3:].lower())] == [first]
    future = datetime.now(UTC) + timedelta(days=1)
    assert list_reports(db, since=future) == [] and len(list_reports(db, until=future)) == 2
    row = list_reports(db, status="open")[0]
    assert (row.intent, row.decision, row.question) == ("returns-refunds", "answered", make_turn(ALICE).question)


def test_the_detail_view_has_the_whole_turn_its_feedback_reports_contact_and_the_conversation_before(
    db: Database,
) -> None:
    conversation = new_conversation()
    earlier = recorded(db, conversation, question="Can I return a lamp?")
    turn_id = recorded(db, conversation)
    set_feedback(db, turn_id, ALICE, -1, "wrong_answer", "not 30 days")
    report_id = add_report(db, turn_id, ALICE, "wrong_answer", "x", contact="ann@mail.example")
    detail = turn_detail(db, turn_id)
    assert detail is not None
    assert detail.turn["passages"][0]["score"] == 0.81 and detail.turn["passages"][0]["url"].startswith("https://")
    assert detail.turn["verdicts"][0]["scores"] == {"violence": 0.01, "hate": 0.0}
    assert detail.turn["citations"][0]["article_id"] == "returns-policy" and detail.turn["model"] == "extractive"
    assert [(f.score, f.reason, f.comment) for f in detail.feedback] == [(-1, "wrong_answer", "not 30 days")]
    assert [r.id for r in detail.reports] == [report_id] and detail.contacts == {report_id: "ann@mail.example"}
    assert [t["id"] for t in detail.before] == [earlier] and detail.before[0]["question"] == "Can I return a lamp?"
    assert turn_detail(db, "missing") is None


def test_flagged_turns_are_blocked_failed_screened_or_thumbed_down_and_can_become_review_items(db: Database) -> None:
    recorded(db)  # answered, no feedback: not flagged
    blocked = recorded(db, decision=Decision.BLOCKED_INPUT)
    out = recorded(db, decision=Decision.BLOCKED_OUTPUT)
    disliked = recorded(db)
    set_feedback(db, disliked, ALICE, -1, "wrong_citation")
    liked = recorded(db)
    set_feedback(db, liked, ALICE, 1)
    # Answered, but an output screen refused the first answer (a fallback passed): flagged by a screen.
    screened = make_turn(ALICE)
    screened.verdicts.append(VerdictRecord("moderation-out", False, {}, ("flagged: violence",), False, 1.0))
    screened.verdicts.append(VerdictRecord("groundedness", False, {}, ("unsupported",), False, 1.0))
    record_turn(db, screened, ALICE, new_conversation())
    unsure = make_turn(ALICE)  # answered from quoted text only: moderation sent it to review
    unsure.note_moderation([VerdictRecord("moderation-in", True, {"violence": 0.6}, (), False, 1.0, "review")])
    record_turn(db, unsure, ALICE, new_conversation())
    flagged = {f.turn_id: f for f in flagged_turns(db, *WIDE)}
    assert set(flagged) == {blocked, out, disliked, screened.id, unsure.id}
    assert flagged[disliked].why == "thumbs down: wrong_citation" and flagged[blocked].why == "blocked_input"
    assert flagged[screened.id].why == "flagged: violence, groundedness"
    assert flagged[unsure.id].why == "moderation: review" and flagged[unsure.id].decision == "answered"
    assert {f.turn_id for f in flagged_turns(db, *WIDE, decision="answered")} == {screened.id, unsure.id, disliked}
    assert [f.turn_id for f in flagged_turns(db, *WIDE, decision="blocked_output")] == [out]

    report_id = review_item_from_turn(db, LEAD, blocked, note="check the moderation call")
    assert report_row(db, report_id).status == "open"  # type: ignore[union-attr]
    assert {f.turn_id: f.reported for f in flagged_turns(db, *WIDE)}[blocked] is True
    assert [e.action for e in audit_trail(db, report_id)] == ["review_item"]
    with pytest.raises(LookupError):
        review_item_from_turn(db, LEAD, "missing")


def test_a_question_becomes_a_kb_gap_and_an_article_is_flagged_for_a_fix(db: Database) -> None:
    turn_id = recorded(db, decision=Decision.NOT_IN_KB, question="Do you deliver to Jersey?")
    report_id = add_report(db, turn_id, ALICE, "wrong_answer", "no answer")
    gap_id = add_kb_gap(db, LEAD, turn_id, report_id, note="many ask this")
    [gap] = kb_gaps(db)
    assert (gap.id, gap.question, gap.intent, gap.status, gap.report_id) == (
        gap_id,
        "Do you deliver to Jersey?",
        "returns-refunds",
        "open",
        report_id,
    )
    set_gap_status(db, LEAD, gap_id, "needs_article")
    assert kb_gaps(db, status="open") == [] and kb_gaps(db, status="needs_article")[0].id == gap_id

    fix_id = flag_article(db, LEAD, "returns-policy", "says 30 days, policy is 14", turn_id=turn_id)
    assert [(f.id, f.article_id, f.status) for f in article_fixes(db)] == [(fix_id, "returns-policy", "open")]
    set_fix_status(db, LEAD, fix_id, "fixed")
    assert article_fixes(db) == [] and article_fixes(db, status=None)[0].status == "fixed"
    actions = [(e.action, e.subject, e.to_value) for e in audit_trail(db)]
    assert actions == [
        ("kb_gap", f"gap:{gap_id}", "open"),
        ("kb_gap", f"gap:{gap_id}", "needs_article"),
        ("article_fix", "returns-policy", "open"),
        ("article_fix", "returns-policy", "fixed"),
    ]
    with pytest.raises(LookupError):
        add_kb_gap(db, LEAD, "missing")
    with pytest.raises(ValueError, match="fix status"):
        article_fixes(db, "closed")
    with pytest.raises(ValueError, match="unknown KB gap status 'fixed'"):
        set_gap_status(db, LEAD, gap_id, "fixed")
    with pytest.raises(ValueError, match="unknown article fix status 'closed'"):
        set_fix_status(db, LEAD, fix_id, "closed")
    with pytest.raises(LookupError, match="no KB gap 999"):
        set_gap_status(db, LEAD, 999, "closed")
    with pytest.raises(LookupError, match="no article fix 999"):
        set_fix_status(db, LEAD, 999, "fixed")
    assert len(audit_trail(db)) == 4  # refused changes are not audited
    with pytest.raises(ValueError):
        flag_article(db, LEAD, "  ", "x")


def test_an_article_fix_shows_the_report_it_came_from_and_that_reports_status(db: Database) -> None:
    turn_id = recorded(db)
    report_id = add_report(db, turn_id, ALICE, "wrong_answer", "says 30 days")
    from_report = flag_article(db, LEAD, "returns-policy", "14 days", turn_id=turn_id, report_id=report_id.lower())
    by_hand = flag_article(db, LEAD, "delivery", "new prices")
    set_report_status(db, report_id, "resolved", LEAD)
    fixes = article_fixes(db)
    assert [(f.id, f.article_id, f.report_id, f.report_status) for f in fixes] == [
        (by_hand, "delivery", None, None),
        (from_report, "returns-policy", report_id, "resolved"),
    ]
    set_fix_status(db, LEAD, by_hand, "fixed")
    assert [f.id for f in article_fixes(db, "fixed")] == [by_hand]
    assert [f.id for f in article_fixes(db, None)] == [by_hand, from_report]


def test_staff_must_be_known_by_hashed_id_and_name() -> None:
    with pytest.raises(ValueError):
        Staff("lead@example.com", "Sam")
    with pytest.raises(ValueError):
        Staff(LEAD.id, "  ")


def test_a_suggested_decision_is_stored_and_read_as_a_string(db: Database) -> None:
    turn_id = recorded(db)
    with db.transaction() as session:
        session.execute(update(TurnRecord).where(TurnRecord.id == turn_id).values(decision="suggested"))
    report_id = add_report(db, turn_id, ALICE, "other", "x")
    assert report_row(db, report_id).decision == "suggested"  # type: ignore[union-attr]


def test_verdict_records_in_a_detail_keep_reasons(db: Database) -> None:
    turn = make_turn(ALICE, decision=Decision.BLOCKED_INPUT)
    turn.verdicts.append(
        VerdictRecord.of(Verdict("moderation-in", False, "", {"violence": 0.93}, ("flagged: violence",)))
    )
    record_turn(db, turn, ALICE, new_conversation())
    detail = turn_detail(db, turn.id)
    assert detail is not None and detail.turn["verdicts"][-1]["reasons"] == ["flagged: violence"]
