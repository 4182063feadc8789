import subprocess
import sys
import time
from pathlib import Path

import chromadb
import pytest

from bot.config import Settings
from bot.embedding import local_embedder
from bot.kb.retrieval import make_retriever
from bot.kb.store import StoreError, bump_revision, chroma_client, kb_collection, revision
from ingest import cli

CHROMA = Path(sys.executable).parent / "chroma"


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


@pytest.fixture
def chroma_server(tmp_path: Path, free_port: int):  # type: ignore[no-untyped-def]
    proc = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(free_port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                chromadb.HttpClient(host="127.0.0.1", port=free_port).heartbeat()
                break
            except Exception:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("chroma server did not start") from None
                time.sleep(0.2)
        yield free_port
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_ingest_and_search_against_a_real_chroma_server(settings: Settings, chroma_server: int, capsys) -> None:  # type: ignore[no-untyped-def]
    remote = settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": chroma_server})
    assert cli.main([str(settings.kb_dir), "--quiet"], remote) == 0
    assert "127.0.0.1" in capsys.readouterr().out
    assert not settings.chroma_path.exists()  # nothing went to the embedded store
    passages = make_retriever(remote).search("which credit cards can I pay with", "billing")
    assert passages[0].article_id == "billing-cards"
    assert cli.main([str(settings.kb_dir), "--quiet"], remote) == 0
    assert "unchanged: 3" in capsys.readouterr().out
