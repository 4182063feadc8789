"""Wiring the pipeline from settings: each pipeline honours the settings it was built with."""

from __future__ import annotations

from pathlib import Path

from bot.config import Settings
from bot.identity import User
from bot.turn import Decision
from bot.wiring import build_pipeline
from ingest import cli

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_two_pipelines_in_one_process_each_keep_their_own_input_limit(settings_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    kb: Settings = settings_factory(tmp_path / "data")
    assert cli.main([str(FIXTURES / "kb" / "articles"), "--quiet"], kb) == 0
    strict = build_pipeline(kb.model_copy(update={"max_input_chars": 40}))
    roomy = build_pipeline(kb.model_copy(update={"max_input_chars": 400}))
    question = "Which credit cards can I pay with, and can I pay by bank transfer?"  # 66 characters
    assert 40 < len(question) < 400

    refused = strict.run(question, "billing", User("alice-sub"))
    answered = roomy.run(question, "billing", User("alice-sub"))

    assert refused.decision is Decision.BLOCKED_INPUT and "40 characters" in refused.answer
    limits = next(v for v in answered.verdicts if v.screen == "limits")
    assert limits.ok and limits.scores["chars"] == len(question)
    assert answered.decision is Decision.ANSWERED, answered.to_dict()


def test_without_the_pii_screen_the_record_is_still_normalised_and_redacted(settings_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    kb: Settings = settings_factory(tmp_path / "data")
    assert cli.main([str(FIXTURES / "kb" / "articles"), "--quiet"], kb) == 0
    lax = build_pipeline(kb.model_copy(update={"input_screens": ("limits", "moderation-in", "injection")}))
    turn = lax.run("Mail jane.doe@example.com\u200b: which credit cards can I pay with?", "billing", User("u"))
    assert [v.screen for v in turn.verdicts][:3] == ["limits", "moderation-in", "injection"]
    assert "jane.doe" not in turn.question and "[EMAIL REMOVED]" in turn.question and "\u200b" not in turn.question
