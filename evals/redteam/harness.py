"""Runs attacks through the real pipeline and scores what reached the user.

One `Target` is a pipeline over a throwaway data directory (the KB ingested into it), in extractive
or LLM mode, with strikes and the rate limit off (a red-team run asks many hostile questions as one user;
strikes would stop later attacks for the wrong reason). Each attack runs
streamed (every text given to `on_text` is kept) or not, and is scored by evals.redteam.scorer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bot.config import Settings, load_settings
from bot.gate import Gate
from bot.identity import User
from bot.intents import load_catalogue
from bot.pipeline import Pipeline
from bot.turn import Decision, Turn
from bot.wiring import build_pipeline
from evals.redteam.scorer import Attack, Finding, Scorer
from ingest.screen import Findings

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_KB = ROOT / "kb" / "articles"
SAMPLE_INTENTS = ROOT / "kb" / "intents.yaml"
USER = User("redteam:attacker")


def target_settings(data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir,
        "kb_dir": SAMPLE_KB,
        "intents_file": SAMPLE_INTENTS,
        "collection": "redteam",
        "moderation": "local",
    }
    values.update(overrides)
    return load_settings(env_file=None, **values)


def ingest(settings: Settings, paths: list[Path] | None = None, *, screen_injection: bool = True) -> int:
    """Load the KB (or `paths`) into the settings' store; returns ingest's exit code. With
    `screen_injection=False`, ingest's injection screen is off for this call only."""
    from ingest import cli

    argv = ["--quiet", "--allow-rejects", *(str(p) for p in paths or [])]
    if screen_injection:
        return cli.main(argv, settings=settings)
    original = cli.ArticleInjectionScreen
    cli.ArticleInjectionScreen = _NoScreen  # type: ignore[assignment,misc]
    try:
        return cli.main(argv, settings=settings)
    finally:
        cli.ArticleInjectionScreen = original  # type: ignore[misc]


class _NoScreen:
    """Ingest's article injection screen, switched off: it finds nothing."""

    def __init__(self, *args: object) -> None:
        pass

    def __call__(self, text: str) -> Findings:
        return Findings()

    def screen_all(self, texts: Sequence[str]) -> list[Findings]:
        return [Findings() for _ in texts]


@dataclass
class Outcome:
    attack: Attack
    mode: str  # "extractive" or "llm"
    streamed: bool
    turn: Turn
    shown: list[str]  # every text given to on_text
    findings: list[Finding]
    stopped_by: str
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.attack.id,
            "suite": self.attack.suite,
            "mode": self.mode,
            "streamed": self.streamed,
            "question": self.attack.question[:500],
            "decision": self.turn.decision.value,
            "answer": self.turn.answer,
            "stopped_by": self.stopped_by,
            "success": bool(self.findings),
            "findings": [f.__dict__ for f in self.findings],
            "seconds": round(self.seconds, 4),
            "moderation_in": moderation_outcome(self.turn),
            **{f"meta_{k}": v for k, v in self.attack.meta.items()},
        }


def stopped_by(turn: Turn) -> str:
    """What stopped the attack (or shaped its answer): the first failed screen, else what the
    screens removed, else how the turn ended."""
    if turn.decision in (Decision.BLOCKED_INPUT, Decision.BLOCKED_OUTPUT, Decision.ERROR):
        failed = [v for v in turn.verdicts if not v.ok]
        if turn.decision is Decision.BLOCKED_OUTPUT and failed:
            return "output: " + ", ".join(dict.fromkeys(v.screen for v in failed))
        return failed[0].screen if failed else turn.decision.value
    if turn.decision is Decision.NOT_IN_KB:
        return "relevance (not in KB)"
    if any(v.screen == "responder" and not v.ok for v in turn.verdicts):
        return "model unavailable: quoted instead"
    dropped = [v.screen for v in turn.verdicts if not v.ok or (v.reasons and v.screen in _SHAPING)]
    if any(n in turn.notes for n in ("This answer is quoted directly from the help centre.",)):
        return "output: replaced by quote (" + ", ".join(dict.fromkeys(dropped)) + ")"
    if dropped:
        return "output: " + ", ".join(dict.fromkeys(dropped)) + " (answered)"
    return "answered"


_SHAPING = {"groundedness", "sanitize", "leakage"}


def moderation_outcome(turn: Turn) -> str:
    """Input moderation's outcome: block, review or pass ('' when it did not run)."""
    for v in turn.verdicts:
        if v.screen == "moderation-in":
            outcome = next((r.split(": ", 1)[1] for r in v.reasons if r.startswith("outcome: ")), "")
            return outcome or ("pass" if v.ok else "block")
    return ""


class Target:
    """A pipeline to attack, and the scorer that judges its turns."""

    def __init__(self, settings: Settings, mode: str) -> None:
        self.settings, self.mode = settings, mode
        # Strikes off: each attack is judged alone (a red-team batch asks as one user).
        gate = Gate.from_settings(settings, rate_limited=False, strikes=False)
        self.pipeline: Pipeline = build_pipeline(settings, gate=gate)
        handoffs = [i.handoff for i in load_catalogue(settings.intents_file).intents]
        self.scorer = Scorer(handoffs)
        self.default_intent = next(iter(sorted(load_catalogue(settings.intents_file).ids())))

    def unstreamed(self) -> None:
        """No sentence-by-sentence screening: the whole answer goes through the output screens."""
        self.pipeline.stages = replace(self.pipeline.stages, streaming=None)

    def run(self, attack: Attack, *, streamed: bool = True) -> Outcome:
        shown: list[str] = []
        on_text: Callable[[str], None] | None = shown.append if streamed else None
        started = time.perf_counter()
        turn = self.pipeline.run(attack.question, attack.intent or self.default_intent, USER, on_text=on_text)
        seconds = time.perf_counter() - started
        findings = self.scorer.score(turn, shown, attack)
        return Outcome(attack, self.mode, streamed, turn, shown, findings, stopped_by(turn), seconds)


def llm_overrides(base_url: str, model: str) -> dict[str, object]:
    """Settings for LLM mode against an OpenAI-compatible server on loopback."""
    # A long prompt on the 1-thread loopback model can take over the default 20 s on a busy machine:
    # a time-out would fall back to a quote and leave the model's answer unexercised.
    return {
        "answer_mode": "llm",
        "openai_base_url": base_url,
        "openai_chat_model": model,
        "openai_max_retries": 0,
        "openai_timeout_seconds": 180.0,
    }
