"""bench_first_run runs what `make run` runs: its command, dry-run by make, is the launcher with --load-kb
on the bench's ports and secrets file, and nothing else (the install is done)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.bench_first_run import make_run_command
from bench.common import ROOT


def test_the_bench_runs_make_runs_own_command(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.toml"
    command = make_run_command(18501, 19400, secrets)
    assert command[:2] == ["make", "--no-print-directory"] and "run" in command
    dry = [*command[:1], "-n", *command[1:]]  # what make would run, without running it
    printed = subprocess.run(dry, cwd=ROOT, capture_output=True, text=True, check=True).stdout.splitlines()
    venv_python = Path(sys.executable).parent.parent / "bin" / "python"
    assert printed == [
        f"{venv_python} -m tools.local_auth run-app --load-kb --port 18501 --provider-port 19400 --secrets {secrets}"
    ]
