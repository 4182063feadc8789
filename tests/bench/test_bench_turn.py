"""bench_turn's decisions across thresholds and its figures, on made-up turns (no KB, no models)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import bench_turn, common
from bench.bench_turn import Asked, decision, figures, plot_bands, plot_styles
from bot.turn import Citation, Decision, Turn


def asked(n: int, gold: str | None, confidence: float, answer: str = "", style: str = "plain") -> Asked:
    turn = Turn(f"t{n}", "2026-01-01T00:00:00Z", "returns", "q", "sid", Decision.ANSWERED, answer)
    turn.citations = [Citation(1, gold or "other", "T", "https://kb.example/t", "")]
    question = {"id": f"q{n}", "article_id": gold, "facts": ["30 days"] if gold else None, "style": style}
    return Asked(question, turn, confidence, {"dense": 0.5}, [gold or "other"])


ASKED = [
    asked(1, "returns", 0.9, "**Returns**\n\nWithin **30 days** [1]"),
    asked(2, "returns", 0.5, "Within 30 days [1]", "typo"),
    asked(3, None, 0.8),
    asked(4, None, 0.2, style="typo"),
]


def test_the_thresholds_decide_as_the_pipeline_would() -> None:
    assert [decision(x, 0.7, 0.3) for x in ASKED] == ["answered", "suggested", "answered", "not_in_kb"]
    f = figures(ASKED, 0.7, 0.3)
    assert (f.answerable_answered, f.facts, f.right_anywhere, f.unanswerable_answered) == (0.5, 0.5, 1.0, 0.5)
    assert figures(ASKED, 0.95, 0.3).facts == 0.0  # a suggested turn holds no facts


def test_each_set_gets_its_trade_off_and_by_style_figures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "OUT", tmp_path)
    monkeypatch.setattr(bench_turn, "ROOT", tmp_path)
    bands = plot_bands("Sample KB (calibrated on)", ASKED, 0.7, 0.3)
    styles = plot_styles("Sample KB (calibrated on)", ASKED, 0.7, 0.3)
    assert bands == tmp_path / "turn-bands-sample-kb.png" and bands.stat().st_size > 10_000
    assert styles == tmp_path / "turn-styles-sample-kb.png" and styles.stat().st_size > 10_000
