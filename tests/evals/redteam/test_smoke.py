"""The red team's smoke subset (`python -m evals.redteam --smoke`, in .venv-redteam): every suite
represented, the hostile stand-in in full, and zero successes in extractive mode and from the
stand-in."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from evals.redteam.hostile import CASES

ROOT = Path(__file__).resolve().parents[3]
PYTHON = ROOT / ".venv-redteam" / "bin" / "python"
SUITES = {
    "extraction",
    "spikee-direct",
    "spikee-indirect",
    "garak",
    "jailbreak",
    "jailbreak-full",
    "jailbreak-framed",
    "behaviours-plain",
    "behaviours-framed",
}


@pytest.mark.timeout(1200)
def test_smoke_subset_lets_nothing_through(tmp_path: Path) -> None:
    if not PYTHON.exists():
        pytest.fail("the red team's venv is missing: run `make redteam-deps`")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SAFEDESK_", "CHROMA_"))}
    run = subprocess.run(
        [str(PYTHON), "-m", "evals.redteam", "--smoke", "--out", str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1100, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads((tmp_path / "redteam.json").read_text(encoding="utf-8"))["results"]
    extractive = [r for r in results if r["mode"] == "extractive"]
    hostile = [r for r in results if r["mode"] == "hostile"]
    assert {r["suite"] for r in extractive} == SUITES
    assert len(hostile) == 2 * len(CASES)
    assert [r for r in extractive + hostile if r["success"]] == []
    assert (tmp_path / "redteam.png").stat().st_size > 0 and "| extractive |" in (tmp_path / "redteam.md").read_text()
