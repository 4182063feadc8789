"""`python -m bot reports|purge|forget|export`, run through the CLI's own entry point on a SQLite file."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from bot import cli
from bot.config import Settings
from bot.identity import safety_identifier, server_secret
from bot.storage.audit import audit_trail
from bot.storage.db import Database, open_database
from bot.storage.models import Feedback, Report, TurnRecord, User
from bot.storage.records import add_report, record_turn, set_feedback
from tests.bot.storage.factories import make_turn, new_conversation


@pytest.fixture
def setup(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> tuple[Settings, Database, str]:
    settings = settings.model_copy(update={"secret_key": "cli-secret", "retention_days": 30})
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    db = open_database(settings)
    alice = safety_identifier(server_secret(settings), "oidc|alice")
    yield settings, db, alice
    db.close()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["--user", "cli:sam", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def turn(db: Database, user: str, question: str = "How long do I have to return a sofa?") -> str:
    t = make_turn(user, question=question)
    record_turn(db, t, user, new_conversation())
    return t.id


def test_list_show_and_resolve_a_report(setup, capsys) -> None:  # type: ignore[no-untyped-def]
    _settings, db, alice = setup
    report_id = add_report(db, turn(db, alice), alice, "wrong_answer", "said 30 days", contact="ann@mail.example")
    code, out, _ = run(capsys, "reports", "list", "--status", "open")
    assert code == 0 and report_id in out and "wrong_answer" in out
    code, out, _ = run(capsys, "reports", "list", "--json")
    assert json.loads(out.splitlines()[0])["id"] == report_id
    code, out, _ = run(capsys, "reports", "show", report_id.lower())
    shown = json.loads(out)
    assert shown["report"]["id"] == report_id and shown["turn"]["turn"]["passages"][0]["score"] == 0.81
    assert shown["turn"]["contacts"] == {report_id: "ann@mail.example"}
    code, out, _ = run(capsys, "reports", "resolve", report_id, "--note", "article corrected")
    assert code == 0 and out.strip() == f"{report_id}: resolved"
    [event] = audit_trail(db, report_id)
    staff_hash = safety_identifier(b"cli-secret", "cli:sam")
    assert (event.staff_id, event.staff_name, event.to_value, event.note) == (
        staff_hash, "cli:sam", "resolved", "article corrected",
    )  # fmt: skip
    code, _, err = run(capsys, "reports", "resolve", report_id, "--note", "again")
    assert code == 1 and "cannot become resolved" in err
    code, _, err = run(capsys, "reports", "show", "R-ZZZZZ")
    assert code == 1 and "no report" in err


def test_purge_keeps_recent_records_and_turns_of_unresolved_reports(setup, capsys) -> None:  # type: ignore[no-untyped-def]
    _settings, db, alice = setup
    old, recent, reported, closed = (turn(db, alice) for _ in range(4))
    for turn_id in (old, recent):
        set_feedback(db, turn_id, alice, -1, "wrong_answer")
    open_report = add_report(db, reported, alice, "unsafe", "x")
    closed_report = add_report(db, closed, alice, "other", "y")
    long_ago = datetime.now(UTC) - timedelta(days=31)
    with db.transaction() as session:
        session.execute(
            update(TurnRecord).where(TurnRecord.id.in_([old, reported, closed])).values(created_at=long_ago)
        )
        session.execute(update(Feedback).where(Feedback.turn_id == old).values(created_at=long_ago))
        session.execute(
            update(Report)
            .where(Report.id == closed_report)
            .values(status="resolved", resolved_at=long_ago, created_at=long_ago)
        )
    code, out, _ = run(capsys, "purge")
    assert code == 0 and "2 turn(s), 1 feedback, 1 closed report(s)" in out
    with db.transaction() as session:
        assert set(session.scalars(select(TurnRecord.id))) == {recent, reported}
        assert set(session.scalars(select(Report.id))) == {open_report}
        assert session.scalar(select(func.count()).select_from(Feedback)) == 1


def test_forget_deletes_one_users_records_by_id_or_hash(setup, capsys) -> None:  # type: ignore[no-untyped-def]
    settings, db, alice = setup
    bob = safety_identifier(server_secret(settings), "oidc|bob")
    add_report(db, turn(db, alice), alice, "other", "x")
    turn(db, bob)
    code, out, _ = run(capsys, "forget", "oidc|alice")
    assert code == 0 and f"user {alice}: forgotten; 1 turn(s), 1 report(s)" in out
    with db.transaction() as session:
        assert set(session.scalars(select(User.id))) == {bob}
        assert set(session.scalars(select(TurnRecord.user_id))) == {bob}
    assert [e.action for e in audit_trail(db, alice)] == ["forget"]
    code, out, _ = run(capsys, "forget", bob)  # the hashed id works too
    assert code == 0 and "forgotten" in out


def test_export_turns_and_reports_as_csv_and_json_stays_redacted(setup, capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _settings, db, alice = setup
    asked = turn(db, alice, question="My card is [CARD] — why was it refused?")
    add_report(db, asked, alice, "wrong_answer", "call me on +44 20 7946 0018", contact="ann@mail.example")
    today = datetime.now(UTC).date()
    since, until = str(today - timedelta(days=1)), str(today + timedelta(days=1))
    code, out, err = run(capsys, "export", "turns", "--since", since, "--until", until, "--format", "csv")
    [row] = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and "1 turns exported" in err
    assert (row["id"], row["user_hash"], row["question"]) == (asked, alice, "My card is [CARD] — why was it refused?")
    target = tmp_path / "reports.json"
    code, _, _ = run(
        capsys, "export", "reports", "--since", since, "--until", until, "--format", "json", "--out", str(target)
    )
    [report] = json.loads(target.read_text(encoding="utf-8"))
    assert "7946 0018" not in report["text"] and "contact" not in report and "ann@" not in target.read_text()
    with pytest.raises(SystemExit):
        run(capsys, "export", "turns", "--since", since, "--until", "not-a-date")


def test_export_refuses_a_backward_range(setup, capsys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit):
        run(capsys, "export", "turns", "--since", "2026-11-05", "--until", "2026-11-01")
