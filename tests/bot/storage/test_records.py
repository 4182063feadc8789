"""The repository API the app and the CLI call, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import json
import math
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.safety.verdict import Verdict
from bot.storage import ids, records
from bot.storage.db import Database, make_engine, migrate
from bot.storage.ids import REPORT_ID_PATTERN
from bot.storage.models import Acknowledgement, Conversation, Feedback, Report, TurnRecord, User
from bot.storage.records import (
    acknowledge,
    add_report,
    get_report,
    has_acknowledged,
    open_reports,
    record_turn,
    safety_counts,
    set_feedback,
)
from bot.turn import Decision, VerdictRecord
from tests.bot.storage.factories import make_turn, new_conversation, user_hash

ALICE = user_hash("alice")
BOB = user_hash("bob")


def count(db: Database, model: type) -> int:
    with db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def recorded_turn(db: Database, user: str = ALICE, **kwargs: object) -> str:
    turn = make_turn(user, **kwargs)  # type: ignore[arg-type]
    record_turn(db, turn, user, new_conversation())
    return turn.id


# --- turns ---------------------------------------------------------------------------------------


def test_a_turn_is_recorded_whole(db: Database) -> None:
    turn = make_turn(ALICE)
    conversation = new_conversation()
    record_turn(db, turn, ALICE, conversation)
    with db.transaction() as session:
        row = session.get(TurnRecord, turn.id)
        assert row is not None
        assert (row.user_id, row.conversation_id, row.intent) == (ALICE, conversation, "returns-refunds")
        assert (row.decision, row.question, row.answer, row.model) == (
            "answered",
            turn.question,
            turn.answer,
            "extractive",
        )
        assert row.turn == json.loads(json.dumps(turn.to_dict()))  # every verdict, score, passage and timing
        assert row.turn["verdicts"][0]["scores"] == {"violence": 0.01, "hate": 0.0}
        assert row.started_at == datetime.fromisoformat(turn.started_at)
        assert row.started_at.tzinfo is UTC and row.created_at.tzinfo is UTC
        conv = session.get(Conversation, conversation)
        assert conv is not None and conv.user_id == ALICE and conv.intent == "returns-refunds"
        user = session.get(User, ALICE)
        assert user is not None and user.is_staff is False


def test_recording_the_same_turn_again_changes_nothing(db: Database) -> None:
    """A Streamlit rerun records the same turn again: still one row of each."""
    turn = make_turn(ALICE)
    conversation = new_conversation()
    for _ in range(3):
        record_turn(db, turn, ALICE, conversation)
    assert (count(db, TurnRecord), count(db, Conversation), count(db, User)) == (1, 1, 1)


def test_turns_of_one_conversation_share_it(db: Database) -> None:
    conversation = new_conversation()
    for _ in range(3):
        record_turn(db, make_turn(ALICE), ALICE, conversation)
    assert (count(db, TurnRecord), count(db, Conversation)) == (3, 1)


def test_scores_json_cannot_hold_are_stored_as_null(db: Database) -> None:
    turn = make_turn(ALICE)
    turn.verdicts.append(VerdictRecord.of(Verdict("grounding", False, "", scores={"support": math.nan})))
    record_turn(db, turn, ALICE, new_conversation())
    with db.transaction() as session:
        row = session.get(TurnRecord, turn.id)
        assert row is not None and row.turn["verdicts"][-1]["scores"] == {"support": None}


@pytest.mark.parametrize("who", ["alice@example.com", "alice", "A" * 64, ""])
def test_only_a_hashed_user_id_is_accepted(db: Database, who: str) -> None:
    turn = make_turn(who)
    with pytest.raises(ValueError, match="safety identifier"):
        record_turn(db, turn, who, new_conversation())
    with pytest.raises(ValueError, match="safety identifier"):
        acknowledge(db, who, "v1")
    assert count(db, User) == 0


def test_a_turn_is_recorded_only_for_its_own_user(db: Database) -> None:
    with pytest.raises(ValueError, match="another safety identifier"):
        record_turn(db, make_turn(ALICE), BOB, new_conversation())


def test_a_conversation_of_another_user_is_refused_and_nothing_is_written(db: Database) -> None:
    conversation = new_conversation()
    record_turn(db, make_turn(ALICE), ALICE, conversation)
    bobs = make_turn(BOB)
    with pytest.raises(ValueError, match="another user"):
        record_turn(db, bobs, BOB, conversation)
    with db.transaction() as session:  # Bob's user row was inserted, then rolled back with the rest
        assert session.get(User, BOB) is None
        assert session.get(TurnRecord, bobs.id) is None


def test_a_failing_write_rolls_back_the_whole_record(db: Database) -> None:
    """The turn insert fails after the user and conversation rows went in: none of them stays."""
    turn = make_turn(ALICE)
    turn.intent = "x" * 65  # longer than the conversation's intent column: PostgreSQL refuses it
    turn.started_at = "not a time"  # and this one both backends refuse, before anything is written
    with pytest.raises(ValueError, match="ISO 8601"):
        record_turn(db, turn, ALICE, new_conversation())
    turn = make_turn(ALICE)
    turn.id = "t" * 65  # longer than the primary key allows
    with pytest.raises(ValueError, match="turn id"):
        record_turn(db, turn, ALICE, new_conversation())
    assert (count(db, User), count(db, Conversation), count(db, TurnRecord)) == (0, 0, 0)


def test_a_database_error_mid_transaction_leaves_nothing_half_written(db: Database) -> None:
    from sqlalchemy.exc import IntegrityError

    turn_id = recorded_turn(db)
    with pytest.raises(IntegrityError), db.transaction() as session:
        session.add(User(id=BOB))
        session.flush()
        session.add(Feedback(turn_id=turn_id, user_id=BOB, score=0))  # the score check constraint refuses 0
        session.flush()
    with db.transaction() as session:
        assert session.get(User, BOB) is None
    assert count(db, Feedback) == 0


def test_two_writers_at_once_both_land(db: Database) -> None:
    """Two threads (as two Streamlit sessions) record turns and feedback at once, for the same new user too."""
    per_thread = 15
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)
    shared_conversation = new_conversation()

    def writer() -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                conversation = shared_conversation if i % 3 == 0 else new_conversation()
                turn = make_turn(ALICE)
                record_turn(db, turn, ALICE, conversation)
                set_feedback(db, turn.id, ALICE, -1, "other")  # reads the turn, then writes
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert count(db, TurnRecord) == 2 * per_thread
    assert count(db, User) == 1
    assert count(db, Conversation) == 1 + 2 * (per_thread - 5)
    assert count(db, Feedback) == 2 * per_thread


# --- feedback ------------------------------------------------------------------------------------


def test_feedback_is_one_per_user_and_turn_and_a_change_replaces_it(db: Database) -> None:
    turn_id = recorded_turn(db)
    set_feedback(db, turn_id, ALICE, 1)
    set_feedback(db, turn_id, ALICE, -1, "wrong_citation", "The link goes to the wrong page")
    with db.transaction() as session:
        rows = session.scalars(select(Feedback)).all()
        assert [(r.score, r.reason, r.comment) for r in rows] == [
            (-1, "wrong_citation", "The link goes to the wrong page")
        ]
    set_feedback(db, turn_id, ALICE, 1)
    with db.transaction() as session:
        assert [(r.score, r.reason, r.comment) for r in session.scalars(select(Feedback))] == [(1, None, None)]


def test_a_thumbs_down_may_come_before_its_reason(db: Database) -> None:
    turn_id = recorded_turn(db)
    set_feedback(db, turn_id, ALICE, -1)
    set_feedback(db, turn_id, ALICE, -1, "unsafe")
    with db.transaction() as session:
        assert [(r.score, r.reason) for r in session.scalars(select(Feedback))] == [(-1, "unsafe")]


def test_feedback_comments_are_pii_redacted(db: Database) -> None:
    turn_id = recorded_turn(db)
    set_feedback(db, turn_id, ALICE, -1, "other", "mail me at alice@example.com, card 4111 1111 1111 1111")
    with db.transaction() as session:
        comment = session.scalars(select(Feedback.comment)).one()
    assert comment is not None
    assert "alice@example.com" not in comment and "4111" not in comment
    assert "[EMAIL REMOVED]" in comment and "[CARD REMOVED]" in comment


@pytest.mark.parametrize(
    ("score", "reason", "message"),
    [
        (0, None, "score must be 1 or -1"),
        (2, None, "score must be 1 or -1"),
        (True, None, "score must be 1 or -1"),
        (-1, "rude", "unknown feedback reason"),
        (1, "unsafe", "thumbs up takes no reason"),
    ],
)
def test_bad_feedback_is_refused(db: Database, score: int, reason: str | None, message: str) -> None:
    turn_id = recorded_turn(db)
    with pytest.raises(ValueError, match=message):
        set_feedback(db, turn_id, ALICE, score, reason)
    assert count(db, Feedback) == 0


def test_feedback_on_an_unknown_or_another_users_turn_is_refused(db: Database) -> None:
    turn_id = recorded_turn(db)
    with pytest.raises(ValueError, match="unknown turn"):
        set_feedback(db, "no-such-turn", ALICE, 1)
    with pytest.raises(ValueError, match="unknown turn"):
        set_feedback(db, turn_id, BOB, -1, "unsafe")
    assert count(db, Feedback) == 0


# --- reports -------------------------------------------------------------------------------------


def test_a_report_keeps_the_turn_as_it_was_and_has_a_readable_id(db: Database) -> None:
    turn = make_turn(ALICE, decision=Decision.ANSWERED)
    record_turn(db, turn, ALICE, new_conversation())
    report_id = add_report(db, turn.id, ALICE, "wrong_answer", "  It said 30 days but the shop said 14.  ")
    assert REPORT_ID_PATTERN.fullmatch(report_id), report_id
    report = get_report(db, report_id)
    assert report is not None
    assert (report.id, report.turn_id, report.user_hash, report.reason, report.status) == (
        report_id,
        turn.id,
        ALICE,
        "wrong_answer",
        "open",
    )
    assert report.text == "It said 30 days but the shop said 14."
    assert report.turn == json.loads(json.dumps(turn.to_dict()))  # a reviewer needs nothing else
    assert report.created_at.tzinfo is UTC
    assert get_report(db, f" {report_id.lower()} ") == report
    assert get_report(db, "R-22222") is None


def test_report_ids_are_unique(db: Database) -> None:
    turn_id = recorded_turn(db)
    filed = [add_report(db, turn_id, ALICE, "other", f"report {i}") for i in range(40)]
    assert len(set(filed)) == 40
    assert all(REPORT_ID_PATTERN.fullmatch(r) for r in filed)
    assert count(db, Report) == 40


def test_a_report_id_already_taken_is_drawn_again(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    turn_id = recorded_turn(db)
    first = add_report(db, turn_id, ALICE, "other", "first")
    fresh = "R-ZZZZZ" if first != "R-ZZZZZ" else "R-YYYYY"
    draws = iter([first, first, fresh])
    monkeypatch.setattr(ids, "new_report_id", lambda: next(draws))
    assert add_report(db, turn_id, ALICE, "unsafe", "second") == fresh
    first_report = get_report(db, first)
    assert first_report is not None and first_report.text == "first"  # the taken id was not overwritten


def test_when_no_id_is_free_the_report_fails_loudly(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    turn_id = recorded_turn(db)
    taken = add_report(db, turn_id, ALICE, "other", "first")
    monkeypatch.setattr(ids, "new_report_id", lambda: taken)
    with pytest.raises(RuntimeError, match="no free report id"):
        add_report(db, turn_id, ALICE, "other", "second")
    assert count(db, Report) == 1


def test_report_text_is_pii_redacted_then_capped(db: Database) -> None:
    turn_id = recorded_turn(db)
    card = "4111 1111 1111 1111"
    head = "Reach me at bob.smith@example.org or +44 20 7946 0958. "
    text = head + "x" * 923 + f" my card is {card} " + "y" * 3000
    assert text.index(card) < records.TEXT_MAX_CHARS < text.index(card) + len(card)  # capping first would leak it
    report_id = add_report(db, turn_id, ALICE, "unsafe", text)
    report = get_report(db, report_id)
    assert report is not None
    assert len(report.text) == records.TEXT_MAX_CHARS
    assert "bob.smith@example.org" not in report.text and "7946" not in report.text
    # The card straddles the cap: redacted before cutting, so no part of it survives.
    assert "4111" not in report.text and "1111" not in report.text
    assert report.text.startswith("Reach me at [EMAIL REMOVED] or [PHONE REMOVED].")


def test_a_report_with_no_text_is_kept(db: Database) -> None:
    turn_id = recorded_turn(db)
    report = get_report(db, add_report(db, turn_id, ALICE, "unsafe", ""))
    assert report is not None and report.text == ""


def test_a_contact_address_is_kept_as_given_for_staff(db: Database) -> None:
    turn_id = recorded_turn(db)
    text = "Write to me at ann.lee@example.org please"
    report_id = add_report(db, turn_id, ALICE, "wrong_answer", text, contact="  Ann.Lee+help@mail.example.co.uk ")
    report = get_report(db, report_id)
    assert report is not None
    assert report.contact == "Ann.Lee+help@mail.example.co.uk"  # unredacted: the user chose to leave it
    assert report.text == "Write to me at [EMAIL REMOVED] please"  # the free text is still redacted
    assert [r.contact for r in open_reports(db)] == ["Ann.Lee+help@mail.example.co.uk"]


def test_a_report_without_a_contact_has_none(db: Database) -> None:
    report = get_report(db, add_report(db, recorded_turn(db), ALICE, "other", "x"))
    assert report is not None and report.contact is None


@pytest.mark.parametrize(
    "contact",
    [
        "",
        "   ",
        "ann",
        "ann@",
        "@example.com",
        "ann@example",
        "ann lee@example.com",
        "Ann <ann@example.com>",
        "ann@@example.com",
        "ann@exa_mple.com",
        "a" * 65 + "@example.com",
        "ann@" + "d" * 250 + ".com",
        ".ann@example.com",
    ],
)
def test_a_contact_that_is_not_an_email_is_refused_and_nothing_is_filed(db: Database, contact: str) -> None:
    turn_id = recorded_turn(db)
    with pytest.raises(ValueError, match="contact address") as err:
        add_report(db, turn_id, ALICE, "other", "x", contact=contact)
    # The address is personal data: the message never repeats it (messages end up in logs).
    assert str(err.value) in {
        "the contact address is empty",
        "the contact address is not an email address such as name@example.com",
    }
    assert count(db, Report) == 0


def test_check_contact_accepts_common_addresses() -> None:
    for address in ("ann@example.com", "o'brien@example.ie", "first.last+tag@sub.example.travel", "x@a-b.io"):
        assert records.check_contact(f" {address} ") == address


def test_a_report_on_an_unknown_turn_or_with_an_unknown_reason_is_refused(db: Database) -> None:
    turn_id = recorded_turn(db)
    with pytest.raises(ValueError, match="unknown turn 'nope'"):
        add_report(db, "nope", ALICE, "unsafe", "x")
    with pytest.raises(ValueError, match="unknown turn"):
        add_report(db, turn_id, BOB, "unsafe", "x")  # not Bob's turn
    with pytest.raises(
        ValueError, match=r"unknown report reason 'spam'; expected one of wrong_answer, wrong_citation, unsafe, other"
    ):
        add_report(db, turn_id, ALICE, "spam", "x")
    assert count(db, Report) == 0


def test_open_reports_are_plain_data_oldest_first(db: Database) -> None:
    turn_id = recorded_turn(db)
    filed = [add_report(db, turn_id, ALICE, "other", str(i)) for i in range(3)]
    with db.transaction() as session:
        report = session.get(Report, filed[1])
        assert report is not None
        report.status = "resolved"
    queue = open_reports(db)
    assert [r.id for r in queue] == [filed[0], filed[2]]
    assert [r.text for r in queue] == ["0", "2"]  # usable after the session closed
    assert queue[0].turn["id"] == turn_id
    assert [r.id for r in open_reports(db, limit=1)] == [filed[0]]
    with pytest.raises(ValueError, match="limit"):
        open_reports(db, limit=0)


# --- acknowledgements ----------------------------------------------------------------------------


def test_reads_go_through_while_another_process_holds_the_sqlite_write_lock(tmp_path: Path) -> None:
    db = Database(make_engine(f"sqlite:///{tmp_path / 'safedesk.db'}", busy_timeout_s=0))
    migrate(db.engine)
    acknowledge(db, ALICE, "2026-11")
    turn_id = recorded_turn(db)
    report_id = add_report(db, turn_id, ALICE, "other", "see this")
    holder = sqlite3.connect(tmp_path / "safedesk.db", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        assert has_acknowledged(db, ALICE, "2026-11")
        assert [r.id for r in open_reports(db)] == [report_id]
        assert get_report(db, report_id) is not None
        assert safety_counts(db, datetime.now(UTC) - timedelta(days=1)).total_turns == 1
    finally:
        holder.close()
        db.close()


def test_the_notice_is_acknowledged_once_per_version(db: Database) -> None:
    assert not has_acknowledged(db, ALICE, "2026-11")
    acknowledge(db, ALICE, "2026-11")
    acknowledge(db, ALICE, "2026-11")  # a rerun: no error, no second row
    assert has_acknowledged(db, ALICE, "2026-11")
    assert not has_acknowledged(db, ALICE, "2027-01")  # a new notice must be read again
    assert not has_acknowledged(db, BOB, "2026-11")
    assert count(db, Acknowledgement) == 1
    with db.transaction() as session:
        ack = session.scalars(select(Acknowledgement)).one()
        assert ack.acknowledged_at.tzinfo is UTC
    with pytest.raises(ValueError, match="notice version"):
        acknowledge(db, ALICE, "")


# --- figures -------------------------------------------------------------------------------------


def test_safety_counts(db: Database) -> None:
    start = datetime.now(UTC) - timedelta(seconds=1)
    answered = [recorded_turn(db, ALICE) for _ in range(3)]
    recorded_turn(db, BOB, decision=Decision.BLOCKED_INPUT)
    recorded_turn(db, BOB, decision=Decision.NOT_IN_KB)
    set_feedback(db, answered[0], ALICE, 1)
    set_feedback(db, answered[1], ALICE, -1, "wrong_answer")
    set_feedback(db, answered[2], ALICE, -1)
    reviewed = add_report(db, answered[1], ALICE, "wrong_answer", "wrong")
    add_report(db, answered[2], ALICE, "unsafe", "")
    with db.transaction() as session:
        report = session.get(Report, reviewed)
        assert report is not None
        report.status = "resolved"

    counts = safety_counts(db, start)
    assert counts.turns == {"answered": 3, "blocked_input": 1, "not_in_kb": 1}
    assert counts.total_turns == 5
    assert (counts.feedback_up, counts.feedback_down) == (1, 2)
    assert counts.feedback_down_reasons == {"wrong_answer": 1, "none": 1}
    assert (counts.reports, counts.open_reports) == (2, 1)

    later = safety_counts(db, datetime.now(UTC) + timedelta(hours=1))
    assert (later.turns, later.feedback_up, later.feedback_down, later.reports) == ({}, 0, 0, 0)
    assert later.open_reports == 1  # open now, whenever filed

    # Another time zone names the same instant.
    assert safety_counts(db, start.astimezone(datetime.now().astimezone().tzinfo)).total_turns == 5
    with pytest.raises(ValueError, match="timezone-aware"):
        safety_counts(db, datetime.now())  # naive: refused
