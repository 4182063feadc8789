"""Reading JSON Lines: the one reader for the benches, the evaluations and the classifier training."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def read_jsonl(path: Path, hint: str = "") -> list[dict[str, Any]]:
    """One dict per non-blank line; a missing file stops the run with `hint` (how to make it)."""
    if not path.is_file():
        raise SystemExit(f"{path} is missing" + (f": {hint}" if hint else ""))
    # split on "\n" only: str.splitlines would also split on U+2028 inside JSON strings
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]
