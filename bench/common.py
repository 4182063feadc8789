"""Shared helpers for the benchmarks: isolated data dirs, loading a KB, percentiles."""

from __future__ import annotations

import os
import resource
import statistics
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
# /work/shared beside the main checkout; a git worktree (/work/wt/<branch>) is one level deeper.
SHARED = next(
    (p / "shared" for p in (ROOT.parent, ROOT.parent.parent) if (p / "shared").is_dir()), ROOT.parent / "shared"
)
PLAUSIBLE_DOCS = SHARED / "kb-real" / "plausible" / "docs"
PLAUSIBLE_IMPORT = ROOT / "kb" / "imports" / "plausible"
DATA = Path(__file__).resolve().parent / "data"
OUT = Path(__file__).resolve().parent / "out"  # figures

# Benchmarks never touch ./data or a developer's .env.
os.environ["SAFEDESK_ENV_FILE"] = ""
os.environ.setdefault("SAFEDESK_DATA_DIR", tempfile.mkdtemp(prefix="safedesk-bench-"))

from bot.config import Settings, load_settings  # noqa: E402


def bench_settings(name: str, **overrides: Any) -> Settings:
    """Settings with a fresh data dir of their own (or the `data_dir` given)."""
    data_dir = overrides.pop("data_dir", None) or Path(tempfile.mkdtemp(prefix=f"safedesk-bench-{name}-"))
    return load_settings(env_file=None, data_dir=data_dir, **overrides)


def plausible_settings(name: str, **overrides: Any) -> Settings:
    return bench_settings(
        name,
        intents_file=PLAUSIBLE_IMPORT / "intents.yaml",
        collection="plausible",
        **overrides,
    )


def pct(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q))


def describe_ms(values: Sequence[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"p50 {statistics.median(ms):7.2f} ms   p95 {pct(ms, 95):7.2f} ms   max {max(ms):7.2f} ms   (n={len(ms)})"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pyplot() -> Any | None:
    """matplotlib's pyplot drawing to files, or None (with a word) if matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib not installed: no figure)")
        return None
    return plt


def save_figure(fig: Any, name: str) -> Path:
    OUT.mkdir(exist_ok=True)
    path = OUT / name
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path
