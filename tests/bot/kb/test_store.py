import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from chromadb.api.shared_system_client import SharedSystemClient

from bot import cli as bot_cli
from bot.config import Settings
from bot.embedding import local_embedder
from bot.kb.retrieval import make_retriever
from bot.kb.store import (
    CHANGES_KEPT,
    SQLITE_FILE,
    StoreError,
    bump_revision,
    changed_since,
    chroma_client,
    kb_collection,
    reading_kb,
    revision,
    version,
)
from ingest import cli
from tests.chroma_server import running_chroma_server

ROOT = Path(__file__).resolve().parents[3]


class OtherModel:
    model_id = "some-other-model"
    dimensions = 8

    def embed(self, texts):  # type: ignore[no-untyped-def]
        raise AssertionError("not used")


def test_a_collection_built_with_another_model_is_refused(settings: Settings) -> None:
    client = chroma_client(settings)
    kb_collection(client, settings.collection, local_embedder())
    with pytest.raises(StoreError, match="some-other-model"):
        kb_collection(client, settings.collection, OtherModel())  # type: ignore[arg-type]


def test_revision_is_bumped_and_visible_to_a_new_client(settings: Settings) -> None:
    collection = kb_collection(chroma_client(settings), settings.collection, local_embedder())
    before = revision(collection)
    bump_revision(collection)
    assert revision(chroma_client(settings).get_collection(settings.collection)) == before + 1


def test_the_articles_changed_since_a_version_are_read_from_the_log(settings: Settings) -> None:
    def current():  # type: ignore[no-untyped-def]
        return chroma_client(settings).get_collection(settings.collection)

    collection = kb_collection(chroma_client(settings), settings.collection, local_embedder())
    start = version(collection)[1]
    bump_revision(collection, ["a", "b"])
    middle = version(current())[1]
    bump_revision(current(), ["c", "a"])
    assert changed_since(current().metadata, start) == {"a", "b", "c"}
    assert changed_since(current().metadata, middle) == {"a", "c"}
    assert changed_since(current().metadata, version(current())[1]) == set()
    assert changed_since(current().metadata, "a version the log never saw") is None
    bump_revision(current())  # a writer that names no articles
    assert changed_since(current().metadata, start) is None
    bump_revision(current(), ["x" * 30_000])  # too long to log
    assert changed_since(current().metadata, version(current())[1]) == set()
    assert changed_since(current().metadata, middle) is None
    for n in range(CHANGES_KEPT + 5):
        bump_revision(current(), [f"article-{n}"])
    assert changed_since(current().metadata, middle) is None  # fell off the end of the log


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[int]:
    with running_chroma_server(tmp_path / "server") as port:
        yield port


def test_ingest_and_search_against_a_real_chroma_server(settings: Settings, chroma_server: int, capsys) -> None:  # type: ignore[no-untyped-def]
    remote = settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": chroma_server})
    assert cli.main([str(settings.kb_dir), "--quiet"], remote) == 0
    assert "127.0.0.1" in capsys.readouterr().out
    assert not settings.chroma_path.exists()  # nothing went to the embedded store
    passages = make_retriever(remote).search("which credit cards can I pay with", "billing")
    assert passages[0].article_id == "billing-cards"
    assert cli.main([str(settings.kb_dir), "--quiet"], remote) == 0
    assert "unchanged: 3" in capsys.readouterr().out


def _run(module: str, settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "SAFEDESK_ENV_FILE": "",
        "SAFEDESK_DATA_DIR": str(settings.data_dir),
        "SAFEDESK_INTENTS_FILE": str(settings.intents_file),
        "SAFEDESK_COLLECTION": settings.collection,
    }
    return subprocess.run(
        [sys.executable, "-m", module, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def _damage(settings: Settings) -> None:
    sqlite = settings.chroma_path / SQLITE_FILE
    sqlite.write_bytes(sqlite.read_bytes()[:5000])  # a truncated copy, as a full disk or a bad restore leaves it


ASK = ("ask", "--intent", "billing", "which credit cards can I pay with?")


def test_a_missing_store_is_refused_not_created_empty(settings: Settings) -> None:
    with pytest.raises(StoreError, match=r"no knowledge base at .*python -m ingest"):
        make_retriever(settings)
    assert not settings.chroma_path.exists()
    done = _run("bot", settings, *ASK)
    assert done.returncode == bot_cli.EXIT_STORE and not done.stdout
    assert str(settings.chroma_path.resolve()) in done.stderr and "python -m ingest" in done.stderr
    assert "Traceback" not in done.stderr
    assert not settings.chroma_path.exists()


def test_a_store_without_the_collection_is_refused(settings: Settings) -> None:
    kb_collection(chroma_client(settings), "another_kb", local_embedder())
    with pytest.raises(StoreError, match=r"no collection 'test_kb'.*python -m ingest"):
        make_retriever(settings)


def test_a_damaged_store_is_a_clear_error_everywhere(settings: Settings) -> None:
    assert cli.main([str(settings.kb_dir), "--quiet"], settings) == 0
    _damage(settings)
    path = str(settings.chroma_path.resolve())
    with pytest.raises(StoreError, match="cannot be read") as raised:
        make_retriever(settings)
    assert path in str(raised.value) and "python -m ingest" in str(raised.value)
    for module, args, code in (("bot", ASK, bot_cli.EXIT_STORE), ("ingest", ("--quiet",), cli.EXIT_USAGE)):
        done = _run(module, settings, *args)
        assert done.returncode == code, done.stdout + done.stderr
        assert path in done.stderr and f"mv {path} {path}.broken" in done.stderr and "python -m ingest" in done.stderr
        assert "Traceback" not in done.stderr


def test_records_are_read_through_a_chroma_system_of_their_own_stopped_afterwards(settings: Settings) -> None:
    """What reading loads (the collection's HNSW index) goes with that system; the app's clients,
    which share one system per path, keep theirs and go on working."""
    assert cli.main([str(settings.kb_dir), "--quiet"], settings) == 0
    shared = kb_collection(chroma_client(settings), settings.collection, local_embedder())
    systems = dict(SharedSystemClient._identifier_to_system)
    with reading_kb(settings, local_embedder()) as collection:
        assert collection.count() == shared.count() > 0
        assert collection._client is not shared._client  # another system's API
        assert dict(SharedSystemClient._identifier_to_system) == systems  # not one a new client would share
    assert dict(SharedSystemClient._identifier_to_system) == systems
    with pytest.raises(AttributeError):  # stopped: its bindings (and what they loaded) are gone
        collection.count()
    assert shared.get(limit=1, include=["documents"])["documents"]
    elsewhere = settings.model_copy(update={"data_dir": settings.data_dir / "elsewhere"})
    with pytest.raises(StoreError, match=r"no knowledge base at"), reading_kb(elsewhere, local_embedder()):
        pass
